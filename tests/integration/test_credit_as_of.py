"""The record as of a past day is what a reviewer saw that day: random walks of every
kind of action over three weeks, the record read at the end of each day, and read again
as of that day once everything after it has happened."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from carexport.applications.transitions import ActionConflict
from carexport.config import get_settings
from carexport.credit import service as credit
from carexport.errors import InvalidInput
from tests.integration.test_application_lifecycle import (  # noqa: F401  (fixture)
    World,
    document,
    world,
)

USCC = document("pass")["enterprise_uscc"]
START = date(2026, 1, 5)


def walk(desk: World, rnd: random.Random, day: date) -> None:
    """One random action of the day (a refused one is simply skipped)."""
    at = datetime(day.year, day.month, day.day, 2, rnd.randint(0, 59), tzinfo=UTC)
    now: credit.CreditRecord = desk.run(
        credit.credit_record, "reviewer", enterprise_uscc=USCC, as_of=day
    )
    live = [e for e in now.events if e.status == "recorded"]
    choice = rnd.choice(["event", "event", "interview", "step", "order", "rect", "exit"])
    try:
        if choice == "event" or not live:
            desk.run(
                credit.record_event,
                "reviewer",
                enterprise_uscc=USCC,
                item=rnd.randint(1, 7),
                date=day - timedelta(days=rnd.randint(0, 30)),
                description="事件",
                at=at,
            )
        elif choice == "interview":
            desk.run(
                credit.schedule_interview,
                "reviewer",
                enterprise_uscc=USCC,
                event_ids=[rnd.choice(live).id],
                scheduled_on=day + timedelta(days=3),
                at=at,
            )
        elif choice == "step" and now.interviews:
            i = rnd.choice(now.interviews)
            if i.status == "scheduled" and rnd.random() < 0.7:
                desk.run(
                    credit.record_interview,
                    "reviewer",
                    interview_id=i.id,
                    version=i.version,
                    held_on=day,
                    attendees=["王"],
                    minutes=f"纪要{day}",
                    outcome="整改",
                    at=at,
                )
            elif i.status == "scheduled":
                desk.run(
                    credit.cancel_interview,
                    "reviewer",
                    interview_id=i.id,
                    version=i.version,
                    reason="改期",
                    at=at,
                )
            else:
                desk.run(
                    credit.close_interview, "reviewer", interview_id=i.id, version=i.version, at=at
                )
        elif choice == "order":
            desk.run(
                credit.order_rectification,
                "reviewer",
                enterprise_uscc=USCC,
                event_ids=[e.id for e in rnd.sample(live, min(2, len(live)))],
                measures="整改",
                at=at,
            )
        elif choice == "rect" and now.rectifications:
            r = rnd.choice(now.rectifications)
            if r.status in ("ordered", "rejected"):
                desk.run(
                    credit.submit_rectification_evidence,
                    "applicant",
                    rectification_id=r.id,
                    version=r.version,
                    note="材料",
                    at=at,
                )
            elif r.status == "submitted" and rnd.random() < 0.5:
                desk.run(
                    credit.reject_rectification,
                    "reviewer",
                    rectification_id=r.id,
                    version=r.version,
                    reason="不足",
                    at=at,
                )
            elif r.status == "submitted":
                desk.run(
                    credit.accept_rectification,
                    "reviewer",
                    rectification_id=r.id,
                    version=r.version,
                    at=at,
                )
        elif choice == "exit":
            if now.suspended is None:
                desk.run(credit.suspend, "reviewer", enterprise_uscc=USCC, reason="退出", at=at)
            else:
                desk.run(
                    credit.reinstate,
                    "reviewer",
                    suspension_id=now.suspended.id,
                    version=now.suspended.version,
                    reason="恢复",
                    at=at,
                )
    except (ActionConflict, InvalidInput):
        pass


@pytest.mark.parametrize("seed", [18, 2026])
def test_the_past_stays_as_it_was_seen(
    world: World,  # noqa: F811
    seed: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAREXPORT_MATERIAL_DIR", str(tmp_path))
    get_settings.cache_clear()
    rnd = random.Random(seed)
    seen: dict[date, credit.CreditRecord] = {}
    for offset in range(21):
        day = START + timedelta(days=offset)
        for _ in range(rnd.randint(0, 3)):
            walk(world, rnd, day)
        seen[day] = world.run(credit.credit_record, "reviewer", enterprise_uscc=USCC, as_of=day)
    kinds = {h.action for r in seen.values() for h in r.history}
    assert {"record", "schedule", "order", "submit"} <= kinds
    for day, then in seen.items():
        again = world.run(credit.credit_record, "reviewer", enterprise_uscc=USCC, as_of=day)
        assert again == then, day
