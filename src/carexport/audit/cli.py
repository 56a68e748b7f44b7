"""`carexport audit verify`: recompute the audit chain (WORKFLOW.md, "Audit")."""

from __future__ import annotations

import sys

import typer

audit_app = typer.Typer(
    name="audit",
    help="审计日志 / the hash-chained audit log.",
    no_args_is_help=True,
    add_completion=False,
)


@audit_app.command("verify")
def verify() -> None:
    """验证审计链 / Print `valid: N entries` (exit 0) or `invalid: entry SEQ: why` (exit 1)."""
    from carexport import audit
    from carexport.db import UnitOfWork

    with UnitOfWork() as uow:
        check = audit.verify(uow.session)
    if check.broken is not None:
        sys.stdout.write(f"invalid: {check.broken} (seq {check.broken.seq})\n")
        raise typer.Exit(1)
    sys.stdout.write(f"valid: {check.entries} entries / 审计链完整，共 {check.entries} 条\n")
