"""`carexport keys generate|rotate|list|revoke|export`: the organisations' signing keys.

Only Typer at module level (carexport --help stays fast); the store is imported by the
commands. The private keys never leave the store: `list` and `export` print public keys.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carexport.errors import CarexportError

if TYPE_CHECKING:
    from carexport.db import UnitOfWork
    from carexport.documents.keyring import PublishedKey

keys_app = typer.Typer(
    name="keys",
    help="签名密钥：生成、轮换、吊销、导出公钥 / signing keys: make, rotate, revoke, export.",
    no_args_is_help=True,
    add_completion=False,
)


def _uow() -> UnitOfWork:
    from sqlalchemy import inspect

    from carexport.db import UnitOfWork, default_engine

    engine = default_engine()
    if not inspect(engine).has_table("signing_keys"):
        raise CarexportError(
            "数据库尚未初始化或版本过旧，请先运行 carexport db upgrade / the database has no "
            "signing_keys table yet: run `carexport db upgrade` "
            f"({engine.url.render_as_string(hide_password=True)})"
        )
    return UnitOfWork(engine)


def _day(text: str | None, option: str) -> date:
    if text is None:
        from carexport import clock

        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CarexportError(f"{option}: {text!r} 不是日期 / is not a date (YYYY-MM-DD)") from None


Org = Annotated[
    int, typer.Option("--org", help="单位编号 / the organisation's id", show_default=False)
]
ValidFrom = Annotated[
    str | None,
    typer.Option(
        "--from", help="启用日 / first day it signs (YYYY-MM-DD; default today)", show_default=False
    ),
]


@keys_app.command("generate")
def generate(org: Org, valid_from: ValidFrom = None) -> None:
    """为生产企业或发证机构生成密钥 / Make the first (or, after a revocation, the next)
    key pair of a manufacturer or agency; prints its key ID."""
    from carexport.documents import keys

    with _uow() as uow:
        row = keys.generate_key(uow=uow, org_id=org, valid_from=_day(valid_from, "--from"), by=None)
    sys.stdout.write(row.key_id + "\n")


@keys_app.command("rotate")
def rotate(org: Org, valid_from: ValidFrom = None) -> None:
    """轮换密钥 / Make a new key pair, current from --from; the old one stays published."""
    from carexport.documents import keys

    with _uow() as uow:
        row = keys.rotate_key(uow=uow, org_id=org, valid_from=_day(valid_from, "--from"), by=None)
    sys.stdout.write(row.key_id + "\n")


def _line(key: PublishedKey) -> str:
    owner = key.uscc or key.region or "-"
    status = "current"
    if key.revoked_from is not None:
        status = f"revoked from {key.revoked_from}"
    elif key.valid_to is not None:
        status = f"replaced after {key.valid_to}"
    return "\t".join(
        [key.key_id, key.org_kind, owner, key.org_name, f"from {key.valid_from}", status]
    )


@keys_app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="输出JSON / print JSON")] = False,
) -> None:
    """列出公布的密钥 / List every published key (tab-separated, or --json)."""
    from carexport.documents import keys

    with _uow() as uow:
        published = keys.published_keys(session=uow.session)
    if as_json:
        sys.stdout.write(json.dumps(keys.keys_file(published), ensure_ascii=False, indent=2) + "\n")
        return
    for key in published:
        sys.stdout.write(_line(key) + "\n")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="密钥编号 / the key ID", show_default=False)],
    from_date: Annotated[
        str,
        typer.Option(
            "--from",
            help="自该日（含）起所签文件无效 / documents signed on or after this day are invalid",
            show_default=False,
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="原因 / why", show_default=False)],
) -> None:
    """吊销密钥 / Revoke a key from a date; documents it signed before stay valid."""
    from carexport.documents import keys
    from carexport.errors import InvalidInput

    with _uow() as uow:
        try:
            key = keys.revoke_key(
                uow=uow, key_id=key_id, from_date=_day(from_date, "--from"), reason=reason, by=None
            )
        except InvalidInput as exc:
            raise CarexportError(f"--reason: {exc.problems[0].reason}") from None
    sys.stdout.write(_line(key) + "\n")


@keys_app.command("export")
def export(
    out: Annotated[
        Path,
        typer.Option("--out", help="keys.json 公钥文件 / the public keys file", show_default=False),
    ],
) -> None:
    """导出公钥文件供离线验证 / Write the public keys file for offline verification."""
    from carexport.documents import keys

    with _uow() as uow:
        published = keys.published_keys(session=uow.session)
    text = json.dumps(keys.keys_file(published), ensure_ascii=False, indent=2) + "\n"
    try:
        # Written whole to a temporary name, then renamed: a verifier never reads half a file.
        partial = out.with_name(out.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, out)
    except OSError as exc:
        raise CarexportError(f"{out}: {exc.strerror or 'cannot be written'}") from None
    sys.stdout.write(f"{len(published)} keys → {out}\n")
