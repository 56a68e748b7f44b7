"""Use cases of the demo: is the store still empty, and load a generated world into it."""

from __future__ import annotations

from sqlalchemy import select

from carexport.db import UnitOfWork
from carexport.demo.world import DemoWorld
from carexport.feeds import service as feeds
from carexport.feeds.models import Registration


def store_holds_registrations(*, uow: UnitOfWork) -> bool:
    """Whether any registration is stored (then `--if-empty` leaves the store alone)."""
    return uow.session.execute(select(Registration.id).limit(1)).first() is not None


def load_world(*, uow: UnitOfWork, world: DemoWorld) -> dict[str, int]:
    """Upsert the world's facts in one transaction (load_facts commits); rows per collection.

    The applications are not stored: the store has no application service yet, so the
    command writes them as APPLICATION.json files instead.
    """
    return feeds.load_facts(uow=uow, facts=world.facts)
