"""Alembic environment: the metadata of every feature's models, on the given engine."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import carexport.accounts.models
import carexport.applications.models
import carexport.audit.models
import carexport.credit.models
import carexport.documents.confirmations_models
import carexport.documents.models
import carexport.feeds.models
import carexport.jobs.models  # noqa: F401  (registers the tables on Base.metadata)
from carexport.db import Base, make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine = context.config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
