"""Form errors: a service's InvalidInput as one message per field, shown beside it."""

from __future__ import annotations

from carexport.errors import InvalidInput


def field_errors(exc: InvalidInput, *, prefix: str = "") -> dict[str, str]:
    """{field: "中文 / English"} from the problems' locations (the first one per field);
    a problem without a location goes under "" (ui.form_errors shows it at the top).
    `prefix` is dropped from locations (e.g. "application." for a nested body)."""
    found: dict[str, str] = {}
    for problem in exc.problems:
        location = problem.location or ""
        if prefix and location.startswith(prefix):
            location = location[len(prefix) :]
        found.setdefault(location, problem.reason)
    return found
