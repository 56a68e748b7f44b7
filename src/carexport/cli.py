"""The Typer root: each feature adds its own commands, loaded only when they run.

Importing every feature's command module costs about a second (SQLAlchemy, Alembic,
Polars, the demo generator) that `carexport check --facts` and `--help` never use. So the
root lists the commands from `COMMANDS` below, with their one-line help, and imports a
feature's `cli` module only when one of its commands is called (or its own `--help`).
tests/unit/test_cli.py holds the table to the help each feature declares.

`main()` is the last guard between an exception and the user: a CarexportError becomes
`error: …` and exit 2; anything else becomes one `internal error` line and exit 2, with
the traceback on stderr only when CAREXPORT_DEBUG=1
(docs/decisions/0012-cli-errors-and-lazy-commands.md).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
import typer.main

# Typer vendors Click (typer._click) since 0.2x; its group API is Click's.
from typer._click import Command, Context, HelpFormatter
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

from carexport.errors import CarexportError, InvalidInput


@dataclass(frozen=True)
class LazyCommand:
    """Where a root command lives: `module.attribute`, a Typer sub-app or a
    `register(app)` function that adds commands to a Typer app."""

    module: str
    attribute: str
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "check": LazyCommand(
        "carexport.applications.cli",
        "register",
        "预审一批出口申请并输出裁定JSON / Check an application and print the verdict JSON.",
    ),
    "import": LazyCommand(
        "carexport.feeds.cli",
        "register",
        "导入登记数据文件 / Import a registry feed file (docs/feeds.md lists the columns).",
    ),
    "seal": LazyCommand(
        "carexport.documents.cli",
        "seal_app",
        "SM2/SM3 印章：生成密钥、签名、验签 / SM2 seals: make keys, sign, verify.",
    ),
    "facts": LazyCommand(
        "carexport.feeds.cli",
        "register",
        "登记事实（FACTS.json）的导入导出 / FACTS.json in and out of the store.",
    ),
    "keys": LazyCommand(
        "carexport.documents.keys_cli",
        "keys_app",
        "签名密钥：生成、轮换、吊销、导出公钥 / signing keys: make, rotate, revoke, export.",
    ),
    "verify": LazyCommand(
        "carexport.documents.verify_cli",
        "register",
        "离线核验签名文件 / Verify a signed license or confirmation (PDF or JSON).",
    ),
    "db": LazyCommand("carexport.feeds.cli", "register", "数据库 / the database."),
    "demo": LazyCommand("carexport.demo.cli", "demo_app", "演示数据 / a synthetic demo world."),
    "org": LazyCommand(
        "carexport.accounts.cli",
        "org_app",
        "机构：出口企业、生产企业、发证机构、商务部 / organisations.",
    ),
    "user": LazyCommand(
        "carexport.accounts.cli", "user_app", "用户与角色 / users and their roles."
    ),
    "audit": LazyCommand(
        "carexport.audit.cli", "audit_app", "审计日志 / the hash-chained audit log."
    ),
    "credit": LazyCommand(
        "carexport.credit.cli", "credit_app", "企业信用记录 / enterprise credit records."
    ),
    "worker": LazyCommand(
        "carexport.jobs.cli",
        "register",
        "运行后台任务（PostgreSQL）/ run background jobs from the PostgreSQL queue.",
    ),
    "jobs": LazyCommand(
        "carexport.jobs.cli",
        "jobs_app",
        "后台任务 / background jobs: list, show, queue an import.",
    ),
    "whatif": LazyCommand(
        "carexport.whatif.cli",
        "register",
        "政策假设分析：改参数重算已申报车辆 / policy what-if over submitted vehicle lines.",
    ),
    "check-stock": LazyCommand(
        "carexport.whatif.cli",
        "register",
        "库存车辆预审 / which vehicles in stock could be exported, and from when.",
    ),
}


def load_command(name: str) -> Command:
    """Import the feature that declares root command `name` and build its Click command."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        target(holder)
    command = typer.main.get_group(holder).commands[name]
    return command


class LazyGroup(TyperGroup):
    """A Typer group whose commands are imported on first use.

    For the group's own help page it hands out stand-ins that carry only the name and
    the one-line help, so `carexport --help` imports no feature at all.
    """

    _listing_help = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing_help:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            # Typer suggests from the commands loaded so far, which here is none.
            matches = get_close_matches(args[0], COMMANDS) if args else []
            if matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing_help = False


app = typer.Typer(
    name="carexport",
    cls=LazyGroup,
    help="二手车出口许可 carexport: checker, seals and registry store (商贸函〔2025〕648号).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    # A callback makes Typer build a group even before any command is loaded.
    pass


def _database_error(exc: BaseException) -> CarexportError | None:
    """A database error that escaped a command, as the one line a user can act on."""
    if type(exc).__module__.partition(".")[0] not in {"sqlalchemy", "sqlite3", "psycopg"}:
        return None
    # Imported only here: the database layer is heavy and most commands never need it.
    from carexport.db import explain_database_error

    return explain_database_error(exc)


def _report_internal_error(exc: BaseException) -> None:
    first_line = (str(exc).strip().splitlines() or [""])[0][:300]
    print(
        f"internal error: {type(exc).__name__}: {first_line} — 内部错误，请报告 / "
        "please report it; CAREXPORT_DEBUG=1 prints the traceback",
        file=sys.stderr,
    )
    # Read from the environment, not the settings: the settings themselves may be what
    # failed to load.
    if os.environ.get("CAREXPORT_DEBUG") == "1":
        traceback.print_exception(exc, file=sys.stderr)


def main(args: list[str] | None = None) -> Any:
    """Run the CLI; no exception reaches the user as a traceback."""
    try:
        return app(args=args, prog_name="carexport")
    except InvalidInput as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    except CarexportError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except Exception as exc:
        translated = _database_error(exc)
        if translated is not None:
            print(f"error: {translated}", file=sys.stderr)
        else:
            _report_internal_error(exc)
    sys.exit(2)
