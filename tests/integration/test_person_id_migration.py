"""Migration 0012 replaces the clear ID numbers already stored by keyed hashes and masks,
and refuses to run without the key when there are any (nothing changed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from carexport.config import get_settings
from carexport.credit.person_ids import PersonIdKeyError, protected
from carexport.db import make_engine
from carexport.migrations import upgrade

CLEAR = "110101198001010010"
OTHER = "110101198502020022"


@pytest.fixture
def at_0011(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0011")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO enterprises (uscc_key, uscc, legal_representative_id, "
                "legal_representative_key) VALUES ('U1', 'U1', :p, :p), ('U2', 'U2', NULL, NULL)"
            ),
            {"p": CLEAR},
        )
        conn.execute(
            text(
                "INSERT INTO related_persons (enterprise_key, position, person_id, person_key) "
                "VALUES ('U2', 0, :p, :p), ('U2', 1, :o, :o)"
            ),
            {"p": CLEAR, "o": OTHER},
        )
        conn.execute(
            text(
                "INSERT INTO credit_events (natural_key, enterprise_key, enterprise_uscc, item, "
                "date, note, rectification) VALUES ('k', 'U1', 'U1', 5, '2025-10-01', NULL, NULL)"
            )
        )
    yield engine
    engine.dispose()


def test_clear_ids_become_keyed_hashes_and_masks(at_0011: Engine) -> None:
    upgrade(at_0011)
    with at_0011.connect() as conn:
        lead = conn.execute(
            text(
                "SELECT legal_representative_id, legal_representative_key, "
                "legal_representative_masked FROM enterprises WHERE uscc_key = 'U1'"
            )
        ).one()
        persons = conn.execute(
            text(
                "SELECT person_id, person_key, person_masked FROM related_persons ORDER BY position"
            )
        ).all()
    kept = protected(CLEAR)
    assert tuple(lead) == (kept.token, kept.token, "1101**********0010")
    assert [tuple(p) for p in persons] == [
        (kept.token, kept.token, kept.masked),
        (protected(OTHER).token, protected(OTHER).token, "1101**********0022"),
    ]
    # The same person on both sides is still one person: the link survives.
    assert persons[0][1] == lead[1]
    with at_0011.connect() as conn:
        fed = conn.execute(text("SELECT source, status, version FROM credit_events")).one()
    assert tuple(fed) == ("feed", "recorded", 1)  # every earlier event came from the feed


def test_refuses_to_migrate_clear_ids_without_the_key(
    at_0011: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREXPORT_PERSON_ID_KEY")
    get_settings.cache_clear()
    try:
        with pytest.raises(PersonIdKeyError, match="CAREXPORT_PERSON_ID_KEY"):
            upgrade(at_0011)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    with at_0011.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        stored = conn.execute(
            text("SELECT legal_representative_id FROM enterprises WHERE uscc_key = 'U1'")
        ).scalar()
    assert (version, stored) == ("0011", CLEAR)
