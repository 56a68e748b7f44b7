"""Bulk upserts by natural key inside the caller's transaction: the fast path of every feed.

Storage plumbing shared by the features (like db.py): each feature declares the tables
it owns as `RecordTable`s in its service, and only that service hands them out, so the
feeds importer and `load_facts` write a license or a credit event the owner's way.

PostgreSQL: rows are streamed with COPY into temporary tables (one per target) while the
caller is still reading and validating the file, then merged with one
`INSERT … SELECT … ON CONFLICT DO UPDATE` per table. SQLite: batches of
`INSERT … ON CONFLICT DO UPDATE` through `executemany`. Either way nothing is committed
here; the service commits once, so a killed import leaves the database as it was.

Parts of a record (a manufacturer's brands, a declaration's VINs) are replaced whole:
the parts of every parent written are deleted, then the new parts inserted.

Columns a file does not have (issue 15): a batch may say which of the parent's columns
it sets (`columns`); on a conflict the others keep their stored value (a new record gets
the values given, the declared defaults). Parts are replaced only for the parent rows
whose batch names the part target in `parts`. SQLite: one upsert statement per set of
columns. PostgreSQL: each staged row carries its set as a mask (NULL: all columns); one
set in the staging table merges with `ON CONFLICT DO UPDATE SET <those columns>`,
several (JSON Lines rows with different keys) with `INSERT … ON CONFLICT DO NOTHING`
then one `UPDATE … FROM` that keeps, column by column, what a row's mask leaves out.

PostgreSQL, frames (`write_frame`, the columnar path): COPY runs on a background thread
(the connection is used by that thread alone until `drain()`), so the server works on
one block while the caller reads and checks the next; still one connection, one
transaction. A table that is empty when its first frame arrives (under a lock that
keeps other writers out) is loaded directly: its indexes are dropped inside the
transaction, the rows are copied into it, and the indexes are built again before the
commit (decision 0006). A kill at any moment rolls all of it back.

One writer per table at a time (issue 15): two imports used to meet inside the
database, on SQLite as a 30-second wait ending in `database is locked`, on PostgreSQL
as a deadlock when two files held the same keys in opposite orders. A writer now
takes its tables before writing anything, waiting at most `lock_wait` seconds
(`Settings.import_lock_wait_seconds`, default 0: refuse at once), and otherwise
raises `StoreBusy`, which says another import is running. PostgreSQL: a
transaction-scoped advisory lock per table, taken in name order (so two writers of
overlapping tables cannot each hold what the other waits for); imports of different
feeds still run side by side. SQLite, which has one writer per database anyway:
`BEGIN IMMEDIATE` with the busy timeout set to the wait.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Connection, Table, exc

from carexport.errors import CarexportError

if TYPE_CHECKING:  # frames come from the columnar path, which has Polars loaded already
    import polars as pl


@dataclass(frozen=True)
class Target:
    """A table written by natural key: `key` is its unique column (for parts: the
    column naming the parent, whose parts are replaced whole)."""

    table: Table
    columns: tuple[str, ...]
    key: str
    is_part: bool = False

    @property
    def key_index(self) -> int:
        return self.columns.index(self.key)

    @property
    def name(self) -> str:
        return self.table.name


Row = tuple[Any, ...]
# The columns of a parent row that a batch sets; None: every column.
Columns = frozenset[str] | None
_MASK = "carexport_present"  # the staging tables' column holding each row's mask


@dataclass(frozen=True)
class RecordTable:
    """A record's table, its optional part table and how a record becomes their rows.

    `build(record)` reads the record's attributes by name (a validated feed row or a
    FACTS row) and returns the row, or `(row, part_rows)` when there is a part table.
    `derived_from`: (column, the fields it is computed from) for columns named after no
    field, so that a file lacking those fields keeps them too.
    """

    target: Target
    build: Callable[[Any], Any]
    part: Target | None = None
    derived_from: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def targets(self) -> list[Target]:
        """The targets in BulkWriter's order: the part right after its parent."""
        return [self.target] + ([self.part] if self.part is not None else [])

    def rows(self, record: Any) -> tuple[Row, Sequence[Row]]:
        built = self.build(record)
        return built if self.part is not None else (built, ())

    def write(self, writer: BulkWriter, rows: Sequence[Row], parts: Sequence[Row]) -> None:
        writer.write(self.target, rows, {self.part: parts} if self.part is not None else None)


