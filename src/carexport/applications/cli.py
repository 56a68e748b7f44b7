"""`carexport check`: the checker on the command line (CHECK_FORMAT.md).

Module-level imports stay light (no SQLAlchemy, Polars or Alembic): `carexport check
--facts` needs no database, and the store is imported only when the facts come from it.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from carexport.applications.inputs import date_range, problems_of, read_application, read_facts
from carexport.config import get_settings
from carexport.domain.dates import parse_iso_date
from carexport.errors import CarexportError, InputProblem, InvalidInput
from carexport.jsondoc import clip
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang


def _parse_as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_iso_date(value, date_range(get_settings()))
    except ValueError as exc:
        raise InvalidInput([InputProblem("--as-of", "as_of", str(exc))]) from None


def check(
    application: Annotated[
        Path, typer.Argument(help="APPLICATION.json 申请文件", show_default=False)
    ],
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts", help="FACTS.json 登记事实；省略时从数据库读取 / omitted: read the store"
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD，默认为申请日期 / default: submitted_on"),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="zh（默认）或 en")] = Lang.ZH,
) -> None:
    """预审一批出口申请并输出裁定JSON / Check an application and print the verdict JSON."""
    try:
        day = _parse_as_of(as_of)
        app_doc = read_application(application)
        if facts is not None:
            fact_doc = read_facts(facts)
        else:
            from carexport.feeds.store_facts import facts_from_store

            try:
                fact_doc = facts_from_store(app_doc)
            except ValidationError as exc:
                # A row stored before today's checks (a date out of range, say) is the
                # store's problem to name, not a traceback.
                raise InvalidInput(problems_of(exc, "store")) from None
        verdict = evaluate(app_doc, fact_doc, as_of=day, lang=lang)
    except InvalidInput as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise typer.Exit(2) from None
    except CarexportError as exc:
        print(f"error: {clip(str(exc), 2000)}", file=sys.stderr)
        raise typer.Exit(2) from None
    sys.stdout.write(verdict.as_text())


def register(app: typer.Typer) -> None:
    app.command("check")(check)
