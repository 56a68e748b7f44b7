"""Error types. Services raise these; only web/ and cli.py turn them into statuses."""

from __future__ import annotations

from dataclasses import dataclass


class CarexportError(Exception):
    """Base of every error a user may see; the message says what to do next."""


@dataclass(frozen=True)
class InputProblem:
    """One problem with an input document: where, and why."""

    source: str  # the file or body part, e.g. "APPLICATION.json"
    location: str  # the field path, e.g. "vehicles[0].registration_date"
    reason: str
    kind: str = "invalid"  # a short machine-readable type (Pydantic's, or ours)

    def __str__(self) -> str:
        return f"{self.source}: {self.location}: {self.reason}"


class InvalidInput(CarexportError):
    """The input is structurally invalid; every problem is listed, one per line."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