def table_target(model: type[Any], key: str, *, part: bool = False) -> Target:
    """A target of every column of the mapped class's table but its surrogate `id`."""
    table: Table = model.__table__
    columns = tuple(c.name for c in table.columns if c.name != "id")
    return Target(table=table, columns=columns, key=key, is_part=part)


def iso(day: date | None) -> str | None:
    """Dates go to the driver as ISO text (the same on SQLite and in COPY)."""
    return None if day is None else day.isoformat()


def natural_key(*parts: object) -> str:
    """One text key from several values: "|" joins them and cannot be confused with
    content, because every part is escaped."""
    return "|".join(
        "" if p is None else str(p).replace("\\", "\\\\").replace("|", "\\|") for p in parts
    )


class StoreBusy(CarexportError):
    """Another import (or load) is writing the same tables: nothing was written."""

    def __init__(self, tables: Sequence[str], waited: float) -> None:
        self.tables = tuple(tables)
        self.waited = waited
        names = ", ".join(tables)
        super().__init__(
            f"另一个导入正在写入（{names}），请等它结束后重试（等待{waited:g}秒，"
            f"CAREXPORT_IMPORT_LOCK_WAIT_SECONDS） / another import is running and writing "
            f"{names}; try again when it has finished (waited {waited:g} s, "
            "CAREXPORT_IMPORT_LOCK_WAIT_SECONDS)"
        )


_POLL_SECONDS = 0.05  # PostgreSQL: how often a waiting writer tries its locks again


def _lock_tables(connection: Connection, tables: Sequence[str], wait: float) -> None:
    """Take the right to write `tables` for this transaction, or raise StoreBusy."""
    names = sorted(set(tables))
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is None or driver.in_transaction:
            return  # the caller's transaction has written already: it holds the lock
        previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {max(int(wait * 1000), 0)}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except exc.OperationalError as error:
            if "locked" not in str(error.orig).lower() and "busy" not in str(error.orig).lower():
                raise
            raise StoreBusy(names, wait) from None
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous or 0)}")
        return
    deadline = time.monotonic() + max(wait, 0.0)
    for name in names:
        while not connection.exec_driver_sql(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%(key)s, 0))",
            {"key": f"carexport.bulk.{name}"},
        ).scalar():
            if time.monotonic() >= deadline:
                raise StoreBusy(names, wait)
            time.sleep(_POLL_SECONDS)


