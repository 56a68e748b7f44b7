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


# --- the workflow's refusals; web/ maps each to its HTTP status (WORKFLOW.md) ---


class NotAuthenticated(CarexportError):
    """No credentials, or credentials that do not hold (HTTP 401)."""


class Forbidden(CarexportError):
    """The caller's role may not take this action (HTTP 403)."""


class NotFound(CarexportError):
    """No such object, or one of another organisation: existence never leaks (HTTP 404)."""


class Conflict(CarexportError):
    """The object is not in a state that allows the action, or already exists (HTTP 409).

    `status` and `version` are the object's current ones, when it has them, so the caller
    can reload and try again.
    """

    def __init__(self, message: str, *, status: str | None = None, version: int | None = None):
        self.status = status
        self.version = version
        super().__init__(message)


class TooManyAttempts(CarexportError):
    """Too many failed logins for one username: refused whatever the password (HTTP 429)."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)
