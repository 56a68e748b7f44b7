"""Commands of the registry store: `import`, `facts export|import`, `db upgrade`.

They parse, call the service, render; exit codes: 0 done, 1 rows rejected (see the
report), 2 unusable input (file, kind, database).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from carexport.applications.inputs import read_application, read_facts
from carexport.db import UnitOfWork, default_engine
from carexport.domain.facts import Facts
from carexport.errors import CarexportError, InvalidInput
from carexport.feeds import service
from carexport.feeds.files import FileFormat, check_file
from carexport.feeds.importing import ImportMode, ImportResult, RowProblem
from carexport.feeds.report import Report, database_files
from carexport.feeds.schemas import FEEDS
from carexport.feeds.store_facts import StoreNotReady
from carexport.migrations import is_migrated, upgrade

err = Console(stderr=True)

db_app = typer.Typer(
    name="db", help="数据库 / the database.", no_args_is_help=True, add_completion=False
)
facts_app = typer.Typer(
    name="facts",
    help="登记事实（FACTS.json）的导入导出 / FACTS.json in and out of the store.",
    no_args_is_help=True,
    add_completion=False,
)

_SCREEN_PROBLEMS = 20  # the rest are in the report file


@db_app.command("upgrade")
def db_upgrade() -> None:
    """建立或升级数据库结构 / Create or upgrade the schema to the latest migration."""
    engine = default_engine()
    upgrade(engine)
    url = engine.url.render_as_string()
    err.print(f"数据库结构已是最新版本 / schema at the latest migration: {url}", soft_wrap=True)


def _ready() -> None:
    engine = default_engine()
    if not is_migrated(engine):
        raise StoreNotReady(engine.url.render_as_string(hide_password=True))


def _fail(exc: CarexportError) -> typer.Exit:
    if isinstance(exc, InvalidInput):
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return typer.Exit(2)


def facts_document(facts: Facts) -> dict[str, Any]:
    """FACTS as JSON; confirmations exactly as received, since their seal covers that."""
    document = facts.model_dump(mode="json")
    document["confirmations"] = [c.signed_document() for c in facts.confirmations]
    return document


@facts_app.command("export")
def facts_export(
    application: Annotated[Path, typer.Argument(help="APPLICATION.json", show_default=False)],
) -> None:
    """输出该申请所需的登记事实 / Print the FACTS the checker needs for APPLICATION.json."""
    try:
        app_doc = read_application(application)
        _ready()
        with UnitOfWork() as uow:
            facts = service.facts_for_application(uow=uow, application=app_doc)
    except CarexportError as exc:
        raise _fail(exc) from None
    sys.stdout.write(json.dumps(facts_document(facts), ensure_ascii=False, indent=2) + "\n")


@facts_app.command("import")
def facts_import(
    facts: Annotated[Path, typer.Argument(help="FACTS.json", show_default=False)],
) -> None:
    """把FACTS.json写入数据库（按自然键更新） / Upsert every collection of FACTS.json."""
    try:
        doc = read_facts(facts)
        _ready()
        with UnitOfWork() as uow:
            counts = service.load_facts(uow=uow, facts=doc)
    except CarexportError as exc:
        raise _fail(exc) from None
    summary = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    err.print(f"已导入 / loaded: {summary or '—'}")


def import_command(
    kind: Annotated[
        str, typer.Argument(help="数据类型 / feed: " + ", ".join(FEEDS), show_default=False)
    ],
    file: Annotated[Path, typer.Argument(help="CSV / XLSX / JSON Lines", show_default=False)],
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing/--skip-bad",
            help="有错则整批不导入（默认）/ 跳过错误行 — reject the file on any bad row "
            "(default) or load the valid rows",
        ),
    ] = True,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="问题报告 .csv 或 .jsonl（总会写出）；默认仅在有问题时写 FILE.report.csv / "
            "problem report; by default FILE.report.csv, only when there are problems",
        ),
    ] = None,
    fmt: Annotated[
        FileFormat | None,
        typer.Option("--format", help="默认按扩展名 / default: from the extension"),
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="CSV/JSONL 编码，如 gbk / text encoding")
    ] = "utf-8-sig",
) -> None:
    """导入登记数据文件 / Import a registry feed file (docs/feeds.md lists the columns)."""
    mode = ImportMode.ALL_OR_NOTHING if all_or_nothing else ImportMode.SKIP_BAD
    shown: list[RowProblem] = []
    try:
        if kind not in FEEDS:
            raise service.UnknownFeed(kind)
        check_file(file)  # missing, a directory, a FIFO or device, over the size limit
        _ready()
        # Checked before anything is read: a report never replaces the input, the
        # database or a file that is not a report (feeds/report.py).
        with (
            Report(source=file, requested=report, protected=_database_files()) as problems,
            _progress(file) as (progress, task),
        ):

            def on_problem(problem: RowProblem) -> None:
                problems.write(problem)
                if len(shown) < _SCREEN_PROBLEMS:
                    shown.append(problem)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            with UnitOfWork() as uow:
                result = service.import_feed(
                    uow=uow,
                    kind=kind,
                    path=file,
                    fmt=fmt.value if fmt else None,
                    mode=mode,
                    on_problem=on_problem,
                    on_progress=on_progress,
                    encoding=encoding,
                )
            report_path = problems.close()
    except CarexportError as exc:
        raise _fail(exc) from None
    _summarise(result, shown, report_path)
    if result.rejected:
        raise typer.Exit(1)


def _database_files() -> list[Path]:
    """The SQLite file in use (and its -wal, -shm, -journal), which a report must never
    replace; none for PostgreSQL."""
    engine = default_engine()
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as connection:
        name = connection.exec_driver_sql(
            "SELECT file FROM pragma_database_list WHERE name = 'main'"
        ).scalar()
    return database_files(Path(name) if name else None)


def _progress(file: Path) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def bar() -> Any:
        columns = [
            TextColumn(f"导入 / importing {file.name}"),
            BarColumn(),
            DownloadColumn() if file.suffix.lower() != ".xlsx" else MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=err, transient=True) as progress:
            yield progress, progress.add_task("import", total=None)

    return bar()


def _summarise(result: ImportResult, shown: list[RowProblem], report_path: Path | None) -> None:
    for problem in shown:
        err.print(str(problem), markup=False, highlight=False)
    if result.problems > len(shown):
        more = result.problems - len(shown)
        err.print(f"……另有{more}个问题 / … {more} more problems")
    if result.ignored_columns:
        ignored = ", ".join(result.ignored_columns)
        err.print(f"忽略的列 / columns ignored: {ignored}", markup=False)
    if result.committed:
        err.print(
            f"已导入{result.rows_loaded}行，拒绝{result.rows_rejected}行 / "
            f"{result.rows_loaded} rows loaded, {result.rows_rejected} rejected "
            f"({result.kind}, {result.path.name})",
            markup=False,
        )
    else:
        err.print(
            f"文件被拒绝，数据库未改变：{result.rows_rejected}行有误 / file rejected, "
            f"database unchanged: {result.rows_rejected} bad rows of {result.rows_read}",
            markup=False,
        )
    if report_path is not None:
        err.print(f"问题报告 / report: {report_path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.add_typer(facts_app, name="facts")
    app.add_typer(db_app, name="db")
