"""Reading APPLICATION.json and FACTS.json, with one clear line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.errors import InputProblem, InvalidInput

M = TypeVar("M", bound=BaseModel)

_REASONS = {
    "missing": "required field is missing",
    "model_type": "expected a JSON object",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
}


def location(loc: tuple[int | str, ...]) -> str:
    """A Pydantic location as a field path: ("vehicles", 0, "vin") → vehicles[0].vin."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def problems_of(error: ValidationError, source: str) -> list[InputProblem]:
    problems = []
    for item in error.errors(include_url=False):
        kind = item["type"]
        if kind == "json_invalid":
            reason = f"not valid JSON ({item.get('ctx', {}).get('error', item['msg'])})"
            problems.append(InputProblem(source, "(document)", reason))
            continue
        reason = _REASONS.get(kind) or str(item["msg"]).removeprefix("Value error, ")
        problems.append(InputProblem(source, location(tuple(item["loc"])), reason))
    return problems


def parse_document(model: type[M], text: str | bytes, source: str) -> M:
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidInput(problems_of(exc, source)) from None


def read_text(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            [InputProblem(str(path), "(file)", f"cannot read: {exc.strerror}")]
        ) from None


def read_application(path: Path) -> Application:
    return parse_document(Application, read_text(path), path.name)


def read_facts(path: Path) -> Facts:
    return parse_document(Facts, read_text(path), path.name)
