"""Commands `carexport org …` and `carexport user …` (WORKFLOW.md).

Only Typer at module level: the database layer and argon2 are imported by the commands
that use them, so `carexport --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from carexport.errors import CarexportError, InvalidInput

if TYPE_CHECKING:
    from carexport.db import UnitOfWork

org_app = typer.Typer(
    name="org",
    help="机构：出口企业、生产企业、发证机构、商务部 / organisations.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(
    name="user",
    help="用户与角色 / users and their roles.",
    no_args_is_help=True,
    add_completion=False,
)

# Where each field came from on the command line, for one-line errors.
_ARGUMENTS = {
    "kind": "KIND",
    "name": "NAME",
    "uscc": "--uscc",
    "region": "--region",
    "username": "USERNAME",
    "password": "password (standard input)",
    "role": "--role",
    "org": "--org",
}


def _one_line(exc: InvalidInput) -> CarexportError:
    first = exc.problems[0]
    return CarexportError(f"{_ARGUMENTS.get(first.location, first.location)}: {first.reason}")


def _uow() -> UnitOfWork:
    from sqlalchemy import inspect

    from carexport.db import UnitOfWork, default_engine

    engine = default_engine()
    if not inspect(engine).has_table("organisations"):
        raise CarexportError(
            "数据库尚未初始化或版本过旧，请先运行 carexport db upgrade / the database has no "
            "accounts tables yet: run `carexport db upgrade` "
            f"({engine.url.render_as_string(hide_password=True)})"
        )
    return UnitOfWork(engine)


@org_app.command("add")
def org_add(
    kind: Annotated[
        str,
        typer.Argument(help="exporter | manufacturer | agency | monitor", show_default=False),
    ],
    name: Annotated[str, typer.Argument(help="名称 / the name", show_default=False)],
    uscc: Annotated[
        str | None,
        typer.Option(
            help="统一社会信用代码（出口企业、生产企业必填）/ required for exporters "
            "and manufacturers"
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="GB/T 2260 省级代码（发证机构必填，如 12 = 天津）/ an agency's province code"
        ),
    ] = None,
) -> None:
    """新建机构，输出其 id / Add an organisation and print its id alone."""
    from carexport.accounts import service

    try:
        with _uow() as uow:
            org = service.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region)
    except InvalidInput as exc:
        raise _one_line(exc) from None
    sys.stdout.write(f"{org.id}\n")


@org_app.command("list")
def org_list() -> None:
    """列出机构 / List organisations: id, kind, name, USCC, region (tab-separated)."""
    from carexport.accounts import service

    with _uow() as uow:
        for org in service.list_orgs(uow=uow):
            fields = [str(org.id), org.kind, org.name, org.uscc or "", org.region or ""]
            sys.stdout.write("\t".join(fields) + "\n")


def _read_password(limit: int) -> str:
    if sys.stdin.isatty():
        import getpass

        # No echo on a terminal; piped input is read as is (its first line).
        return getpass.getpass("密码 / password: ")
    line = sys.stdin.readline(limit + 3)
    return line.removesuffix("\n").removesuffix("\r")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / the username", show_default=False)],
    role: Annotated[
        str,
        typer.Option(
            help="applicant | issuer | reviewer | senior_reviewer | monitor | admin",
            show_default=False,
        ),
    ],
    org: Annotated[
        int | None,
        typer.Option(help="机构 id（admin 以外必填）/ organisation id, required but for admin"),
    ] = None,
) -> None:
    """新建用户，密码从标准输入读取 / Add a user; the password (12+ characters) is read
    from standard input, never from the command line. Prints the user's id."""
    from carexport.accounts import service
    from carexport.config import get_settings

    password = _read_password(get_settings().max_password_chars)
    try:
        with _uow() as uow:
            user = service.add_user(
                uow=uow, username=username, password=password, role=role, org_id=org
            )
    except InvalidInput as exc:
        raise _one_line(exc) from None
    sys.stdout.write(f"{user.id}\n")


@user_app.command("list")
def user_list() -> None:
    """列出用户 / List users: id, username, role, organisation id and name (tab-separated)."""
    from carexport.accounts import service

    with _uow() as uow:
        for user in service.list_users(uow=uow):
            org = user.org
            fields = [
                str(user.id),
                user.username,
                user.role,
                "" if org is None else str(org.id),
                "" if org is None else org.name,
            ]
            sys.stdout.write("\t".join(fields) + "\n")
