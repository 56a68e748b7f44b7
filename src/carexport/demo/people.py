"""Who works in the demo: the organisations of the world and the demo users, chosen
from a generated world without any I/O (the same world, the same people).

Every enterprise of the world becomes an exporter organisation, every manufacturer a
manufacturer, every issuing agency the applications name an agency with its GB/T 2260
province code, plus the ministry as the monitor. Logins exist only for a few of them:
hashing a password with argon2id takes about 0.15 s, so a login for each of the
world's hundreds of exporters would cost a minute of `make run`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from carexport.accounts.enums import OrgKind, Role
from carexport.demo.problems import Problem
from carexport.demo.tables import LAW_2026, PROVINCES, Province
from carexport.demo.world import DemoWorld

# DEMO ONLY: every demo user logs in with this password (README, "Demo users / 演示账号").
# A demo store is never a production store; change it with `carexport user add` there.
DEMO_PASSWORD = "carexport-demo-2026"

MONITOR_NAME = "商务部对外贸易司"
# How many exporters file in the workflow (each with a login), and how many of them at
# most per province, so that several agencies have a queue.
WORKFLOW_EXPORTERS = 8
PER_PROVINCE = 2
# The workflow holds the applications of the last WORKFLOW_DAYS days (about a year).
WORKFLOW_DAYS = 330
# Exporters whose 2026 applications the checker sends to review (credit): one of them
# files in the workflow, so that a countersign shows.
_REVIEW_CREDIT = (Problem.CREDIT_REPEATED, Problem.CREDIT_SERIOUS, Problem.CREDIT_RELATED_PARTY)

_LATELY_DAYS = 30
AGENCY_REGION = {p.agency: p.districts[0][0][:2] for p in PROVINCES}
_PROVINCE_OF_AGENCY: dict[str, Province] = {p.agency: p for p in PROVINCES}


@dataclass(frozen=True)
class DemoOrg:
    kind: OrgKind
    name: str
    uscc: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    org: DemoOrg | None  # None for admin
    password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class People:
    orgs: list[DemoOrg]
    users: list[DemoUser]
    # The exporters (USCC) whose applications of the workflow period are filed in the
    # workflow, and from when.
    filing: list[str]
    since: date


def workflow_since(today: date) -> date:
    return max(LAW_2026, today - timedelta(days=WORKFLOW_DAYS))


def choose_people(world: DemoWorld, *, today: date) -> People:
    """The organisations and demo users of `world`, and which exporters file here."""
    since = workflow_since(today)
    names = {e.uscc: e.name for e in world.facts.enterprises}
    agency_of: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for application in world.applications:
        uscc = application.enterprise_uscc
        if application.issuing_agency is not None:
            agency_of.setdefault(uscc, application.issuing_agency)
        if since <= application.submitted_on <= today and uscc in names:
            counts[uscc] += 1
    review = {
        i.enterprise_uscc
        for i in world.injections
        if i.problem in _REVIEW_CREDIT and i.enterprise_uscc is not None
    }
    # An exporter suspended from filing (FACTS suspensions) files nothing here: its
    # submissions would be refused (CREDIT.SUSPENDED).
    suspended = {s.enterprise_uscc for s in world.facts.suspensions}
    for uscc in suspended:
        counts.pop(uscc, None)
    ranked = sorted(counts, key=lambda uscc: (-counts[uscc], uscc))
    # The one under review files often and lately, so that a countersign is open today.
    lately: Counter[str] = Counter(
        a.enterprise_uscc
        for a in world.applications
        if today - timedelta(days=_LATELY_DAYS) < a.submitted_on <= today
    )
    under_review = sorted(review & set(counts), key=lambda u: (-lately[u], -counts[u], u))
    filing: list[str] = []
    per_province: Counter[str] = Counter()
    # One exporter under review for its credit, then the busiest, spread over provinces.
    candidates = under_review[:1] + ranked
    for uscc in candidates:
        agency = agency_of.get(uscc)
        if uscc in filing or agency is None or per_province[agency] >= PER_PROVINCE:
            continue
        filing.append(uscc)
        per_province[agency] += 1
        if len(filing) == WORKFLOW_EXPORTERS:
            break

    exporters = {
        e.uscc: DemoOrg(OrgKind.EXPORTER, e.name or e.uscc, uscc=e.uscc)
        for e in world.facts.enterprises
    }
    manufacturers = [
        DemoOrg(OrgKind.MANUFACTURER, m.name or m.uscc, uscc=m.uscc)
        for m in world.facts.manufacturers
    ]
    named = sorted({a for a in agency_of.values()}, key=lambda a: AGENCY_REGION.get(a, "99"))
    agencies = {a: DemoOrg(OrgKind.AGENCY, a, region=AGENCY_REGION.get(a, "12")) for a in named}
    monitor = DemoOrg(OrgKind.MONITOR, MONITOR_NAME)

    users: list[DemoUser] = [DemoUser("admin", Role.ADMIN, None)]
    numbers: Counter[str] = Counter()
    for uscc in filing:
        code = _code(agency_of[uscc])
        numbers[code] += 1
        users.append(DemoUser(f"{code}-exporter{numbers[code]}", Role.APPLICANT, exporters[uscc]))
    for agency in sorted({agency_of[u] for u in filing}, key=lambda a: AGENCY_REGION.get(a, "")):
        code = _code(agency)
        users.append(DemoUser(f"{code}-reviewer", Role.REVIEWER, agencies[agency]))
        users.append(DemoUser(f"{code}-senior", Role.SENIOR_REVIEWER, agencies[agency]))
    for i, manufacturer in enumerate(manufacturers[:2], start=1):
        users.append(DemoUser(f"issuer{i}", Role.ISSUER, manufacturer))
    users.append(DemoUser("monitor", Role.MONITOR, monitor))
    orgs = [*exporters.values(), *manufacturers, *agencies.values(), monitor]
    return People(orgs=orgs, users=users, filing=filing, since=since)


def _code(agency: str) -> str:
    province = _PROVINCE_OF_AGENCY.get(agency)
    return "x" if province is None else province.code.lower()
