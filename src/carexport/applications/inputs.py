"""Reading APPLICATION.json and FACTS.json, with one clear line per problem.

The same path serves the command line and the API: `carexport.jsondoc` reads the JSON
strictly (size, depth, duplicate keys, NaN, NUL, surrogates, BOM), then the domain model
checks the shape, with the plausible date range of Settings in the validation context.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from carexport import jsondoc
from carexport.config import Settings, get_settings
from carexport.domain.application import Application
from carexport.domain.dates import DATE_RANGE, DateRange
from carexport.domain.facts import Facts
from carexport.errors import CarexportError, InputProblem, InvalidInput

M = TypeVar("M", bound=BaseModel)

_REASONS = {
    "missing": "required field is missing",
    "model_type": "expected a JSON object",
    "dict_type": "expected a JSON object",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
}


def location(loc: tuple[int | str, ...], max_chars: int = jsondoc.DEFAULT_MAX_ECHO_CHARS) -> str:
    """A Pydantic location as a field path: ("vehicles", 0, "vin") → vehicles[0].vin."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = jsondoc.clip(str(part), max_chars)
            path += f".{name}" if path else name
    return path or jsondoc.DOCUMENT


def reason_of(item: Any, max_chars: int = jsondoc.DEFAULT_MAX_ECHO_CHARS) -> str:
    """A reader's reason for one Pydantic error, never echoing more than `max_chars`."""
    reason = _REASONS.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
    return jsondoc.clip(reason, max_chars)


def problems_of(
    error: ValidationError, source: str, max_chars: int = jsondoc.DEFAULT_MAX_ECHO_CHARS
) -> list[InputProblem]:
    return [
        InputProblem(
            source,
            location(tuple(item["loc"]), max_chars),
            reason_of(item, max_chars),
            item["type"],
        )
        for item in error.errors(include_url=False, include_input=False)
    ]


def date_range(settings: Settings) -> DateRange:
    """The plausible date range of the settings (CAREXPORT_EARLIEST_DATE/LATEST_DATE)."""
    try:
        return DateRange(
            date.fromisoformat(settings.earliest_date), date.fromisoformat(settings.latest_date)
        )
    except ValueError:
        raise CarexportError(
            "CAREXPORT_EARLIEST_DATE and CAREXPORT_LATEST_DATE must be YYYY-MM-DD dates"
        ) from None


def validation_context(settings: Settings) -> dict[str, Any]:
    return {DATE_RANGE: date_range(settings)}


def validate(model: type[M], value: Any, source: str, settings: Settings) -> M:
    """`value` (parsed JSON) as `model`, or InvalidInput naming each field."""
    try:
        return model.model_validate(value, context=validation_context(settings))
    except ValidationError as exc:
        raise InvalidInput(problems_of(exc, source, settings.max_echo_chars)) from None


def parse_document(
    model: type[M], data: str | bytes, source: str, settings: Settings | None = None
) -> M:
    """A JSON document's text as `model`, or InvalidInput with every problem found."""
    settings = settings or get_settings()
    value = jsondoc.parse(
        data,
        source=source,
        max_depth=settings.max_json_depth,
        max_echo_chars=settings.max_echo_chars,
        # No identifier, name or address in the contract comes near this length: a 10 MB
        # "VIN" is refused rather than echoed in the verdict and each of its findings.
        max_text_chars=settings.max_cell_chars,
    )
    return validate(model, value, source, settings)


def read_document(model: type[M], path: Path, settings: Settings | None = None) -> M:
    settings = settings or get_settings()
    data = jsondoc.read_bounded(path, max_bytes=settings.max_document_bytes, source=str(path))
    return parse_document(model, data, path.name, settings)


def read_application(path: Path, settings: Settings | None = None) -> Application:
    return read_document(Application, path, settings)


def read_facts(path: Path, settings: Settings | None = None) -> Facts:
    return read_document(Facts, path, settings)
