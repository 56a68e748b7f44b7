"""`carexport whatif` and `carexport check-stock`."""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carexport.applications.inputs import date_range, read_facts
from carexport.config import get_settings
from carexport.db import default_engine
from carexport.domain.dates import parse_iso_date
from carexport.errors import InputProblem, InvalidInput
from carexport.rules.registry import Lang
from carexport.spreadsheet_cells import inert_row
from carexport.whatif import report, service


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_iso_date(value, date_range(get_settings()))
    except ValueError as exc:
        raise InvalidInput([InputProblem(option, option.lstrip("-"), str(exc))]) from None


def _ready() -> None:
    # Imported here: `check-stock --facts` needs no database at all.
    from carexport.feeds.store_facts import StoreNotReady
    from carexport.migrations import is_migrated

    engine = default_engine()
    if not is_migrated(engine):
        raise StoreNotReady(engine.url.render_as_string(hide_password=True))


def _summary_table(result: dict[str, Any]) -> Table:
    table = Table(title="结论 decisions (before → after)")
    table.add_column("")
    for decision in service.DECISIONS:
        table.add_column(decision, justify="right")
    for when in ("before", "after"):
        table.add_row(when, *(f"{result[when][d]:,}" for d in service.DECISIONS))
    return table


def _rules_table(result: dict[str, Any]) -> Table:
    table = Table(title="按规则 by rule (lines)")
    for name in ("rule", "before", "after", "difference"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for row in result["tables"]["rule"]["rows"][:15]:
        table.add_row(
            row["value"],
            f"{row['lines_before']:,}",
            f"{row['lines_after']:,}",
            f"{row['difference']:+,}",
        )
    return table


def whatif(
    start: Annotated[str, typer.Option("--from", help="申报日期起 YYYY-MM-DD / submitted from")],
    end: Annotated[str, typer.Option("--to", help="申报日期止 YYYY-MM-DD / submitted to")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="按该日生效的规则 / the law of this day (default: each submission date)"
        ),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="参数=值，可重复 / NAME=VALUE, repeatable, e.g. n180.days=365"),
    ] = None,
    agency: Annotated[
        str | None,
        typer.Option("--agency", help="仅该发证机构 / one issuing agency's lines (a partition)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="输出目录 / folder for whatif.xlsx, changed.csv, summary.csv, summary.json",
        ),
    ] = None,
) -> None:
    """政策假设分析：改参数重算已申报车辆 / policy what-if over submitted vehicle lines."""
    request = service.WhatIf.parse(
        start=_day(start, "--from") or date.min,
        end=_day(end, "--to") or date.max,
        as_of=_day(as_of, "--as-of"),
        settings=list(settings or []),
        agency=agency,
    )
    _ready()
    folder = out or Path(f"whatif-{request.start.isoformat()}-{request.end.isoformat()}")
    console = Console(stderr=True)
    with Progress(
        TextColumn("重算 re-deciding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("lines", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        frame = service.run(engine=default_engine(), whatif=request, on_progress=on_progress)
    result = report.write(folder, request, frame)
    output = Console()
    output.print(
        f"{result['lines']:,} 车辆行 lines in {result['applications']:,} applications; "
        f"{result['changed']:,} 结论变化 changed"
    )
    output.print(_summary_table(result))
    output.print(_rules_table(result))
    output.print(f"文件 files: {', '.join(str(folder / name) for name in report.FILES)}")


def check_stock(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="STOCK.xlsx / .csv")
    ],
    destination: Annotated[str, typer.Option("--destination", help="目的国 ISO alpha-2, e.g. KZ")],
    on: Annotated[str, typer.Option("--on", help="拟申报日期 YYYY-MM-DD / the day of filing")],
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts",
            exists=True,
            dir_okay=False,
            help="FACTS.json；默认取自数据库 / default: the store",
        ),
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="出口企业USCC / the exporter's USCC")
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="zh（默认）或 en")] = Lang.ZH,
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="另存CSV / also write this CSV")
    ] = None,
) -> None:
    """库存车辆预审 / which vehicles in stock could be exported, and from when."""
    from carexport.whatif import stock  # not loaded by `whatif`

    day = _day(on, "--on")
    assert day is not None
    vehicles = stock.read_stock(filename=file.name, data=file.read_bytes())
    application = stock.stock_application(
        vehicles, destination=destination, on=day, enterprise_uscc=enterprise
    )
    if facts is not None:
        known = read_facts(facts)
    else:
        _ready()
        from carexport.feeds.store_facts import facts_from_store

        known = facts_from_store(application)
    lines = stock.check_stock(
        vehicles, known, destination=destination, on=day, enterprise_uscc=enterprise, lang=lang
    )
    rows = [list(stock.CSV_COLUMNS)] + [inert_row(line.as_row()) for line in lines]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerows(rows)
    if out is not None:
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
    sys.stdout.flush()  # the table before the count line on a terminal
    counts = stock.counts(lines)
    typer.echo(
        f"{counts['vehicles']} vehicles: {counts['pass']} pass, {counts['review']} review, "
        f"{counts['fail']} fail; {counts['near_new']} near-new",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("whatif")(whatif)
    app.command("check-stock")(check_stock)
