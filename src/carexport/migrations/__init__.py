"""Alembic migrations, shipped inside the package so an installed carexport can migrate.

`script_location` is set here rather than in an alembic.ini, which would have to sit in
the current directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    # env.py runs on this engine, so tests and the CLI migrate the database they use.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def is_migrated(engine: Engine) -> bool:
    """True when the schema has been created (there is an Alembic version row table)."""
    return inspect(engine).has_table("alembic_version")
