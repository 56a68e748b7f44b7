"""A feed import as a background job (`carexport jobs import`): the same one-transaction
import as `carexport import` (docs/decisions/0004), so a worker killed mid-file leaves the
store as it was and the retry loads the whole file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carexport.db import UnitOfWork
from carexport.errors import CarexportError
from carexport.feeds import service as feeds
from carexport.feeds.importing import ImportMode
from carexport.jobs.runner import JobContext


class ImportRejected(CarexportError):
    """The file was read and refused as a whole; nothing was written."""


def run_import(context: JobContext) -> dict[str, Any]:
    params = context.parameters
    with UnitOfWork(context.engine) as uow:
        result = feeds.import_feed(
            uow=uow,
            kind=str(params["feed"]),
            path=Path(str(params["path"])),
            mode=ImportMode(params.get("mode", ImportMode.ALL_OR_NOTHING.value)),
            on_progress=context.progress,
        )
    if not result.committed:
        raise ImportRejected(
            f"文件被拒绝，未写入任何数据 / the file was rejected, nothing was written: "
            f"{result.rows_rejected} bad rows, {result.problems} problems "
            f"(carexport import {params['feed']} FILE --report … lists them)"
        )
    return {
        "feed": params["feed"],
        "rows_read": result.rows_read,
        "rows_valid": result.rows_valid,
        "rows_loaded": result.rows_loaded,
        "committed": result.committed,
    }
