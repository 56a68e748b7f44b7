"""Use cases of the demo: is the store still empty, and load a generated world into it:
its facts and later feeds, its organisations and demo users, and a year of its
applications filed and decided in the workflow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind
from carexport.applications import service as applications
from carexport.db import UnitOfWork
from carexport.demo.credit import add_credit_states
from carexport.demo.people import DemoOrg, People
from carexport.demo.tables import DEMO_KEYS_FROM
from carexport.demo.workflow import file_applications, last_numbers
from carexport.demo.world import DemoWorld
from carexport.documents import keys
from carexport.errors import CarexportError
from carexport.feeds import service as feeds
from carexport.seals import generate_private_key


def store_holds_registrations(*, uow: UnitOfWork) -> bool:
    """Whether any registration is stored (then `--if-empty` leaves the store alone)."""
    return feeds.holds_registrations(uow=uow)


def load_world(*, uow: UnitOfWork, world: DemoWorld) -> dict[str, int]:
    """Upsert the world's facts in one transaction (load_facts commits); rows per collection.

    The applications are not facts: `load_workflow` files a year of them.
    """
    return feeds.load_facts(uow=uow, facts=world.facts)


class DemoFeedRejected(CarexportError):
    """A generated feed file did not import: a bug in the generator, never the user's."""

    def __init__(self, kind: str, problems: list[str]) -> None:
        self.kind = kind
        self.problems = problems
        super().__init__(
            f"演示数据 {kind} 导入失败 / the demo's {kind} feed was rejected: "
            + "; ".join(problems)
        )


def load_feed_files(*, uow: UnitOfWork, files: dict[str, Path]) -> dict[str, int]:
    """Import the world's feed files (outlets, licenses, customs, deregistrations) by the
    path `carexport import KIND FILE` takes, all or nothing; rows loaded per feed.

    Each feed is its own transaction, as each `carexport import` is; the facts that
    load_world commits come first, so a load stopped in between leaves a world that
    lacks only its later feeds, and running the load again completes it (upserts).
    """
    counts: dict[str, int] = {}
    for kind, path in files.items():
        problems: list[str] = []
        result = feeds.import_feed(uow=uow, kind=kind, path=path, on_problem=_collect(problems))
        if not result.committed:
            raise DemoFeedRejected(kind, problems[:3])
        counts[kind] = result.rows_loaded
    return counts


def _collect(problems: list[str]) -> Callable[[Any], None]:
    return lambda problem: problems.append(str(problem))


def _org_key(kind: str, name: str, uscc: str | None) -> tuple[str, str]:
    return (kind, uscc if uscc is not None else name)


def add_people(*, uow: UnitOfWork, people: People) -> dict[str, Actor]:
    """The world's organisations and the demo users (those already there are kept, so a
    second load adds only what is missing); each demo user as an Actor, by username."""
    existing = {_org_key(o.kind, o.name, o.uscc): o.id for o in accounts.list_orgs(uow=uow)}

    def org_id(org: DemoOrg) -> int:
        key = _org_key(org.kind.value, org.name, org.uscc)
        if key not in existing:
            added = accounts.add_org(
                uow=uow, kind=org.kind.value, name=org.name, uscc=org.uscc, region=org.region
            )
            existing[key] = added.id
        return existing[key]

    for org in people.orgs:
        org_id(org)
    users = {u.username: u for u in accounts.list_users(uow=uow)}
    for demo_user in people.users:
        if demo_user.username not in users:
            accounts.add_user(
                uow=uow,
                username=demo_user.username,
                password=demo_user.password,
                role=demo_user.role.value,
                org_id=None if demo_user.org is None else org_id(demo_user.org),
            )
    users = {u.username: u for u in accounts.list_users(uow=uow)}
    return {u.username: accounts.actor_of(users[u.username]) for u in people.users}


def add_signing_keys(*, uow: UnitOfWork, world: DemoWorld, people: People) -> int:
    """Give every manufacturer and agency of the world a signing key valid from
    DEMO_KEYS_FROM, unless it has one: a manufacturer the key its confirmations were
    sealed with (so the store's key, the facts' public_key and each confirmation's key_id
    agree), an agency a fresh one (its licenses are signed in the workflow). Keys made."""
    made = 0
    for org in people.orgs:
        if org.kind not in (OrgKind.MANUFACTURER, OrgKind.AGENCY):
            continue
        found = (
            accounts.find_org_by_uscc(uow=uow, kind=org.kind, uscc=org.uscc)
            if org.uscc is not None
            else accounts.find_agency(uow=uow, name=org.name)
        )
        if found is None or keys.keys_of_org(session=uow.session, org_id=found.id):
            continue
        private_key = (
            world.signing_keys.get(org.uscc) if org.uscc is not None else None
        ) or generate_private_key()
        keys.store_key(
            session=uow.session,
            org_id=found.id,
            private_key=private_key,
            valid_from=DEMO_KEYS_FROM,
            by=None,
        )
        made += 1
    uow.commit()
    return made


def load_workflow(
    *,
    uow: UnitOfWork,
    world: DemoWorld,
    people: People,
    licenses: list[dict[str, Any]],
    today: date,
) -> Counter[str]:
    """The organisations, the demo users, and the filing exporters' applications from
    `people.since` to `today` through the workflow; the actions taken, by name.

    `licenses` are the licenses-feed rows already loaded (numbered by the former
    system): the workflow's numbers continue after them. Does nothing to the
    applications when the store holds some already (`--if-empty` aside, a second
    `demo generate` must not file the year twice).
    """
    actors = add_people(uow=uow, people=people)
    add_signing_keys(uow=uow, world=world, people=people)
    for (region, year), last in sorted(last_numbers(licenses).items()):
        applications.continue_numbering(uow=uow, region=region, year=year, last=last)
    if applications.holds_applications(uow=uow):
        return Counter()
    actions = file_applications(uow=uow, world=world, people=people, actors=actors, today=today)
    # After the filing: a suspension must not predate an application it would refuse.
    credit_actions, _ = add_credit_states(
        uow=uow, world=world, people=people, actors=actors, today=today
    )
    return actions + credit_actions
