"""The demo world loads into the store through the feeds service, on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from carexport.db import UnitOfWork
from carexport.demo import generate_world
from carexport.demo import service as demo
from carexport.demo.files import write_feeds
from carexport.feeds.models import CustomsDeclaration, CustomsDeclarationVin, Deregistration, Outlet


def _count(engine: Engine, table: type) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_outlets_customs_and_deregistrations_load_and_reload_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    world = generate_world(vehicles=150, seed=5)
    files = write_feeds(world.feeds, tmp_path)

    for _ in range(2):  # a second load upserts the same rows: nothing changes
        with UnitOfWork(engine) as uow:
            demo.load_world(uow=uow, world=world)
        with UnitOfWork(engine) as uow:
            counts = demo.load_feed_files(uow=uow, files=files)

        assert counts["outlets"] == len(world.feeds["outlets"]) == _count(engine, Outlet)
        assert _count(engine, CustomsDeclaration) == len(world.feeds["customs"]) > 0
        assert _count(engine, CustomsDeclarationVin) == sum(
            len(d["vins"]) for d in world.feeds["customs"]
        )
        assert _count(engine, Deregistration) == len(world.feeds["deregistrations"]) > 0
