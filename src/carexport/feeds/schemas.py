"""The registry feeds: each kind's fields (feeds/fields.py), row schema and table.

`carexport import KIND FILE` accepts either name of each field as a header (CSV, XLSX)
or key (JSON Lines), validates each row with the schema generated here from the
declared fields and hands it to the table's row builder (feeds/records.py, or the
owning feature's service for licenses and credit events). docs/feeds.md is generated
from FEEDS (feeds/docs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core.core_schema import ValidationInfo

from carexport.applications.service import LICENSE_TABLE
from carexport.bulk import RecordTable, Target
from carexport.config import get_settings
from carexport.credit.service import CREDIT_EVENT_TABLE
from carexport.feeds import fields, records
from carexport.feeds.fields import FeedField


class FeedRow(BaseModel):
    # Lax: a file's cells are text. Unknown columns were already dropped by the reader.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # Before any other check: a cell the reader refused, a NUL character (PostgreSQL
        # cannot store it, SQLite would store it silently) or an overlong text is the
        # field's problem, the same on every path and database.
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, fields.Refused):
                raise ValueError(f"{item.reason_zh} / {item.reason_en}")
            if isinstance(item, str):
                if "\x00" in item:
                    raise ValueError("含NUL字符（0x00） / contains a NUL character (0x00)")
                limit = get_settings().max_cell_chars
                if len(item) > limit:
                    raise ValueError(
                        f"超过{limit}个字符（CAREXPORT_MAX_CELL_CHARS） / longer than {limit} "
                        "characters (the limit CAREXPORT_MAX_CELL_CHARS)"
                    )
        return value


class _Validity(FeedRow):
    @field_validator("valid_to", check_fields=False)
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("截止日期早于起始日期 / ends before it starts")
        return value


class _LicenseValidity(FeedRow):
    @field_validator("valid_to", check_fields=False)
    @classmethod
    def _not_before_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued = info.data.get("issued_on")
        if value is not None and issued is not None and value < issued:
            raise ValueError("有效期早于发证日期 / expires before it was issued")
        return value


def row_schema(name: str, declared: tuple[FeedField, ...], base: type[FeedRow]) -> type[FeedRow]:
    """The Pydantic model of one row: a field per declared field, in declared order
    (validators that compare two dates rely on it). Optional fields default to their
    declared default; a required list needs at least one item."""
    definitions: dict[str, Any] = {}
    for field in declared:
        annotation = field.type.annotation
        if field.type.is_list:
            spec = Field(min_length=1) if field.required else Field(default_factory=list)
            definitions[field.name] = (annotation, spec)
        elif field.required:
            definitions[field.name] = (annotation, ...)
        else:
            definitions[field.name] = (annotation | None, field.default)
    return cast(type[FeedRow], create_model(name, __base__=base, **definitions))


@dataclass(frozen=True)
class Feed:
    kind: str
    title: str  # "中文 / English"
    columns: tuple[FeedField, ...]
    schema: type[FeedRow]
    table: RecordTable
    key_fields: tuple[str, ...]  # what makes two rows the same record (for messages)
    # Whether CSV files take the columnar path (feeds/columnar.py, decision 0006).
    columnar: bool = False

    @property
    def target(self) -> Target:
        return self.table.target

    @property
    def part(self) -> Target | None:
        return self.table.part

    def build(self, row: Any) -> Any:
        return self.table.build(row)

    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _feed(
    kind: str,
    title: str,
    declared: tuple[FeedField, ...],
    table: RecordTable,
    key_fields: tuple[str, ...],
    *,
    base: type[FeedRow] = FeedRow,
    columnar: bool = False,
) -> Feed:
    name = "".join(part.title() for part in kind.split("-")) + "Row"
    return Feed(
        kind, title, declared, row_schema(name, declared, base), table, key_fields, columnar
    )


FEEDS: dict[str, Feed] = {
    feed.kind: feed
    for feed in (
        _feed(
            "registrations",
            "机动车登记信息 / vehicle registration records (MPS)",
            fields.REGISTRATIONS,
            records.REGISTRATION_TABLE,
            ("vin",),
            columnar=True,
        ),
        _feed(
            "announcement",
            "《公告》产品 / MIIT Announcement products",
            fields.ANNOUNCEMENT,
            records.ANNOUNCEMENT_TABLE,
            ("enterprise_uscc", "brand", "model", "valid_from"),
            base=_Validity,
        ),
        _feed(
            "ccc",
            "CCC证书 / CCC certificates",
            fields.CCC,
            records.CCC_TABLE,
            ("number",),
            base=_Validity,
        ),
        _feed(
            "manufacturers",
            "生产企业 / manufacturers and other issuers",
            fields.MANUFACTURERS,
            records.MANUFACTURER_TABLE,
            ("uscc",),
        ),
        _feed(
            "outlets",
            "境外售后服务网点 / after-sales outlets abroad",
            fields.OUTLETS,
            records.OUTLET_TABLE,
            ("manufacturer_uscc", "country", "city", "name"),
        ),
        _feed(
            "enterprises",
            "企业 / enterprises",
            fields.ENTERPRISES,
            records.ENTERPRISE_TABLE,
            ("uscc",),
        ),
        _feed(
            "customs",
            "出口报关单 / customs export declarations (GACC)",
            fields.CUSTOMS,
            records.CUSTOMS_TABLE,
            ("declaration_no",),
        ),
        _feed(
            "deregistrations",
            "注销登记 / deregistrations",
            fields.DEREGISTRATIONS,
            records.DEREGISTRATION_TABLE,
            ("vin",),
        ),
        _feed(
            "inspections",
            "第三方检测报告 / inspection reports",
            fields.INSPECTIONS,
            records.INSPECTION_TABLE,
            ("vin", "inspected_on", "report_no", "result"),
        ),
        _feed(
            "filings",
            "出口备案 / export filings",
            fields.FILINGS,
            records.EXPORT_FILING_TABLE,
            ("enterprise_uscc", "valid_from", "valid_to"),
            base=_Validity,
        ),
        _feed(
            "credit-events",
            "信用事件 / credit events",
            fields.CREDIT_EVENTS,
            CREDIT_EVENT_TABLE,
            ("enterprise_uscc", "item", "date", "note"),
        ),
        _feed(
            "capacity",
            "改装企业产能 / modifier capacity",
            fields.CAPACITY,
            records.CAPACITY_TABLE,
            ("enterprise_uscc",),
        ),
        _feed(
            "licenses",
            "出口许可证 / export licenses",
            fields.LICENSES,
            LICENSE_TABLE,
            ("license_no",),
            base=_LicenseValidity,
        ),
    )
}
