"""`carexport credit record USCC [--as-of DAY]` and `carexport credit overdue [--as-of DAY]`:
the credit record as JSON, read as the monitor reads it (the command line writes nothing;
changes go through the API or the pages, with a user who answers for them)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer

credit_app = typer.Typer(
    name="credit",
    help="企业信用记录 / enterprise credit records.",
    no_args_is_help=True,
    add_completion=False,
)

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="YYYY-MM-DD: the record as it stood at the end of that day"),
]


def _reader() -> Any:
    from carexport.accounts.actor import Actor
    from carexport.accounts.enums import OrgKind, Role

    # Reads only: no audit entry names it, and no use case that writes accepts role
    # monitor, so this actor can change nothing.
    return Actor(
        user_id=0,
        username="cli",
        role=Role.MONITOR,
        org_id=None,
        org_kind=OrgKind.MONITOR,
        org_name=None,
        org_region=None,
        org_uscc=None,
    )


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        sys.stderr.write(f"--as-of: 不是YYYY-MM-DD日期 / not a date YYYY-MM-DD: {value!r}\n")
        raise typer.Exit(2) from None


def _print(value: Any) -> None:
    from fastapi.encoders import jsonable_encoder

    sys.stdout.write(json.dumps(jsonable_encoder(value), ensure_ascii=False, indent=2) + "\n")


@credit_app.command("record")
def record(
    uscc: Annotated[str, typer.Argument(help="统一社会信用代码 / USCC", show_default=False)],
    as_of: AsOf = None,
) -> None:
    """企业信用记录（可回溯）/ Print an enterprise's credit record as JSON."""
    from carexport.credit import service
    from carexport.db import UnitOfWork

    day = _day(as_of)
    with UnitOfWork() as uow:
        found = service.credit_record(uow=uow, actor=_reader(), enterprise_uscc=uscc, as_of=day)
    _print(found)


@credit_app.command("overdue")
def overdue(as_of: AsOf = None) -> None:
    """逾期整改 / Print the rectifications overdue on a day, oldest deadline first."""
    from carexport.credit import service
    from carexport.db import UnitOfWork

    day = _day(as_of)
    with UnitOfWork() as uow:
        items = service.overdue_rectifications(uow=uow, actor=_reader(), as_of=day)
    _print({"items": items})
