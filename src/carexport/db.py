"""The engine and the unit of work.

Only service functions commit (STYLE.md): they open a `UnitOfWork`, do their work on
`uow.session` and call `uow.commit()` once. Leaving the block without a commit, or by an
exception, rolls everything back, so a failed use case leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event, exc
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session

from carexport.config import get_settings
from carexport.errors import CarexportError

# Named constraints, so Alembic migrations can drop and alter them by name on both
# databases (SQLite's batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A UTC instant on both databases: aware datetimes in, aware UTC datetimes out.

    SQLite keeps no time zone and hands back naive datetimes; without this the same row
    would read back differently on the two databases (and the audit chain's hashes,
    computed over the timestamp, would not agree).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcDateTime needs an aware datetime")
        utc = value.astimezone(UTC)
        # SQLite stores the text as given: store it naive in UTC, read back as UTC.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite. WAL lets readers (the web app) go on
    # while an import writes, and keeps a killed writer's transaction invisible: its
    # frames are never committed to the WAL, so the next open discards them.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_URL_HINT = (
    "设置 CAREXPORT_DATABASE_URL 为 sqlite:///PATH 或 postgresql+psycopg://USER@HOST/DB / "
    "set CAREXPORT_DATABASE_URL to sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
)


class DatabaseUnavailable(CarexportError):
    """The configured database cannot be used: what is wrong, and what to do."""

    def __init__(self, what: str, hint: str) -> None:
        self.what = what
        self.hint = hint
        super().__init__(f"{what}; {hint}")


def _reason(error: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's wrapping and links."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {_sqlite_path(url) or url.database}"
    return url.render_as_string(hide_password=True)


def explain_database_error(error: BaseException) -> DatabaseUnavailable | None:
    """For the CLI's last guard: a database error that escaped a command (one raised on a
    driver connection, past the engine's listener) about the configured database."""
    try:
        url: URL | None = make_url(normalize_url(get_settings().database_url))
    except Exception:
        url = None
    return database_unavailable(error, url)


# Driver messages that mean the database cannot be used at all, whatever the work.
_UNUSABLE = ("readonly database", "read-only transaction", "database or disk is full")


def database_unavailable(
    error: BaseException, url: URL | None = None, *, connecting: bool = False
) -> DatabaseUnavailable | None:
    """`error` as a DatabaseUnavailable when it means the database cannot be used at all
    (cannot connect or open, read-only, full, connection lost); None for the errors that
    belong to the work itself (constraints, SQL), which their callers handle."""
    original = getattr(error, "orig", None) or error
    message = str(original).lower()
    reason = _reason(error)
    where = _where(url) if url is not None else "the database (CAREXPORT_DATABASE_URL)"
    if "readonly database" in message or "read-only transaction" in message:
        return DatabaseUnavailable(
            f"数据库只读 / the database is read-only: {where} ({reason})",
            "让该文件及其目录可写，或设置 CAREXPORT_DATABASE_URL 指向可写的数据库 / "
            "make it (and its directory) writable, or point CAREXPORT_DATABASE_URL elsewhere",
        )
    if "database or disk is full" in message:
        return DatabaseUnavailable(
            f"磁盘已满 / the disk is full: {where} ({reason})",
            "释放磁盘空间后重试 / free some space and try again",
        )
    if "unable to open database file" in message:
        return DatabaseUnavailable(
            f"无法打开数据库 / cannot open the {where} ({reason})",
            "检查路径及其目录的权限 / check the path and the permissions of its directory, "
            "or set CAREXPORT_DATABASE_URL",
        )
    if "database is locked" in message:
        return DatabaseUnavailable(
            f"数据库被另一进程锁定 / the database is locked by another process: {where}",
            "等它结束后重试 / try again when it has finished",
        )
    is_operational = isinstance(error, exc.OperationalError | exc.InterfaceError) or type(
        original
    ).__name__ in {"OperationalError", "InterfaceError"}
    if not is_operational:
        return None
    if connecting:
        return DatabaseUnavailable(
            f"无法连接数据库 / cannot connect to {where}: {reason}",
            "确认数据库服务已启动、地址与权限正确 / check that the server is running and "
            "that CAREXPORT_DATABASE_URL (host, port, user, database) is right",
        )
    return DatabaseUnavailable(
        f"数据库出错 / the database failed: {where}: {reason}",
        "确认数据库可访问、可写后重试 / check that it is reachable and writable, then try again",
    )


def _translate_unusable(url: URL) -> Callable[[ExceptionContext], None]:
    """A `handle_error` listener: a database that cannot be used is a DatabaseUnavailable
    for every caller (CLI, web, services), with the URL it concerns."""

    def handle_error(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects on its own; a failed ping is not final
        original = context.original_exception
        connecting = context.connection is None
        message = str(original).lower()
        if connecting or context.is_disconnect or any(text in message for text in _UNUSABLE):
            translated = database_unavailable(
                context.sqlalchemy_exception or original, url, connecting=connecting
            )
            if translated is not None:
                raise translated from original

    return handle_error


def _sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, also in its URI form (`sqlite:///file:PATH?mode=ro&uri=true`)."""
    database = url.database
    if not database or database == ":memory:":
        return None
    if url.query.get("uri") == "true":
        if not database.startswith("file:") or "mode=memory" in database:
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: the settings), SQLite with its pragmas set.

    Raises DatabaseUnavailable for a URL that names no database we can use; connecting
    and writing raise it later when the database cannot be reached, opened or written.
    """
    url = normalize_url(url or get_settings().database_url)
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        # The value is not echoed: it may hold a password.
        raise DatabaseUnavailable(
            "CAREXPORT_DATABASE_URL 不是数据库地址 / CAREXPORT_DATABASE_URL is not a database URL",
            _URL_HINT,
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            path = _sqlite_path(parsed)
            if path is not None:
                directory = path.parent
                try:
                    directory.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise DatabaseUnavailable(
                        f"无法建立数据库目录 / cannot create the directory {directory} of the "
                        f"SQLite file: {error.strerror}",
                        "检查权限 / check its permissions, or " + _URL_HINT.split(" / ")[1],
                    ) from None
            engine = create_engine(parsed, **kwargs)
            event.listen(engine, "connect", _sqlite_on_connect)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (exc.NoSuchModuleError, exc.ArgumentError, ImportError) as error:
        raise DatabaseUnavailable(
            f"不支持的数据库或未安装的驱动 / unknown database or driver not installed: "
            f"{parsed.render_as_string(hide_password=True)} ({_reason(error)})",
            _URL_HINT,
        ) from None
    event.listen(engine, "handle_error", _translate_unusable(parsed))
    return engine


@cache
def default_engine() -> Engine:
    """The engine of the configured database, made once per process."""
    return make_engine()


class UnitOfWork:
    """One session, one transaction: `commit()` is explicit, anything else rolls back.

    with UnitOfWork() as uow:
        ...  # work on uow.session
        uow.commit()
    """

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or default_engine()
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = Session(self.engine, expire_on_commit=False, autoflush=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # Whatever was not committed is undone; after a commit this is a no-op.
            session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
