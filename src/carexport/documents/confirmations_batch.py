"""A batch upload of confirmations to issue (XLSX or CSV): one row per VIN and destination.

Read by the feeds reader (feeds/files.py: header row search, zh or en headers,
delimiters, XLSX bomb checks, line and cell limits) as the exporter's vehicle list is;
the rows go to documents.confirmations.issue_batch, which reports each by its row number.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from carexport.applications.vehicle_list import FORMATS, VEHICLE_LIST
from carexport.config import get_settings
from carexport.documents.confirmations import BatchRow
from carexport.errors import InputProblem, InvalidInput
from carexport.feeds.fields import TEXT, FeedField
from carexport.feeds.files import FileFormat, UnusableFile, open_source, rows
from carexport.feeds.schemas import FeedRow, row_schema

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
