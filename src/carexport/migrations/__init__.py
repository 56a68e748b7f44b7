"""Alembic migrations, shipped inside the package so an installed carexport can migrate.

`script_location` is set here rather than in an alembic.ini, which would have to sit in
the current directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent

# Alembic (with Mako and Pygments) is imported only to migrate: commands that merely ask
# `is_migrated`, such as `carexport whatif`, start 0.3-0.6 s sooner without it (ADR 0030).


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    # env.py runs on this engine, so tests and the CLI migrate the database they use.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def is_migrated(engine: Engine) -> bool:
    """True when the schema has been created (there is an Alembic version row table)."""
    return inspect(engine).has_table("alembic_version")
