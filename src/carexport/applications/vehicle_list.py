"""An uploaded vehicle list (XLSX or CSV) as the vehicle lines of an APPLICATION.

The list is an application's input, not a registry feed, but it is read by the same
reader as `carexport import` (feeds/files.py: header row search, zh or en headers,
delimiters, XLSX bomb checks, line and cell limits) and validated by a row schema built
the same way from declared fields (feeds/fields.py). Nothing is stored here: the lines
go to a draft through applications.service.create / edit, which check them again as an
APPLICATION and compute the verdict.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from carexport.applications.models import VehicleLine
from carexport.bulk import RecordTable, table_target
from carexport.config import get_settings
from carexport.errors import InputProblem, InvalidInput
from carexport.feeds.fields import DAY, FLAG, TEXT, FeedField
from carexport.feeds.files import FileFormat, UnusableFile, open_source, rows
from carexport.feeds.schemas import Feed, FeedRow, row_schema

_F = FeedField

# The columns of a vehicle list: APPLICATION's vehicle fields (CHECK_FORMAT.md), headed
# in English (the field) or in Chinese; the registration columns are named as in the
# registrations feed, so one spreadsheet export serves both. `vin` is text here: a VIN
# with a wrong check digit is the checker's finding (with its clause), not an upload error.
VEHICLE_LINES = (
    _F("vin", "车辆识别代号", "VIN, 17 characters", TEXT, True),
    _F("brand", "品牌", "brand as registered", TEXT),
    _F("model", "车辆型号", "model as registered", TEXT),
    _F("registration_date", "注册登记日期", "YYYY-MM-DD", DAY),
    _F("transfer_for_export_date", "转让登记日期", "transfer for export, YYYY-MM-DD", DAY),
    _F("confirmation_id", "售后服务确认书编号", "confirmation of after-sales service", TEXT),
    _F("hs_code", "商品编码", "10-digit customs commodity code", TEXT),
    _F("modified", "是否改装", "是/否, true/false", FLAG),
    _F("chassis_brand", "底盘品牌", "chassis brand (modified vehicles)", TEXT),
    _F("modified_brand", "改装车品牌", "modified-vehicle brand (modified vehicles)", TEXT),
)


def _never_written(_: Any) -> Any:
    raise AssertionError("a vehicle list is never written as a feed")


# The reader takes a Feed for its columns and required fields only; the table is named
# for completeness (vehicle_lines) and never written through this path.
VEHICLE_LIST = Feed(
    kind="vehicle-list",
    title="申请车辆清单 / vehicle list of an application",
    columns=VEHICLE_LINES,
    schema=row_schema("VehicleListRow", VEHICLE_LINES, FeedRow),
    table=RecordTable(table_target(VehicleLine, "vin_key"), _never_written),
    key_fields=("vin",),
)
FORMATS = {".xlsx": FileFormat.XLSX, ".csv": FileFormat.CSV, ".txt": FileFormat.CSV}
SOURCE = "vehicle_list"
_ZIP = b"PK\x03\x04"


def _format(filename: str, data: bytes) -> FileFormat:
    """From the content first (a zip is an XLSX whatever it is called), then the name."""
    if data.startswith(_ZIP):
        return FileFormat.XLSX
    fmt = FORMATS.get(Path(filename).suffix.lower())
    if fmt is None:
        raise InvalidInput(
            [
                InputProblem(
                    SOURCE,
                    "file",
                    "请上传 .xlsx 或 .csv 文件 / upload an .xlsx or .csv file",
                    "file_type",
                )
            ]
        )
    return fmt


def _encoding(data: bytes) -> str:
    # Excel saves a Chinese CSV in GB18030 (GBK) unless told otherwise; UTF-8 with or
    # without its BOM otherwise. The upload is in memory (the body limit bounds it), so
    # trying UTF-8 on the whole of it is cheap and never wrong.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _reason(item: Any) -> str:
    kind = item["type"]
    message = str(item["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return message if " / " in message else f"{message} / {message}"
    if kind == "missing":
        return "必填 / required"
    if kind.startswith("bool"):
        return "应为 是/否 或 true/false / expected 是/否 or true/false"
    if kind.startswith("date"):
        return "不是YYYY-MM-DD日期 / not a date YYYY-MM-DD"
    return f"无效 / {message}"


def _row_problems(error: ValidationError, number: int) -> list[InputProblem]:
    return [
        InputProblem(
            SOURCE,
            f"第{number}行 {item['loc'][0] if item['loc'] else ''}".rstrip(),
            _reason(item),
            str(item["type"]),
        )
        for item in error.errors(include_url=False)
    ]


def _line(row: FeedRow) -> dict[str, Any]:
    """A validated row as an APPLICATION vehicle line (JSON values, blanks left out)."""
    line: dict[str, Any] = {}
    for field in VEHICLE_LINES:
        value = getattr(row, field.name)
        if value is None:
            continue
        line[field.name] = value.isoformat() if hasattr(value, "isoformat") else value
    return line


def parse_vehicle_list(*, filename: str, data: bytes) -> list[dict[str, Any]]:
    """The vehicle lines of an uploaded list, or InvalidInput naming every problem by its
    row ("第3行 registration_date: …"); an unreadable file is one problem of `file`."""
    fmt = _format(filename, data)
    problems: list[InputProblem] = []
    lines: list[dict[str, Any]] = []
    limit = get_settings().max_cell_chars
    # The reader works on paths (it streams feed files of gigabytes); the upload goes to
    # a private temporary file that is gone when this returns.
    with tempfile.TemporaryDirectory(prefix="carexport-upload-") as folder:
        path = Path(folder) / f"list.{fmt.value}"
        path.write_bytes(data)
        try:
            source = open_source(path, VEHICLE_LIST, fmt.value)
            for number, values in rows(source, _encoding(data)):
                try:
                    row = VEHICLE_LIST.schema.model_validate(values)
                except ValidationError as exc:
                    problems.extend(_row_problems(exc, number))
                    continue
                lines.append(_line(row))
        except UnusableFile as exc:
            reason = f"{exc.reason_zh} / {exc.reason_en}"
            # The reader names its temporary path; the user knows the file by its name.
            reason = reason.replace(str(path), filename[:limit])
            raise InvalidInput([InputProblem(SOURCE, "file", reason, "unusable_file")]) from None
    if problems:
        raise InvalidInput(problems)
    if not lines:
        raise InvalidInput(
            [InputProblem(SOURCE, "file", "清单中没有车辆 / the list holds no vehicle", "empty")]
        )
    return lines
