"""The demo world's credit record: enterprises in every credit state, made through the
credit service as an agency's staff (and the exporters) would have made them.

| state | who | what the record holds |
| --- | --- | --- |
| clean | an exporter | nothing |
| events | an exporter | one event, not yet acted on (an interview is due: B) |
| interview scheduled | an exporter | two events and an interview set for the coming days |
| rectifying | an exporter with a login | an event, the interview held, an order running |
| evidence submitted | an exporter with a login | an order whose evidence awaits the agency |
| overdue | an exporter with a login | an item 2 event, an order past its deadline |
| suspended | the world's suspended exporter | its 2025 events, the world's own decision |
| suspended | the origin of a 另设企业 pair | repeat events, an overdue order, a decision |
| related | the pair's other company | shares the suspended one's legal representative |
| reinstated | an exporter, given a login here | suspended, rectified, reinstated months ago |

Which enterprise takes which state follows from the world (its exporters, its filing
exporters, its pairs sharing a legal representative) and a generator seeded by the
world's seed: the same seed and today give the same record. Actions are backdated
(`at=`) to days before today, never before the credit regime (LAW_2026); an exporter
that files in the workflow is suspended only from yesterday, after its last filing,
so that no application it filed was approved while it was suspended.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind, Role
from carexport.clock import OFFICE_ZONE
from carexport.credit import service as credit
from carexport.credit.evidence import Upload
from carexport.db import UnitOfWork
from carexport.demo.people import DEMO_PASSWORD, People
from carexport.demo.tables import LAW_2026
from carexport.demo.world import DemoWorld

_SEED_SALT = 18  # the credit record's generator: the world's seed, salted (issue 18)
# The first day an action may be dated: the credit parameters are in force from
# LAW_2026, and the exit grounds of a day are computed with them.
FIRST_ACTION_DAY = LAW_2026 + timedelta(days=4)
RELATED_ORIGIN = "suspended, with a related company"  # the pair's origin, when not the above
REINSTATED_USERNAME = "credit-reinstated"  # DEMO ONLY, password DEMO_PASSWORD (README)

# A one-page PDF: what an evidence file looks like to the checker of magic bytes.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

_EVENTS: dict[int, Sequence[str]] = {
    1: ("申报出口的车辆属禁止出口情形（已达报废标准）",),
    2: ("境外买方反映无法获得维修资料和配件，企业未予回应",),
    3: ("抽查发现申报车况与实际不符", "拒不配合发证机构的核查"),
    4: ("提交的注销证明与登记机关记录不一致",),
    5: ("多次不规范填报：车辆清单与许可证附表不一致", "转让登记日期填报不一致", "一批多证"),
    6: ("出口车辆在目的国发生重大质量安全事故",),
    7: ("其他失信行为：未按要求报送出口数据",),
}


@dataclass(frozen=True)
class CreditState:
    state: str
    uscc: str
    name: str | None
    login: str | None  # a demo user of the enterprise, if any


class _Run:
    def __init__(
        self,
        uow: UnitOfWork,
        world: DemoWorld,
        people: People,
        actors: dict[str, Actor],
        today: date,
    ) -> None:
        self.uow = uow
        self.today = today
        self.rng = random.Random(world.seed * 1000 + _SEED_SALT)
        self.actions: Counter[str] = Counter()
        self.names = {e.uscc: e.name for e in world.facts.enterprises}
        self.agency_of: dict[str, str] = {}
        for application in world.applications:
            if application.issuing_agency is not None:
                self.agency_of.setdefault(application.enterprise_uscc, application.issuing_agency)
        self.reviewers = {
            u.org.name: actors[u.username]
            for u in people.users
            if u.role == Role.REVIEWER and u.org is not None and u.username in actors
        }
        self.logins = {
            u.org.uscc: u.username
            for u in people.users
            if u.role == Role.APPLICANT and u.org is not None and u.org.uscc is not None
        }
        self.applicants = {
            uscc: actors[username] for uscc, username in self.logins.items() if username in actors
        }

    # --- when and who ---

    def day(self, days_ago: int) -> date:
        return max(self.today - timedelta(days=days_ago), FIRST_ACTION_DAY)

    def at(self, days_ago: int) -> datetime:
        minutes = self.rng.randrange(8 * 60)
        return datetime.combine(self.day(days_ago), time(9), OFFICE_ZONE) + timedelta(
            minutes=minutes
        )

    def reviewer(self, uscc: str) -> Actor:
        """The enterprise's own agency's reviewer, else the first agency with staff."""
        agency = self.agency_of.get(uscc)
        if agency in self.reviewers:
            return self.reviewers[agency]
        return self.reviewers[sorted(self.reviewers)[0]]

    # --- the steps (each its own use case, committed by the service) ---

    def event(self, uscc: str, item: int, days_ago: int, *, files: bool = False) -> int:
        description = self.rng.choice(list(_EVENTS[item]))
        view = credit.record_event(
            uow=self.uow,
            actor=self.reviewer(uscc),
            enterprise_uscc=uscc,
            item=item,
            date=self.today - timedelta(days=days_ago + self.rng.randint(1, 5)),
            description=description,
            files=[Upload("核查记录.pdf", _PDF)] if files else (),
            at=self.at(days_ago),
        )
        self.actions["credit:event"] += 1
        return view.id

    def schedule(self, uscc: str, events: list[int], days_ago: int, on: date) -> tuple[int, int]:
        agency = self.agency_of.get(uscc, "")
        view = credit.schedule_interview(
            uow=self.uow,
            actor=self.reviewer(uscc),
            enterprise_uscc=uscc,
            event_ids=events,
            scheduled_on=on,
            place=f"{agency or '发证机构'}会议室",
            at=self.at(days_ago),
        )
        self.actions["credit:interview"] += 1
        return view.id, view.version

    def hold(self, uscc: str, interview: tuple[int, int], days_ago: int) -> int:
        view = credit.record_interview(
            uow=self.uow,
            actor=self.reviewer(uscc),
            interview_id=interview[0],
            version=interview[1],
            held_on=self.day(days_ago),
            attendees=["发证机构审核员", "企业法定代表人", "企业业务负责人"],
            minutes="企业对所涉事实无异议，说明了内部管理缺失的原因，承诺整改。",
            outcome="责令限期整改，提交整改报告及制度文件。",
            at=self.at(days_ago),
        )
        self.actions["credit:interview held"] += 1
        return view.id

    def order(
        self, uscc: str, events: list[int], days_ago: int, interview: int | None = None
    ) -> tuple[int, int]:
        view = credit.order_rectification(
            uow=self.uow,
            actor=self.reviewer(uscc),
            enterprise_uscc=uscc,
            event_ids=events,
            measures="建立出口车辆信息核验与申报复核制度；对业务人员开展培训；提交整改报告。",
            interview_id=interview,
            at=self.at(days_ago),
        )
        self.actions["credit:rectification"] += 1
        return view.id, view.version

    def submit(self, uscc: str, rect: tuple[int, int], days_ago: int) -> tuple[int, int]:
        view = credit.submit_rectification_evidence(
            uow=self.uow,
            actor=self.applicants[uscc],
            rectification_id=rect[0],
            version=rect[1],
            note="已建立信息核验与申报复核制度，完成全员培训，附制度文件与培训记录。",
            files=[Upload("整改报告.pdf", _PDF)],
            at=self.at(days_ago),
        )
        self.actions["credit:evidence"] += 1
        return view.id, view.version

    def accept(self, uscc: str, rect: tuple[int, int], days_ago: int) -> None:
        credit.accept_rectification(
            uow=self.uow,
            actor=self.reviewer(uscc),
            rectification_id=rect[0],
            version=rect[1],
            reason="整改材料齐全，经复查整改到位。",
            at=self.at(days_ago),
        )
        self.actions["credit:accepted"] += 1

    def suspend(self, uscc: str, days_ago: int) -> tuple[int, int]:
        view = credit.suspend(
            uow=self.uow,
            actor=self.reviewer(uscc),
            enterprise_uscc=uscc,
            reason="回溯期内多次失信，整改逾期未完成，暂停其出口许可申请资格。",
            at=self.at(days_ago),
        )
        self.actions["credit:suspended"] += 1
        return view.id, view.version

    def reinstate(self, uscc: str, suspension: tuple[int, int], days_ago: int) -> None:
        credit.reinstate(
            uow=self.uow,
            actor=self.reviewer(uscc),
            suspension_id=suspension[0],
            version=suspension[1],
            reason="整改已验收，经复查符合恢复条件，恢复其出口许可申请资格。",
            at=self.at(days_ago),
        )
        self.actions["credit:reinstated"] += 1

    def login_for(self, uscc: str, username: str) -> None:
        """A demo login for an exporter that files nothing (so it can send evidence)."""
        org = accounts.find_org_by_uscc(uow=self.uow, kind=OrgKind.EXPORTER, uscc=uscc)
        if org is None:
            return
        user = accounts.add_user(
            uow=self.uow,
            username=username,
            password=DEMO_PASSWORD,
            role=Role.APPLICANT.value,
            org_id=org.id,
        )
        self.applicants[uscc] = accounts.actor_of(user)
        self.logins[uscc] = username


STATES = (
    "clean",
    "events",
    "interview scheduled",
    "rectifying",
    "evidence submitted",
    "overdue",
    "suspended",
    "related to a suspended one",
    "reinstated",
    RELATED_ORIGIN,
)


def plan_credit_states(world: DemoWorld, people: People) -> dict[str, str]:
    """Which enterprise (USCC) takes which state: pure, the same for the same world.

    A pair sharing a legal representative (另设企业) gives the suspended one (the one
    with more events) and the one related to it; the exporters with logins act out the
    states a demo user walks through (rectifying, evidence submitted, overdue);
    exporters that file nothing and have no events, in an order drawn from the seed,
    the rest."""
    rng = random.Random(world.seed * 1000 + _SEED_SALT)
    logins = {
        u.org.uscc
        for u in people.users
        if u.role == Role.APPLICANT and u.org is not None and u.org.uscc is not None
    }
    filing = [u for u in people.filing if u in logins]
    with_events = {e.enterprise_uscc for e in world.facts.credit_events}
    counts = Counter(e.enterprise_uscc for e in world.facts.credit_events)
    others = sorted(e.uscc for e in world.facts.enterprises if e.uscc not in set(people.filing))
    rng.shuffle(others)
    plan: dict[str, str] = {}
    by_person: dict[str, list[str]] = {}
    for e in world.facts.enterprises:
        if e.legal_representative_id:
            by_person.setdefault(e.legal_representative_id, []).append(e.uscc)
    pairs = sorted(sorted(group) for group in by_person.values() if len(group) > 1)
    decided = [d.enterprise_uscc for d in world.facts.suspensions]
    if decided:
        plan["suspended"] = decided[0]  # the world's own decision (FACTS suspensions)
    if pairs:
        # 另设企业: the pair's origin (more events) is suspended here too, so that the
        # other company is related to a suspended one.
        origin = max(pairs[0], key=lambda u: (counts[u], u in people.filing, u))
        plan.setdefault("suspended", origin)
        if origin != plan["suspended"]:
            plan[RELATED_ORIGIN] = origin
        plan["related to a suspended one"] = next(u for u in pairs[0] if u != origin)
    elif others:
        plan.setdefault("suspended", others[0])
    used = set(plan.values())
    filing = [u for u in filing if u not in used]
    for state, uscc in zip(("rectifying", "evidence submitted", "overdue"), filing, strict=False):
        plan[state] = uscc
    # An exporter that files here has the checker's events of its failing submissions
    # (events_from_findings): the clean one, and the rest, file nothing here.
    fresh = [u for u in others if u not in with_events and u not in set(plan.values())]
    states = ("clean", "events", "interview scheduled", "reinstated")
    for state, uscc in zip(states, fresh, strict=False):
        plan[state] = uscc
    return plan


def add_credit_states(
    *,
    uow: UnitOfWork,
    world: DemoWorld,
    people: People,
    actors: dict[str, Actor],
    today: date,
) -> tuple[Counter[str], list[CreditState]]:
    """Put the world's enterprises in every credit state (module docstring,
    plan_credit_states); the actions taken, by name, and who is in which state."""
    run = _Run(uow, world, people, actors, today)
    if not run.reviewers:
        return Counter(), []
    plan = plan_credit_states(world, people)
    counts = Counter(e.enterprise_uscc for e in world.facts.credit_events)

    decisions = {d.enterprise_uscc: d for d in world.facts.suspensions}
    if plan.get("suspended") in decisions:
        # The same decision as the world's FACTS hold (the first suspension made here
        # gets its number, CS-2026-000001): the store's check and the file's agree.
        decision = decisions[plan["suspended"]]
        when = datetime.combine(decision.suspended_on, time(9), OFFICE_ZONE)
        credit.suspend(
            uow=uow,
            actor=run.reviewer(decision.enterprise_uscc),
            enterprise_uscc=decision.enterprise_uscc,
            reason=decision.reason or "",
            at=when,
        )
        run.actions["credit:suspended"] += 1
    for origin in [plan[k] for k in ("suspended", RELATED_ORIGIN) if k in plan]:
        if origin in decisions:
            continue
        events = [
            run.event(origin, 5, 70, files=True),
            run.event(origin, run.rng.choice((4, 7)), 65),
        ]
        if counts[origin] < 1:
            events.append(run.event(origin, 7, 62))
        run.order(origin, events, 60)
        # An exporter that files here: suspended only from yesterday, after its last filing.
        run.suspend(origin, 1 if origin in people.filing else 20)
    if "rectifying" in plan:
        uscc = plan["rectifying"]
        event = run.event(uscc, 5, 30, files=True)
        interview = run.schedule(uscc, [event], 28, run.day(22))
        held = run.hold(uscc, interview, 22)
        run.order(uscc, [event], 12, held)
    if "evidence submitted" in plan:
        uscc = plan["evidence submitted"]
        event = run.event(uscc, 7, 45)
        rect = run.order(uscc, [event], 25)
        run.submit(uscc, rect, 2)
    if "overdue" in plan:
        uscc = plan["overdue"]
        event = run.event(uscc, 2, 75, files=True)
        interview = run.schedule(uscc, [event], 70, run.day(66))
        held = run.hold(uscc, interview, 66)
        run.order(uscc, [event], 60, held)
    if "events" in plan:
        run.event(plan["events"], run.rng.choice((5, 7)), 20)
    if "interview scheduled" in plan:
        uscc = plan["interview scheduled"]
        found = [run.event(uscc, 5, 26), run.event(uscc, 1, 21)]
        run.schedule(uscc, found, 3, today + timedelta(days=4))
    if "reinstated" in plan:
        uscc = plan["reinstated"]
        run.login_for(uscc, REINSTATED_USERNAME)
        found = [run.event(uscc, 5, 300), run.event(uscc, 5, 290), run.event(uscc, 4, 280)]
        rect = run.order(uscc, found, 275)
        suspension = run.suspend(uscc, 240)
        rect = run.submit(uscc, rect, 220)
        run.accept(uscc, rect, 210)
        run.reinstate(uscc, suspension, 200)
    chosen = [
        CreditState(state, plan[state], run.names.get(plan[state]), run.logins.get(plan[state]))
        for state in STATES
        if state in plan
    ]
    return run.actions, chosen
