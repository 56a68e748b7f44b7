"""A batch upload of confirmations to issue (XLSX or CSV): one row per VIN and destination.

Read by the feeds reader (feeds/files.py: header row search, zh or en headers,
delimiters, XLSX bomb checks, line and cell limits) as the exporter's vehicle list is;
the rows go to documents.confirmations.issue_batch, which reports each by its row number.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind, Role
from carexport.applications.vehicle_list import FORMATS, VEHICLE_LIST
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.documents import confirmations
from carexport.documents.confirmations import BatchRow
from carexport.errors import InputProblem, InvalidInput
from carexport.feeds.fields import TEXT, FeedField
from carexport.feeds.files import FileFormat, UnusableFile, open_source, rows
from carexport.feeds.schemas import FeedRow, row_schema
from carexport.jobs import queue as jobs_queue
from carexport.jobs.enums import JobKind
from carexport.jobs.runner import JobContext

SOURCE = "confirmation_batch"
_ZIP = b"PK\x03\x04"

BATCH_COLUMNS = (
    # Text here: a bad VIN or country is the row's refusal in the report, with the others
    # still issued, not an upload error.
    FeedField("vin", "车辆识别代号", "VIN, 17 characters", TEXT, True),
    FeedField("destination_country", "目的国", "ISO 3166-1 alpha-2, e.g. KZ", TEXT, True),
)
# The reader takes a Feed for its columns and required fields only; the vehicle list's
# never-written table stands in (nothing is written through this path).
BATCH = replace(
    VEHICLE_LIST,
    kind="confirmation-batch",
    title="确认书批量出具 / confirmations to issue",
    columns=BATCH_COLUMNS,
    schema=row_schema("ConfirmationBatchRow", BATCH_COLUMNS, FeedRow),
    key_fields=("vin",),
)


def _problem(location: str, reason: str, kind: str) -> InvalidInput:
    return InvalidInput([InputProblem(SOURCE, location, reason, kind)])


def parse_batch(*, filename: str, data: bytes) -> tuple[list[BatchRow], list[tuple[int, str]]]:
    """The rows to issue, and the rows that cannot be read (row number, why). An
    unusable file, an empty one or one over `max_confirmation_batch_rows` is InvalidInput."""
    if data.startswith(_ZIP):
        fmt = FileFormat.XLSX
    else:
        found = FORMATS.get(Path(filename).suffix.lower())
        if found is None:
            raise _problem(
                "file", "请上传 .xlsx 或 .csv 文件 / upload an .xlsx or .csv file", "type"
            )
        fmt = found
    try:
        data.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"  # Excel's Chinese CSV
    limit = get_settings().max_confirmation_batch_rows
    wanted: list[BatchRow] = []
    unreadable: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory(prefix="carexport-upload-") as folder:
        path = Path(folder) / f"batch.{fmt.value}"
        path.write_bytes(data)
        try:
            for number, values in rows(open_source(path, BATCH, fmt.value), encoding):
                if len(wanted) + len(unreadable) >= limit:
                    raise _problem(
                        "file",
                        f"一次最多 {limit} 行 / at most {limit} rows in one upload",
                        "too_many_rows",
                    )
                try:
                    row = BATCH.schema.model_validate(values)
                except ValidationError as exc:
                    fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
                    unreadable.append((number, f"必填项为空 / missing: {fields}"))
                    continue
                wanted.append(BatchRow(number, [row.vin], row.destination_country))  # type: ignore[attr-defined]
        except UnusableFile as exc:
            reason = f"{exc.reason_zh} / {exc.reason_en}".replace(str(path), filename[:200])
            raise _problem("file", reason, "unusable_file") from None
    if not wanted and not unreadable:
        raise _problem("file", "文件中没有数据行 / the file holds no rows", "empty")
    return wanted, unreadable


# --- the same batch as a background job (carexport.jobs, docs/decisions/0029-jobs.md) ---
# Each row is signed (~2 ms), so a batch at the row limit takes seconds: a page can hand
# it to a job and show its progress instead of holding the request open.


def _actor_parameters(actor: Actor) -> dict[str, Any]:
    # The actor as authorised when the batch was asked for; the job acts as that user.
    return {
        **asdict(actor),
        "role": actor.role.value,
        "org_kind": actor.org_kind.value if actor.org_kind else None,
    }


def enqueue_batch(*, actor: Actor, rows: list[BatchRow], on: date) -> int:
    """Queue `rows` to be issued by `actor` on `on`; the job's id."""
    job = jobs_queue.enqueue(
        kind=JobKind.CONFIRMATIONS_BATCH,
        parameters={
            "actor": _actor_parameters(actor),
            "rows": [[r.row, r.vins, r.destination_country] for r in rows],
            "on": on.isoformat(),
        },
        requested_by=actor.user_id,
        requested_by_name=actor.username,
    )
    return job.id


def run_batch_job(context: JobContext) -> dict[str, Any]:
    """jobs.runner's handler: issue the queued rows in one transaction (issue_batch)."""
    params = context.parameters
    fields = dict(params["actor"])
    actor = Actor(
        **{
            **fields,
            "role": Role(fields["role"]),
            "org_kind": OrgKind(fields["org_kind"]) if fields["org_kind"] else None,
        }
    )
    wanted = [BatchRow(int(n), list(vins), str(dest)) for n, vins, dest in params["rows"]]
    context.progress(0, len(wanted))
    with UnitOfWork(context.engine) as uow:
        report = confirmations.issue_batch(
            uow=uow, actor=actor, rows=wanted, on=date.fromisoformat(params["on"])
        )
    context.progress(len(wanted), len(wanted))
    return {"issued": report.issued, "refused": report.refused}
