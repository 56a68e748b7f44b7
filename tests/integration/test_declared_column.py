"""A column declared once (fuel_type, 燃料种类) is read, stored and left out of FACTS
the same way on every path: CSV columnar, CSV row by row, JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from carexport.db import UnitOfWork
from carexport.domain.application import Application
from carexport.domain.vin import with_check_digit
from carexport.feeds import service

VINS = [with_check_digit(f"LGXCE4CB0N000000{i}") for i in range(3)]
FUELS = ["汽油", " 纯电动 ", None]


def _csv(path: Path) -> Path:
    lines = ["车辆识别代号,燃料种类,机动车状态"]
    lines += [f"{v},{f or ''},A" for v, f in zip(VINS, FUELS, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _jsonl(path: Path) -> Path:
    rows = [{"vin": v, "fuel_type": f} for v, f in zip(VINS, FUELS, strict=True)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "columnar"), [("r.csv", True), ("r.csv", False), ("r.jsonl", True)]
)
def test_a_declared_column_is_stored_by_every_import_path(
    engine: Engine, tmp_path: Path, name: str, columnar: bool
) -> None:
    path = (_csv if name.endswith(".csv") else _jsonl)(tmp_path / name)
    with UnitOfWork(engine) as uow:
        result = service.import_feed(
            uow=uow, kind="registrations", path=path, columnar_path=columnar
        )
    assert result.committed, result
    with engine.connect() as conn:
        stored: dict[str, str | None] = dict(
            conn.execute(text("SELECT vin, fuel_type FROM registrations")).all()
        )
    assert stored == {VINS[0]: "汽油", VINS[1]: "纯电动", VINS[2]: None}


def test_facts_read_back_leaves_out_what_facts_does_not_know(
    engine: Engine, tmp_path: Path
) -> None:
    with UnitOfWork(engine) as uow:
        service.import_feed(uow=uow, kind="registrations", path=_csv(tmp_path / "r.csv"))
    application = Application.model_validate(
        {
            "application_id": "A",
            "submitted_on": "2026-03-01",
            "enterprise_uscc": "X",
            "destination_country": "KZ",
            "vehicles": [{"vin": VINS[0]}],
        }
    )
    with UnitOfWork(engine) as uow:
        facts = service.facts_for_application(uow=uow, application=application)
    (registration,) = facts.registrations
    assert registration.status == "A"
    assert "fuel_type" not in registration.model_dump()
