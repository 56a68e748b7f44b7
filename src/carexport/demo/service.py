"""Use cases of the demo: is the store still empty, and load a generated world into it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from carexport.db import UnitOfWork
from carexport.demo.world import DemoWorld
from carexport.errors import CarexportError
from carexport.feeds import service as feeds


def store_holds_registrations(*, uow: UnitOfWork) -> bool:
    """Whether any registration is stored (then `--if-empty` leaves the store alone)."""
    return feeds.holds_registrations(uow=uow)


def load_world(*, uow: UnitOfWork, world: DemoWorld) -> dict[str, int]:
    """Upsert the world's facts in one transaction (load_facts commits); rows per collection.

    The applications are not stored: the store has no application service yet, so the
    command writes them as APPLICATION.json files instead.
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
