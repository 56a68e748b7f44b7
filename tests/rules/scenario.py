"""Build a check scenario from the YAML base and a case's patches, signing confirmations."""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from carexport import seals
from carexport.domain.vin import with_check_digit

CASES = Path(__file__).parent / "cases"
# Fixed test keys: deterministic so that failures reproduce.
KEY_SCALARS = {
    "byd": 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8,
    "sales": 0x1649AB77A00637BD5E2EFE283FBF353534AA7F7CB89463F208DDBC2920BB0DA0,
}
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@cache
def key(name: str) -> Any:
    return seals.private_key_from_scalar(KEY_SCALARS[name])


def public_hex(name: str) -> str:
    return str(key(name).public_key().hex())


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def set_path(doc: Any, path: str, value: Any) -> None:
    *parents, last = _steps(path)
    for step in parents:
        doc = doc[step]
    if isinstance(last, int) and isinstance(doc, list) and last == len(doc):
        doc.append(value)
    else:
        doc[last] = value


def unset_path(doc: Any, path: str) -> None:
    *parents, last = _steps(path)
    for step in parents:
        doc = doc[step]
    del doc[last]


def _resolve_keys(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("$KEY:"):
        return public_hex(value.removeprefix("$KEY:"))
    if isinstance(value, dict):
        return {k: _resolve_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_keys(v) for v in value]
    return value


@cache
def base() -> dict[str, Any]:
    return yaml.safe_load((CASES / "base.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _clone_vehicle(doc: dict[str, Any], count: int) -> None:
    """Fill the batch up to `count` clean vehicles, each with its own record and report."""
    line = doc["application"]["vehicles"][0]
    record, report = doc["facts"]["registrations"][0], doc["facts"]["inspections"][0]
    for n in range(len(doc["application"]["vehicles"]), count):
        vin = with_check_digit(f"LGXCE4CB0P{n:07d}")
        doc["application"]["vehicles"].append({**line, "vin": vin})
        doc["facts"]["registrations"].append({**record, "vin": vin})
        doc["facts"]["inspections"].append({**report, "vin": vin})


def build(case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(application, facts) JSON documents for a case."""
    doc = copy.deepcopy(base())
    for path, value in (case.get("set") or {}).items():
        set_path(doc, path, copy.deepcopy(value))
    for path in case.get("unset") or []:
        unset_path(doc, path)
    if "vehicle_count" in case:
        _clone_vehicle(doc, case["vehicle_count"])
    doc = _resolve_keys(doc)
    signer = key(case.get("signed_by", "byd"))
    doc["facts"]["confirmations"] = [
        seals.sign_document(c, signer) for c in doc["facts"].get("confirmations", [])
    ]
    for path, value in (case.get("after_signing") or {}).items():
        set_path(doc, path, copy.deepcopy(value))
    return doc["application"], doc["facts"]


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for file in sorted(CASES.glob("*.yaml")):
        if file.name == "base.yaml":
            continue
        for case in yaml.safe_load(file.read_text(encoding="utf-8")):
            cases.append((f"{file.stem}: {case['name']}", case))
    return cases
