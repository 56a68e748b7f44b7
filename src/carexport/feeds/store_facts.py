"""The checker's door to the store: the facts of one application, read from the database."""

from __future__ import annotations

from carexport.db import UnitOfWork, default_engine
from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.errors import CarexportError
from carexport.feeds import service
from carexport.migrations import is_migrated


class StoreNotReady(CarexportError):
    """The database has no schema yet."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"数据库尚未初始化，请先运行 carexport db upgrade / "
            f"the database has no schema yet: run `carexport db upgrade` ({url})"
        )


def facts_from_store(application: Application) -> Facts:
    engine = default_engine()
    if not is_migrated(engine):
        raise StoreNotReady(engine.url.render_as_string(hide_password=True))
    with UnitOfWork(engine) as uow:
        return service.facts_for_application(uow=uow, application=application)
