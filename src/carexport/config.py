"""Settings: one object, read from the environment (prefix CAREXPORT_) through a cached getter."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREXPORT_", extra="ignore")

    # Relative to the current directory, so `make run` in a fresh clone needs nothing
    # else; db.make_engine creates the var/ directory. PostgreSQL in production:
    # CAREXPORT_DATABASE_URL=postgresql+psycopg://user@host/dbname
    database_url: str = "sqlite:///var/carexport.sqlite3"


@cache
def get_settings() -> Settings:
    return Settings()