@dataclass
class BulkWriter:
    """Writes rows (tuples in `Target.columns` order) for a set of targets.

    `write(parent, rows, parts)` takes one batch of parent rows and, for each part
    target, the parts of exactly those parents. Call `finish()` once at the end.
    """

    connection: Connection
    targets: Sequence[Target]
    # Seconds to wait for another writer of these tables (see the module docstring).
    lock_wait: float = 0.0
    _staged: set[str] = field(default_factory=set)
    # PostgreSQL, tables loaded directly (see the module docstring): name → the
    # statements that rebuild their indexes, run by finish().
    _direct: dict[str, list[str]] = field(default_factory=dict)
    _prepared: set[str] = field(default_factory=set)
    _queue: queue.Queue[tuple[str, bytes] | None] | None = None
    _thread: threading.Thread | None = None
    _error: BaseException | None = None
    # PostgreSQL: the masks staged per parent table (None: all columns, parts replaced).
    _masks: dict[str, set[str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dialect = self.connection.dialect.name
        if self.dialect == "sqlite":
            # A large page cache keeps the unique indexes in memory during the load;
            # temp_store keeps sort work off the disk. Both last for this connection only
            # and are set before BEGIN (temp_store cannot change inside a transaction).
            self.connection.exec_driver_sql("PRAGMA cache_size=-262144")
            self.connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
        elif self.dialect != "postgresql":  # pragma: no cover - the two supported databases
            raise NotImplementedError(self.dialect)
        _lock_tables(self.connection, [t.name for t in self.targets], self.lock_wait)
        if self.dialect == "postgresql":
            driver = self.connection.connection.driver_connection
            assert driver is not None
            self._pg = driver
            for target in self.targets:
                cols = ", ".join(target.columns)
                # Plain columns, no constraints: the unique keys are checked on merge.
                self.connection.exec_driver_sql(
                    f"CREATE TEMP TABLE IF NOT EXISTS {_stage(target)} ON COMMIT DROP AS "
                    f"SELECT {cols} FROM {target.name} WITH NO DATA"
                )
                if not target.is_part:
                    self.connection.exec_driver_sql(
                        f"ALTER TABLE {_stage(target)} ADD COLUMN IF NOT EXISTS {_MASK} text"
                    )
            self._copies: dict[str, Any] = {}

    def write(
        self,
        parent: Target,
        rows: Sequence[tuple[Any, ...]],
        parts: dict[Target, Sequence[tuple[Any, ...]]] | None = None,
        *,
        columns: Columns = None,
    ) -> None:
        """`columns`: the parent columns these rows set (None: all; the key always).
        The parts of these rows are replaced for each part target in `parts` (with the
        rows given, possibly none) and kept for the others."""
        if not rows:
            return
        parts = parts or {}
        columns = _normalised(parent, columns)
        if self.dialect == "sqlite":
            self._sqlite_write(parent, rows, parts, columns)
        else:
            mask = self._mask(parent, columns, parts)
            self._copy(parent, rows, mask)
            for target, part_rows in parts.items():
                self._copy(target, part_rows)

    def write_frame(self, target: Target, frame: pl.DataFrame, *, columns: Columns = None) -> None:
        """Rows of a target without parts, as a frame of exactly `target.columns`.

        PostgreSQL: the frame's CSV goes to COPY in one piece (no Python object per
        value); CSV distinguishes an empty string ("") from null (nothing), as COPY's
        CSV format does. SQLite: one `executemany` over tuples made from whole columns.
        `columns` as in `write`.
        """
        if not frame.height:
            return
        assert not target.is_part, target.name
        assert tuple(frame.columns) == target.columns, frame.columns
        columns = _normalised(target, columns)
        if self.dialect == "sqlite":
            cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                values = [series.to_list() for series in frame.iter_columns()]
                cursor.executemany(_sqlite_upsert(target, columns), zip(*values, strict=True))
            finally:
                cursor.close()
            return
        if target.name not in self._prepared:
            self.drain()  # the connection is the main thread's again
            self._prepare(target)
        cols = ", ".join(target.columns)
        mask = self._mask(target, columns, {})
        if mask is not None and target.name not in self._direct:
            import polars as pl

            frame = frame.with_columns(pl.lit(mask).alias(_MASK))
            cols += f", {_MASK}"
        data = frame.write_csv(include_header=False).encode()
        self._submit(f"COPY {self._destination(target)} ({cols}) FROM STDIN (FORMAT csv)", data)

    def _mask(
        self, parent: Target, columns: Columns, parts: dict[Target, Sequence[Row]]
    ) -> str | None:
        """A parent row's mask in the staging table: one 1/0 per column (set/kept), then
        1/0 for its parts (replaced/kept); None when everything is set."""
        part_targets = [t for t in self.targets if t.is_part and self._parent_of(t) is parent]
        replaced = all(t in parts for t in part_targets)
        mask = None
        if columns is not None or not replaced:
            flags = ["1" if columns is None or c in columns else "0" for c in parent.columns]
            mask = "".join(flags) + ("1" if replaced else "0")
        self._masks.setdefault(parent.name, set()).add(mask)
        return mask

    def drain(self) -> None:
        """Wait for the background COPYs; raises what one of them raised."""
        thread, self._thread = self._thread, None
        if thread is not None:
            assert self._queue is not None
            self._queue.put(None)
            thread.join()
            self._queue = None
        error, self._error = self._error, None
        if error is not None:
            raise error

    def abort(self) -> None:
        """drain() for a failed import: errors of the copies are dropped (the caller
        is raising already and the transaction is rolled back)."""
        with contextlib.suppress(Exception):
            self.drain()

    def _submit(self, statement: str, data: bytes) -> None:
        if self._error is not None:
            self.drain()  # raises it
        if self._thread is None:
            # Two blocks queued at most: memory stays bounded (~2 x 4 MiB of CSV).
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(
                target=self._copier, args=(self._queue,), name="bulk-copy", daemon=True
            )
            self._thread.start()
        assert self._queue is not None
        self._queue.put((statement, data))

    def _copier(self, jobs: queue.Queue[tuple[str, bytes] | None]) -> None:
        while (job := jobs.get()) is not None:
            if self._error is not None:
                continue  # keep taking jobs so the producer never blocks
            statement, data = job
            try:
                with self._pg.cursor() as cur, cur.copy(statement) as copy:
                    copy.write(data)
            except BaseException as exc:  # re-raised by drain()
                self._error = exc

    def _prepare(self, target: Target) -> None:
        """Decide, once per table, whether its rows go straight into it (empty) or
        through the staging table (merged by finish())."""
        self._prepared.add(target.name)
        if any(t.is_part and self._parent_of(t) is target for t in self.targets):
            self._staged.add(target.name)
            return
        table = target.name
        with self._pg.cursor() as cur:
            # SHARE ROW EXCLUSIVE: readers go on, but no other transaction can write
            # the table until we commit. The hazard it guards: a concurrent import
            # inserting rows (the same keys, say) between our emptiness check and our
            # load, which would then meet no unique index and be duplicated.
            cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cur.execute(
                f"SELECT NOT EXISTS (SELECT 1 FROM {table}), "
                "EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass)",
                (table,),
            )
            row = cur.fetchone()
            assert row is not None
            empty, referenced = row
            if not empty or referenced:
                self._staged.add(table)
                return
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid), conindid FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x') ORDER BY oid",
                (table,),
            )
            constraints = cur.fetchall()
            owned = {indid for _, _, indid in constraints}
            cur.execute(
                "SELECT indexrelid, indexrelid::regclass::text, pg_get_indexdef(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass ORDER BY 1",
                (table,),
            )
            indexes = [(name, ddl) for oid, name, ddl in cur.fetchall() if oid not in owned]
            # Dropped inside this transaction only (the lock becomes ACCESS EXCLUSIVE:
            # readers of the empty table wait for the commit). Built once at the end,
            # by sorting, they cost a third of keeping them up to date row by row.
            rebuild: list[str] = []
            for name, definition, _ in constraints:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, ddl in indexes:
                cur.execute(f"DROP INDEX {name}")
                rebuild.append(ddl)
        self._direct[table] = rebuild

    def _destination(self, target: Target) -> str:
        return target.name if target.name in self._direct else _stage(target)

    def finish(self) -> None:
        if self.dialect != "postgresql":
            return
        self.drain()
        with self._pg.cursor() as cur:
            if self._direct:
                # Sort memory of this transaction's index builds (the server's, not ours).
                cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statements in self._direct.values():
                for statement in statements:
                    cur.execute(statement)
            for target in self.targets:
                if target.name not in self._staged:
                    continue
                cols = ", ".join(target.columns)
                if target.is_part:
                    continue
                for statement in _merge(target, self._masks.get(target.name, {None})):
                    cur.execute(statement)
            # Parts: replace those of every parent staged, including parents whose new
            # list is empty (their old parts must go too), unless its row kept them.
            for target in self.targets:
                if not target.is_part:
                    continue
                parent = self._parent_of(target)
                if parent.name not in self._staged:
                    continue
                masks = self._masks.get(parent.name, {None})
                if all(m is not None and m.endswith("0") for m in masks):
                    continue
                cur.execute(
                    f"DELETE FROM {target.name} WHERE {target.key} IN "
                    f"(SELECT {parent.key} FROM {_stage(parent)} "
                    f"WHERE {_MASK} IS NULL OR right({_MASK}, 1) = '1')"
                )
                if target.name in self._staged:
                    cols = ", ".join(target.columns)
                    cur.execute(
                        f"INSERT INTO {target.name} ({cols}) SELECT {cols} FROM {_stage(target)}"
                    )
            for name in self._staged:
                cur.execute(f"TRUNCATE {_stage_name(name)}")
        self._staged.clear()
        self._direct.clear()
        self._prepared.clear()
        self._masks.clear()

    def _parent_of(self, part: Target) -> Target:
        # The parent is the first non-part target listed before the part.
        parent = None
        for target in self.targets:
            if target is part:
                break
            if not target.is_part:
                parent = target
        assert parent is not None, f"part {part.name} listed before its parent"
        return parent

    def _copy(
        self, target: Target, rows: Sequence[tuple[Any, ...]], mask: str | None = None
    ) -> None:
        self.drain()
        if target.name not in self._direct:
            self._staged.add(target.name)
        if not rows:
            return
        cols = ", ".join(target.columns)
        if mask is not None:
            assert target.name not in self._direct, target.name  # frames only
            cols += f", {_MASK}"
        with (
            self._pg.cursor() as cur,
            cur.copy(f"COPY {self._destination(target)} ({cols}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row if mask is None else (*row, mask))

    def _sqlite_write(
        self,
        parent: Target,
        rows: Sequence[tuple[Any, ...]],
        parts: dict[Target, Sequence[tuple[Any, ...]]],
        columns: Columns,
    ) -> None:
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(_sqlite_upsert(parent, columns), rows)
            part_targets = [t for t in parts if t.is_part and self._parent_of(t) is parent]
            if part_targets:
                keys = [(row[parent.key_index],) for row in rows]
                for target in part_targets:
                    cursor.executemany(f"DELETE FROM {target.name} WHERE {target.key} = ?", keys)
                    part_rows = parts.get(target, ())
                    if part_rows:
                        cols = ", ".join(target.columns)
                        marks = ", ".join("?" for _ in target.columns)
                        cursor.executemany(
                            f"INSERT INTO {target.name} ({cols}) VALUES ({marks})", part_rows
                        )
        finally:
            cursor.close()


def _stage_name(table: str) -> str:
    return f"stage_{table}"


def _stage(target: Target) -> str:
    return _stage_name(target.name)


def _normalised(target: Target, columns: Columns) -> Columns:
    """None when `columns` covers every column (the usual, fastest case)."""
    if columns is None:
        return None
    unknown = columns - set(target.columns)
    assert not unknown, (target.name, unknown)
    kept = set(target.columns) - columns - {target.key}
    return None if not kept else columns | {target.key}


def _on_conflict(target: Target, columns: Columns = None) -> str:
    updates = [c for c in target.columns if c != target.key and (columns is None or c in columns)]
    if not updates:
        return f"ON CONFLICT ({target.key}) DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
    # Only rows whose content differs are rewritten: re-importing the same file then
    # writes nothing (no dead tuples on PostgreSQL, no WAL growth on SQLite).
    changed = " OR ".join(
        f"{_comparable(target, f'{target.name}.{c}', c)} IS DISTINCT FROM "
        f"{_comparable(target, f'excluded.{c}', c)}"
        for c in updates
    )
    return f"ON CONFLICT ({target.key}) DO UPDATE SET {sets} WHERE {changed}"


def _comparable(target: Target, expression: str, column: str) -> str:
    # PostgreSQL's json type has no equality operator; compare the text as stored.
    if isinstance(target.table.c[column].type, JSON):
        return f"CAST({expression} AS TEXT)"
    return expression


def _sqlite_upsert(target: Target, columns: Columns = None) -> str:
    cols = ", ".join(target.columns)
    marks = ", ".join("?" for _ in target.columns)
    # SQLite spells IS DISTINCT FROM as IS NOT.
    return f"INSERT INTO {target.name} ({cols}) VALUES ({marks}) " + _on_conflict(
        target, columns
    ).replace("IS DISTINCT FROM", "IS NOT")


def _mask_columns(target: Target, mask: str | None) -> Columns:
    if mask is None:
        return None
    return frozenset(c for c, flag in zip(target.columns, mask, strict=False) if flag == "1")


def _merge(target: Target, masks: set[str | None]) -> list[str]:
    """The statements merging a parent's staging table into it (PostgreSQL)."""
    cols = ", ".join(target.columns)
    stage = _stage(target)
    if len(masks) <= 1:
        # One set of columns for every row (always so for CSV and XLSX files).
        (mask,) = masks or {None}
        return [
            f"INSERT INTO {target.name} ({cols}) SELECT {cols} FROM {stage} "
            f"{_on_conflict(target, _mask_columns(target, mask))}"
        ]
    # Rows with different sets (JSON Lines): insert the new records as given, then
    # update the others column by column, keeping what each row's mask leaves out.
    # Inserting first: a record another transaction inserts meanwhile is waited for by
    # the unique index and then updated here, never lost.
    updates = [(i, c) for i, c in enumerate(target.columns, start=1) if c != target.key]
    if not updates:
        return [
            f"INSERT INTO {target.name} ({cols}) SELECT {cols} FROM {stage} " + _on_conflict(target)
        ]

    def sets(i: int) -> str:
        return f"(s.{_MASK} IS NULL OR substr(s.{_MASK}, {i}, 1) = '1')"

    assignments = ", ".join(
        f"{c} = CASE WHEN {sets(i)} THEN s.{c} ELSE t.{c} END" for i, c in updates
    )
    changed = " OR ".join(
        f"({sets(i)} AND {_comparable(target, f't.{c}', c)} IS DISTINCT FROM "
        f"{_comparable(target, f's.{c}', c)})"
        for i, c in updates
    )
    return [
        f"INSERT INTO {target.name} ({cols}) SELECT {cols} FROM {stage} "
        f"ON CONFLICT ({target.key}) DO NOTHING",
        f"UPDATE {target.name} AS t SET {assignments} FROM {stage} AS s "
        f"WHERE t.{target.key} = s.{target.key} AND ({changed})",
    ]
