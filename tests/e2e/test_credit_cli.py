"""`carexport credit record|overdue`: the record as JSON from a real subprocess, as of a
day, and a bad date as a one-line error (exit 2)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from carexport.credit import service as credit
from carexport.db import UnitOfWork
from carexport.domain.facts import Facts
from carexport.feeds import service as feeds
from tests.e2e.test_org_user_cli import carexport
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    pg_url,
    sqlite_template,
)
from tests.integration.test_application_lifecycle import World, created, world  # noqa: F401
from tests.integration.test_credit_as_of import USCC
from tests.integration.test_credit_records import RELATED_FACTS, desk, event  # noqa: F401


def test_prints_the_record_as_of_a_day_and_the_overdue_orders(
    engine: Engine,  # noqa: F811
    database_url: str,  # noqa: F811
) -> None:
    from carexport.accounts import service as accounts

    with UnitOfWork(engine) as uow:
        org = accounts.add_org(uow=uow, kind="agency", name="天津市商务局", uscc=None, region="12")
    with UnitOfWork(engine) as uow:
        user = accounts.add_user(
            uow=uow, username="reviewer", password="x" * 12, role="reviewer", org_id=org.id
        )
        actor = accounts.actor_of(user)
    with UnitOfWork(engine) as uow:
        recorded = credit.record_event(
            uow=uow,
            actor=actor,
            enterprise_uscc=USCC,
            item=5,
            date=date(2026, 2, 1),
            description="事件",
            at=datetime(2026, 2, 2, 2, tzinfo=UTC),
        )
    with UnitOfWork(engine) as uow:
        credit.order_rectification(
            uow=uow,
            actor=actor,
            enterprise_uscc=USCC,
            event_ids=[recorded.id],
            measures="整改",
            at=datetime(2026, 2, 3, 2, tzinfo=UTC),
        )
    now = carexport(database_url, "credit", "record", USCC)
    assert now.returncode == 0, now.stderr
    record = json.loads(now.stdout)
    assert [e["id"] for e in record["events"]] == [recorded.id]
    assert [r["status"] for r in record["rectifications"]] == ["ordered"]
    then = carexport(database_url, "credit", "record", USCC, "--as-of", "2026-02-02")
    before = json.loads(then.stdout)
    assert (len(before["events"]), before["rectifications"]) == (1, [])
    late = json.loads(carexport(database_url, "credit", "overdue", "--as-of", "2026-12-31").stdout)
    assert [r["enterprise_uscc"] for r in late["items"]] == [USCC]
    bad = carexport(database_url, "credit", "overdue", "--as-of", "someday")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "YYYY-MM-DD" in bad.stderr


def test_the_file_check_on_exported_facts_gives_the_stores_verdict(
    desk: World,  # noqa: F811
    database_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A suspended exporter and a company sharing its legal representative: `carexport
    facts export` then `carexport check --facts` give the verdicts the workflow stored."""
    with UnitOfWork(desk.engine) as uow:
        feeds.load_facts(uow=uow, facts=Facts.model_validate(RELATED_FACTS))
    for d in (5, 6, 7):
        event(desk, day=date(2026, 1, d))
    desk.run(credit.suspend, "reviewer", enterprise_uscc=USCC, reason="屡次违规")
    for example, who, rule in (
        ("pass", "applicant", "CREDIT.SUSPENDED"),
        ("review", "applicant2", "CREDIT.RELATED_PARTY"),
    ):
        draft = created(desk, example, who)
        stored = draft.verdict or {}
        assert rule in [f["rule"] for f in stored["findings"]]
        application = tmp_path / f"{example}.json"
        application.write_text(json.dumps(draft.content, ensure_ascii=False), encoding="utf-8")
        exported = carexport(database_url, "facts", "export", str(application))
        assert exported.returncode == 0, exported.stderr
        assert "120101197807070033" not in exported.stdout  # no clear ID leaves the store
        facts = tmp_path / f"{example}.facts.json"
        facts.write_text(exported.stdout, encoding="utf-8")
        checked = carexport(
            database_url, "check", str(application), "--facts", str(facts), "--as-of", "2026-03-13"
        )
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout) == stored
