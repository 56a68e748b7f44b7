"""The enterprise feed with resident ID numbers: a wrong check character is a
row-numbered error, nothing is written; a good file stores keyed hashes and masks only,
and enterprises sharing a person are linked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from carexport.credit.person_ids import protected
from carexport.db import UnitOfWork
from carexport.feeds import service
from tests.integration.test_import_feeds import run_import, write_file

U1 = "91120116MA07AB3C0D"
U2 = "91120104MA05XK2P0E"
LEAD = "110101198001010010"
OTHER = "110101198502020022"


def test_a_wrong_check_character_names_its_row_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        {"uscc": U1, "name": "甲", "legal_representative_id": LEAD},
        {"uscc": U2, "name": "乙", "related_person_ids": f"{OTHER}；{LEAD[:-1]}1"},
    ]
    result, problems = run_import(
        engine, "enterprises", write_file(tmp_path / "e.csv", rows, "enterprises", chinese=False)
    )
    assert result.rejected
    assert [(p.row, p.field.split("[")[0]) for p in problems] == [(3, "related_person_ids")]
    assert "check character" in str(problems[0])
    assert LEAD[:-1] not in str(problems[0])  # the report does not echo an ID number
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM enterprises")).scalar() == 0


def test_stores_only_keyed_hashes_and_links_the_enterprises(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {"uscc": U1, "name": "甲", "legal_representative_id": LEAD.lower()[:-1] + "0"},
        {"uscc": U2, "name": "乙", "legal_representative_id": OTHER, "related_person_ids": LEAD},
    ]
    result, problems = run_import(
        engine, "enterprises", write_file(tmp_path / "e.csv", rows, "enterprises", chinese=False)
    )
    assert (result.committed, problems) == (True, [])
    with engine.connect() as conn:
        rows_ = [
            *conn.execute(text("SELECT * FROM enterprises")).all(),
            *conn.execute(text("SELECT * FROM related_persons")).all(),
        ]
    values = [str(v) for row in rows_ for v in row]
    assert not any(LEAD in v or OTHER in v for v in values)
    assert protected(LEAD).token in values
    assert "1101**********0010" in values
    with UnitOfWork(engine) as uow:
        links = service.enterprises_sharing_persons(uow=uow, enterprise_uscc=U1)
    assert [(link.uscc, link.persons) for link in links] == [
        (U2, (("1101**********0010", "legal_representative", "related_person"),))
    ]
