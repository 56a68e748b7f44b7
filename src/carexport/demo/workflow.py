"""The demo world's applications of the last year, filed and decided in the workflow.

The applications of the exporters that have a login (`people.People.filing`) are not
left as files: they go through applications.service as the people would have used it,
on the days they would have, in time order across all of them (so the audit chain reads
as a year of work): created a day or two before submission, submitted on the world's
submission date (the facts were shaped for that day), reviewed by the agency within
its three working days or, now and then, later; a `review` verdict recommended and
countersigned; a failing one returned (补正) or refused; a return answered by removing
the vehicles the verdict names and resubmitting, or by withdrawing. What would happen
after today has not happened yet: those applications stay drafts, submitted (within or
past their due date), in countersign or returned.

Which path an application takes is drawn from a generator seeded by the world's seed,
so the same seed and the same today give the same store (ids, numbers, statuses); only
timestamps of writing and signatures differ.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from carexport.accounts.actor import Actor
from carexport.applications import service as applications
from carexport.applications.enums import Action, ApplicationStatus
from carexport.clock import OFFICE_ZONE
from carexport.db import UnitOfWork
from carexport.demo.people import People
from carexport.demo.world import DemoWorld, application_document
from carexport.domain.application import Application
from carexport.domain.working_days import WorkCalendar, add_working_days, official_calendar

# Shares of the paths, SYNTHETIC (no public figures exist).
DRAFT_SHARE_RECENT = 0.35  # of the last days' applications, still drafts
RECENT_DAYS = 4
# The last days hold what is still open, so that every status shows however small the
# world: up to OVERDUE_HELD submissions of TAIL_DAYS ago not yet reviewed (past their
# due date); returns of the last TAIL_DAYS not yet answered; recommendations of the last
# TAIL_DAYS not yet countersigned.
TAIL_DAYS = 12
OVERDUE_HELD = 3
LAST_HELD = 3
OVERDUE_AFTER = 6  # calendar days after submission: past 3 working days, whatever the week
WITHDRAW_SHARE = 0.03  # withdrawn before review (the buyer cancelled)
LATE_REVIEW_SHARE = 0.12  # reviewed after the 3 working days (the queue was long)
REFUSE_PASS_SHARE = 0.03  # a refused `pass`: a departure the monitor counts
RETURN_FAIL_SHARE = 0.7  # a failing application returned (else refused)
FIX_AFTER_RETURN_SHARE = 0.6  # a return answered by removing vehicles and resubmitting
COUNTERSIGN_APPROVE_SHARE = 0.85
COUNTERSIGN_RETURN_SHARE = 0.1  # the rest is refused

_SEED_SALT = 16  # the workflow's generator: the world's seed, salted (issue 16)


@dataclass
class _Case:
    """One world application on its way through the workflow."""

    application: Application
    applicant: Actor
    reviewer: Actor
    senior: Actor
    app_id: int = 0
    version: int = 0
    verdict: dict[str, Any] = field(default_factory=dict)
    stay_draft: bool = False
    # Among its exporter's last LAST_HELD applications: a return or a recommendation
    # stays open (so that a small world shows them too).
    hold: bool = False


def feeds_without(
    world: DemoWorld, *, filing: Iterable[str], since: date
) -> dict[str, list[dict[str, Any]]]:
    """The world's later feeds without what the workflow now issues itself: the licenses
    of the filing exporters' applications from `since` (and the customs declarations and
    deregistrations that followed them); the other licenses keep their order and are
    numbered again without the holes, per region and year, as the former system would
    have numbered them."""
    exporters = set(filing)
    vins = {
        line.vin
        for a in world.applications
        if a.enterprise_uscc in exporters and a.submitted_on >= since
        for line in a.vehicles
    }
    dropped = {row["license_no"] for row in world.feeds["licenses"] if set(row["vins"]) & vins}
    renumbered: dict[str, str] = {}
    sequences: Counter[tuple[str, str]] = Counter()
    licenses = []
    for row in world.feeds["licenses"]:
        if row["license_no"] in dropped:
            continue
        region, year, _ = row["license_no"].split("-")
        sequences[(region, year)] += 1
        number = f"{region}-{year}-{sequences[(region, year)]:06d}"
        renumbered[row["license_no"]] = number
        licenses.append({**row, "license_no": number})
    customs = [
        {**row, "license_no": renumbered[row["license_no"]]}
        for row in world.feeds["customs"]
        if row["license_no"] not in dropped
    ]
    exported = {
        vin for row in world.feeds["customs"] if row["license_no"] in dropped for vin in row["vins"]
    }
    return {
        **world.feeds,
        "licenses": licenses,
        "customs": customs,
        "deregistrations": [r for r in world.feeds["deregistrations"] if r["vin"] not in exported],
    }


def last_numbers(licenses: Iterable[dict[str, Any]]) -> dict[tuple[str, int], int]:
    """The highest sequence per (region, year) among licenses numbered before the store."""
    last: dict[tuple[str, int], int] = {}
    for row in licenses:
        region, year, sequence = row["license_no"].split("-")
        key = (region, int(year))
        last[key] = max(last.get(key, 0), int(sequence))
    return last


class _Run:
    def __init__(
        self, uow: UnitOfWork, world: DemoWorld, today: date, calendar: WorkCalendar
    ) -> None:
        self.uow = uow
        self.today = today
        self.calendar = calendar
        self.rng = random.Random(world.seed * 1000 + _SEED_SALT)
        self.queue: list[tuple[datetime, int, Callable[[_Case, datetime], None], _Case]] = []
        self.order = itertools.count()
        self.actions: Counter[str] = Counter()
        self.held = 0  # submissions left unreviewed past their due date

    def held_open(self, case: _Case, when: datetime) -> bool:
        return case.hold or self.in_tail(when)

    def in_tail(self, when: datetime) -> bool:
        return when.date() > self.today - timedelta(days=TAIL_DAYS)

    def at(self, day: date, earliest: int = 9, latest: int = 17) -> datetime:
        minutes = self.rng.randrange((latest - earliest) * 60)
        return datetime.combine(day, time(earliest), OFFICE_ZONE) + timedelta(minutes=minutes)

    def later(self, when: datetime, working_days: int) -> datetime:
        return self.at(add_working_days(when.date(), working_days, self.calendar))

    def push(self, when: datetime, step: Callable[[_Case, datetime], None], case: _Case) -> None:
        # What would happen after today has not happened yet.
        if when.date() <= self.today:
            heapq.heappush(self.queue, (when, next(self.order), step, case))

    def run(self) -> None:
        while self.queue:
            when, _, step, case = heapq.heappop(self.queue)
            step(case, when)

    def _took(self, case: _Case, app: Any, action: str) -> None:
        case.version = app.version
        case.verdict = app.verdict or {}
        self.actions[action] += 1

    # --- the steps ---

    def create(self, case: _Case, when: datetime) -> None:
        app = applications.create(
            uow=self.uow, actor=case.applicant, body=application_document(case.application), at=when
        )
        case.app_id = app.id
        self._took(case, app, "create")
        if not case.stay_draft:
            submitted = case.application.submitted_on
            self.push(
                self.at(submitted, latest=16)
                if submitted > when.date()
                else when + timedelta(minutes=30),
                self.submit,
                case,
            )

    def submit(self, case: _Case, when: datetime) -> None:
        app = applications.submit(
            uow=self.uow,
            actor=case.applicant,
            application_id=case.app_id,
            version=case.version,
            at=when,
        )
        self._took(case, app, "submit")
        if self.rng.random() < WITHDRAW_SHARE:
            self.push(self.later(when, 1), self.withdraw_cancelled, case)
            return
        days = (
            self.rng.randint(4, 9)
            if self.rng.random() < LATE_REVIEW_SHARE
            else self.rng.randint(1, 3)
        )
        if (
            self.in_tail(when)
            and when.date() <= self.today - timedelta(days=OVERDUE_AFTER)
            and self.held < OVERDUE_HELD
            # a `review` goes on to its countersign, which the tail keeps open
            and case.verdict.get("decision") != "review"
        ):
            self.held += 1  # left in the queue, past its due date
            return
        self.push(self.later(when, days), self.review, case)

    def withdraw_cancelled(self, case: _Case, when: datetime) -> None:
        self._withdraw(case, when, "买方取消订单 / the buyer cancelled the order")

    def _withdraw(self, case: _Case, when: datetime, reason: str) -> None:
        app = applications.withdraw(
            uow=self.uow,
            actor=case.applicant,
            application_id=case.app_id,
            version=case.version,
            reason=reason,
            at=when,
        )
        self._took(case, app, "withdraw")

    def _decide(
        self, case: _Case, when: datetime, actor: Actor, action: Action, reason: str | None
    ) -> str:
        app = applications.decide(
            uow=self.uow,
            actor=actor,
            application_id=case.app_id,
            version=case.version,
            action=action,
            reason=reason,
            at=when,
        )
        self._took(case, app, f"{action.value}")
        return str(app.status)

    def review(self, case: _Case, when: datetime) -> None:
        decision = case.verdict.get("decision")
        if decision == "pass":
            if self.rng.random() < REFUSE_PASS_SHARE:
                self._decide(case, when, case.reviewer, Action.REFUSE, _REFUSE_PASS)
            else:
                self._decide(case, when, case.reviewer, Action.APPROVE, None)
        elif decision == "review":
            status = self._decide(case, when, case.reviewer, Action.APPROVE, _RECOMMEND)
            if status == ApplicationStatus.COUNTERSIGN and not self.held_open(case, when):
                self.push(self.later(when, self.rng.randint(1, 2)), self.countersign, case)
        elif self.rng.random() < RETURN_FAIL_SHARE:
            self._decide(case, when, case.reviewer, Action.RETURN, _return_reason(case.verdict))
            if not self.held_open(case, when):
                self.push(self.later(when, self.rng.randint(1, 6)), self.answer_return, case)
        else:
            self._decide(case, when, case.reviewer, Action.REFUSE, _refuse_reason(case.verdict))

    def countersign(self, case: _Case, when: datetime) -> None:
        draw = self.rng.random()
        if draw < COUNTERSIGN_APPROVE_SHARE:
            self._decide(case, when, case.senior, Action.APPROVE, "同意审核意见 / agreed")
        elif draw < COUNTERSIGN_APPROVE_SHARE + COUNTERSIGN_RETURN_SHARE:
            self._decide(case, when, case.senior, Action.RETURN, _RETURN_CREDIT)
            if not self.held_open(case, when):
                self.push(self.later(when, self.rng.randint(1, 6)), self.answer_return, case)
        else:
            self._decide(case, when, case.senior, Action.REFUSE, _REFUSE_CREDIT)

    def answer_return(self, case: _Case, when: datetime) -> None:
        """Remove the vehicles the verdict names and resubmit, or give up."""
        to_pass = case.verdict.get("to_pass") or {}
        remove = set(to_pass.get("remove_vins") or [])
        keep = [v for v in case.application.vehicles if v.vin not in remove]
        if remove and keep and self.rng.random() < FIX_AFTER_RETURN_SHARE:
            case.application = case.application.model_copy(update={"vehicles": keep})
            app = applications.edit(
                uow=self.uow,
                actor=case.applicant,
                application_id=case.app_id,
                version=case.version,
                body=application_document(case.application),
                at=when,
            )
            self._took(case, app, "edit")
            self.push(when + timedelta(minutes=20), self.resubmit, case)
        else:
            self._withdraw(case, when, "无法补正，撤回申请 / cannot be corrected: withdrawn")

    def resubmit(self, case: _Case, when: datetime) -> None:
        app = applications.submit(
            uow=self.uow,
            actor=case.applicant,
            application_id=case.app_id,
            version=case.version,
            at=when,
        )
        self._took(case, app, "submit")
        self.push(self.later(when, self.rng.randint(1, 3)), self.review, case)


_REFUSE_PASS = "抽查发现车况与申报不符 / a spot check found the vehicles not as declared"
_RECOMMEND = "信用记录需关注，建议批准并报复核 / credit record noted: approval recommended"
_RETURN_CREDIT = "请补充信用整改材料 / add the rectification of the credit record"
_REFUSE_CREDIT = "信用状况不符合要求 / the credit record does not allow a license"


def _first_rules(verdict: dict[str, Any], limit: int = 3) -> list[str]:
    rules: list[str] = []
    findings = list(verdict.get("findings") or [])
    for vehicle in verdict.get("vehicles") or []:
        findings.extend(vehicle.get("findings") or [])
    for finding in findings:
        if finding.get("severity") == "fail" and finding.get("rule") not in rules:
            rules.append(str(finding.get("rule")))
    return rules[:limit]


def _return_reason(verdict: dict[str, Any]) -> str:
    remove = (verdict.get("to_pass") or {}).get("remove_vins") or []
    rules = ", ".join(_first_rules(verdict)) or "—"
    if remove:
        return (
            f"请删除不合格车辆后重新提交 / remove the failing vehicles and resubmit: "
            f"{', '.join(remove[:5])}{' …' if len(remove) > 5 else ''} ({rules})"
        )
    return f"请按审核意见补正 / correct what the verdict names ({rules})"


def _refuse_reason(verdict: dict[str, Any]) -> str:
    rules = ", ".join(_first_rules(verdict)) or "—"
    return f"不符合出口许可条件 / the application does not meet the conditions ({rules})"


def file_applications(
    *,
    uow: UnitOfWork,
    world: DemoWorld,
    people: People,
    actors: dict[str, Actor],
    today: date,
) -> Counter[str]:
    """Run the filing exporters' applications from `people.since` to `today` through the
    workflow; `actors` by username (people.users). The actions taken, by name."""
    run = _Run(uow, world, today, official_calendar())
    by_uscc = {
        u.org.uscc: actors[u.username]
        for u in people.users
        if u.org is not None
        and u.org.uscc is not None
        and u.username in actors
        and u.role == "applicant"
    }
    staff: dict[tuple[str, str], Actor] = {
        (u.org.name, u.role.value): actors[u.username]
        for u in people.users
        if u.org is not None and u.username in actors
    }
    cases = [
        a
        for a in world.applications
        if a.enterprise_uscc in by_uscc
        and people.since <= a.submitted_on <= today
        and a.issuing_agency is not None
    ]
    cases.sort(key=lambda a: (a.submitted_on, a.application_id))
    latest = cases[-1].application_id if cases else None
    last_ones: dict[str, list[str]] = {}
    for application in cases:
        last_ones.setdefault(application.enterprise_uscc, []).append(application.application_id)
    held = {i for ids in last_ones.values() for i in ids[-LAST_HELD:]}
    for application in cases:
        agency = application.issuing_agency or ""
        case = _Case(
            application=application,
            applicant=by_uscc[application.enterprise_uscc],
            reviewer=staff[(agency, "reviewer")],
            senior=staff[(agency, "senior_reviewer")],
            hold=application.application_id in held,
        )
        recent = application.submitted_on > today - timedelta(days=RECENT_DAYS)
        case.stay_draft = application.application_id == latest or (
            recent and run.rng.random() < DRAFT_SHARE_RECENT
        )
        created = application.submitted_on - timedelta(days=run.rng.choice((0, 0, 1, 2)))
        run.push(run.at(created, latest=12), run.create, case)
    run.run()
    return run.actions
