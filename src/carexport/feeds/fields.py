"""Every feed's fields, declared once: the one source of a feed's columns.

A `FeedField` names a column (the English field name and the Chinese header), says what
it holds (its `FieldType`: how a cell is validated and normalised, how it is stored, how
the columnar path checks it), whether it is required and whether a normalised key
column is stored beside it. From these declarations come the Pydantic row schema and
the feed's entry in FEEDS (feeds/schemas.py), the registrations table (feeds/models.py),
the row builders (feeds/records.py), the columnar checks (feeds/columnar.py), the
read-back into FACTS (feeds/service.py) and the tables of docs/feeds.md (feeds/docs.py).

Adding a plain column to the registrations feed is one `FeedField` below plus its
Alembic migration.

Row types are lax where files are (CSV gives text: "12" is a number, 是/否 a boolean)
and strict where the registries are: VINs and USCCs must pass their check characters
(the domain's checks), dates must be YYYY-MM-DD. Messages are "中文 / English".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache, lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.types import TypeEngine

from carexport.applications.enums import LicenseStatus
from carexport.bulk import iso
from carexport.config import get_settings
from carexport.domain.country import country_code
from carexport.domain.dates import DateRange, parse_iso_date
from carexport.domain.facts import (
    InspectionResult,
    ManufacturerKind,
    OutletService,
    Rectification,
)
from carexport.domain.person_id import compact, id_problem, is_token
from carexport.domain.text import normalize_identifier
from carexport.domain.uscc import is_valid_uscc
from carexport.domain.vin import vin_problem

# -- normalisers: a cell as the file gives it → the value stored, or ValueError --------


def vin(value: str) -> str:
    code = normalize_identifier(value) or ""
    problem = vin_problem(code)
    if problem == "format":
        raise ValueError(
            "不是17位车辆识别代号字符（数字和字母，不含I、O、Q） / "
            "not 17 characters of the VIN alphabet (digits and letters except I, O, Q)"
        )
    if problem == "check_digit":
        raise ValueError("校验位错误 / check digit wrong")
    return code


@lru_cache(maxsize=65536)
def uscc_valid(code: str) -> bool:
    # stdnum takes ~40 µs a code; a feed names the same few thousand owners again and
    # again, so the answers are cached.
    return is_valid_uscc(code)


def uscc(value: str) -> str:
    code = normalize_identifier(value) or ""
    if not uscc_valid(code):
        raise ValueError(
            "不是有效的统一社会信用代码（18位、登记管理部门代码、校验码） / "
            "not a valid USCC (18 characters, region code, check character)"
        )
    return code


def country(value: str) -> str:
    code = country_code(value)
    if code is None:
        raise ValueError("不是ISO 3166-1两位国家代码 / not an ISO 3166-1 alpha-2 country code")
    return code


_PUBLIC_KEY = re.compile(r"04[0-9A-Fa-f]{128}")


def public_key(value: str) -> str:
    if not _PUBLIC_KEY.fullmatch(value):
        raise ValueError(
            "不是04开头的130位十六进制SM2公钥 / not an SM2 public key: 04 and 128 hex digits"
        )
    return value.lower()


# Pydantic's lax bool already takes true/false, yes/no, 1/0, t/f, y/n; add Chinese.
ZH_BOOL: dict[str, bool] = {"是": True, "有": True, "否": False, "无": False}


def _bool(value: Any) -> Any:
    return ZH_BOOL.get(value, value) if isinstance(value, str) else value


_SEPARATORS = re.compile(r"[;；,，|、\n]")


def _split(value: Any) -> Any:
    # A list in a CSV or XLSX cell: "A; B" or "甲、乙"; JSON Lines give real lists.
    if isinstance(value, str):
        return [part.strip() for part in _SEPARATORS.split(value) if part.strip()]
    return value


@dataclass(frozen=True)
class Refused:
    """A cell the reader could not take as it shows (an error value such as #N/A, a
    formula without a saved value, a merged cell, a duplicate JSON key): put in place of
    the field's value, the row schema reports it as that field's problem."""

    shown: str | None  # what the report shows as the value (the cell, the range)
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        return self.shown or ""


@cache
def plausible_dates() -> DateRange:
    """The date range of Settings (earliest_date, latest_date): one for every feed path."""
    settings = get_settings()
    return DateRange(
        date.fromisoformat(settings.earliest_date), date.fromisoformat(settings.latest_date)
    )


def day(value: Any) -> date:
    """A YYYY-MM-DD text or a spreadsheet date cell, in the plausible range; never a
    number (Pydantic would read 0, 86400 or "1767225600" as Unix timestamps)."""
    plausible = plausible_dates()
    if isinstance(value, date) and not isinstance(value, datetime):
        if not plausible.earliest <= value <= plausible.latest:
            raise ValueError(_out_of_range(plausible))
        return value
    try:
        return parse_iso_date(value, plausible)
    except ValueError as exc:
        if "plausible" in str(exc):
            raise ValueError(_out_of_range(plausible)) from None
        raise ValueError("不是YYYY-MM-DD日期 / not a date YYYY-MM-DD") from None


def _out_of_range(plausible: DateRange) -> str:
    start, end = plausible.earliest.isoformat(), plausible.latest.isoformat()
    return f"日期不在{start}至{end}之间 / date outside {start} to {end}"


Vin = Annotated[str, AfterValidator(vin)]
Uscc = Annotated[str, AfterValidator(uscc)]

# -- field types -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _iso(value: Any) -> Any:
    return iso(value) if isinstance(value, date) else value


@dataclass(frozen=True)
class FieldType:
    """What a column holds.

    `annotation`: the Pydantic type of the row schema; `column`: its SQL type;
    `store`: the value as the driver takes it (dates as ISO text, enums as their value);
    `check`: the columnar check (feeds/columnar.py), None when only the row path can
    validate it; `is_list`: several values, stored in a part table, not a column.
    """

    annotation: Any
    column: type[TypeEngine[Any]] = String
    store: Callable[[Any], Any] = _plain
    check: str | None = None
    is_list: bool = False


TEXT = FieldType(str, check="text")
LETTERS = FieldType(Annotated[str, Field(pattern=r"^[A-Za-z]+$")], check="letters")
VIN = FieldType(Vin, check="vin")
USCC = FieldType(Uscc, check="uscc")
# YYYY-MM-DD text or a date cell, in the plausible range (domain.dates, Settings); the
# columnar path checks most rows of a large CSV without calling it.
DAY = FieldType(Annotated[date, BeforeValidator(day)], Date, _iso, check="day")
COUNT = FieldType(Annotated[int, Field(ge=0)], Integer, check="count")
FLAG = FieldType(Annotated[bool, BeforeValidator(_bool)], Boolean, check="flag")
COUNTRY = FieldType(Annotated[str, AfterValidator(country)])
PUBLIC_KEY = FieldType(Annotated[str, AfterValidator(public_key)])
TEXTS = FieldType(Annotated[list[str], BeforeValidator(_split)], is_list=True)
VINS = FieldType(Annotated[list[Vin], BeforeValidator(_split)], is_list=True)


def person_id(value: str) -> str:
    """A resident ID number (stdnum.cn.ric: length, birth date, region, check
    character), or the keyed hash a store exported; the clear number is hashed when the
    row is stored (feeds/records.py) and never kept."""
    if is_token(value.strip()):
        return value.strip()
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(f"不是有效的居民身份证号码：{problem}")
    return compact(value)


PersonId = Annotated[str, AfterValidator(person_id)]
PERSON_ID = FieldType(PersonId)
PERSON_IDS = FieldType(Annotated[list[PersonId], BeforeValidator(_split)], is_list=True)
ANNEX1_ITEM = FieldType(Annotated[int, Field(ge=1, le=7)], Integer)


# The services as a Chinese sheet names them.
ZH_SERVICES = {"维修": "repair", "配件": "parts", "质保": "warranty", "保修": "warranty"}


def _service_names(value: Any) -> Any:
    value = _split(value)
    if isinstance(value, list):
        return [ZH_SERVICES.get(v, v.lower()) if isinstance(v, str) else v for v in value]
    return value


def _services(value: Any) -> Any:
    # Stored in one text column in a fixed order ("repair;parts;warranty"): an outlet
    # offers at most three services, a part table would be a join for nothing.
    if not value:
        return None
    chosen = {OutletService(v) for v in value}
    return ";".join(s.value for s in OutletService if s in chosen)


SERVICES = FieldType(
    Annotated[list[OutletService], BeforeValidator(_service_names)], String, _services
)


def one_of(enum: type[Enum]) -> FieldType:
    return FieldType(enum, store=_enum_value)


@dataclass(frozen=True)
class FeedField:
    """One column of a feed file and of its record.

    `en` describes the column in docs/feeds.md (the English header is `name`). `key`:
    the column that also stores the value normalised (NFKC, trimmed, upper case), for
    lookups. `default`: the value of an optional field left empty.
    """

    name: str
    zh: str
    en: str
    type: FieldType
    required: bool = False
    key: str | None = None
    default: Any = None


_USCC_DOC = "18-character USCC with its check character"
_F = FeedField

REGISTRATIONS = (
    _F("vin", "车辆识别代号", "VIN, 17 characters with its check digit", VIN, True, "vin_key"),
    _F("brand", "品牌", "brand as registered", TEXT),
    _F("model", "车辆型号", "model as registered", TEXT),
    _F("fuel_type", "燃料种类", "e.g. 汽油, 柴油, 纯电动, 插电式混合动力", TEXT),
    _F("registration_date", "注册登记日期", "YYYY-MM-DD", DAY),
    _F("transfer_for_export_date", "转让登记日期", "transfer for export, YYYY-MM-DD", DAY),
    _F("export_transfer_count", "出口转让次数", "transfers for export so far", COUNT),
    _F("status", "机动车状态", "status code letters, A = normal", LETTERS),
    _F("owner_uscc", "所有人统一社会信用代码", _USCC_DOC, USCC, key="owner_key"),
    _F("mortgaged", "是否抵押", "是/否, true/false", FLAG),
    _F("customs_supervised", "是否海关监管", "是/否, true/false", FLAG),
    _F("scrap_due_date", "强制报废日期", "YYYY-MM-DD, empty when none", DAY),
)

ANNOUNCEMENT = (
    _F(
        "enterprise_uscc",
        "企业统一社会信用代码",
        "holder of the product",
        USCC,
        True,
        "enterprise_key",
    ),
    _F("brand", "品牌", "product brand", TEXT, True),
    _F("model", "产品型号", "product model", TEXT, True),
    _F("product_type", "产品类别", "e.g. 厢式运输车", TEXT),
    _F("chassis_brand", "底盘品牌", "chassis brand", TEXT),
    _F("valid_from", "生效日期", "YYYY-MM-DD, empty = open", DAY),
    _F("valid_to", "失效日期", "YYYY-MM-DD, empty = open", DAY),
)

CCC = (
    _F("number", "证书编号", "certificate number", TEXT, True),
    _F("holder_uscc", "持证人统一社会信用代码", _USCC_DOC, USCC, key="holder_key"),
    _F("brand", "品牌", "brand", TEXT),
    _F("model", "型号", "model", TEXT),
    _F("valid_from", "发证日期", "YYYY-MM-DD", DAY),
    _F("valid_to", "有效期至", "YYYY-MM-DD", DAY),
    _F("status", "证书状态", "valid / suspended / revoked …", TEXT),
)

MANUFACTURERS = (
    _F("uscc", "统一社会信用代码", _USCC_DOC, USCC, True, "uscc_key"),
    _F("name", "企业名称", "name", TEXT),
    _F(
        "kind",
        "企业类型",
        "manufacturer, sales_company, modifier, importer, other",
        one_of(ManufacturerKind),
    ),
    _F("in_announcement", "是否列入公告", "是/否, true/false", FLAG),
    _F("brands", "品牌", "brands, separated by ; or 、", TEXTS),
    _F("public_key", "公钥", "SM2 public key, 04 + 128 hex digits", PUBLIC_KEY),
)

OUTLETS = (
    _F("manufacturer_uscc", "生产企业统一社会信用代码", _USCC_DOC, USCC, True, "manufacturer_key"),
    _F("name", "网点名称", "outlet name", TEXT, True),
    _F("country", "国家", "ISO 3166-1 alpha-2", COUNTRY, True),
    _F("city", "城市", "city", TEXT),
    _F("address", "地址", "address", TEXT),
    _F("phone", "联系电话", "contact", TEXT),
    _F("services", "服务项目", "repair; parts; warranty (维修、配件、质保)", SERVICES),
)

ENTERPRISES = (
    _F("uscc", "统一社会信用代码", _USCC_DOC, USCC, True, "uscc_key"),
    _F("name", "企业名称", "name", TEXT),
    _F("region", "所在地区", "province or city", TEXT),
    _F(
        "legal_representative_id",
        "法定代表人证件号",
        "legal representative's resident ID number (18 characters with its check "
        "character); stored only as a keyed hash and a masked form",
        PERSON_ID,
        key="legal_representative_key",
    ),
    _F(
        "related_person_ids",
        "关联人员证件号",
        "related persons' resident ID numbers, ; separated; stored as above",
        PERSON_IDS,
    ),
)

CUSTOMS = (
    _F("declaration_no", "报关单号", "declaration number", TEXT, True, "declaration_key"),
    _F("enterprise_uscc", "经营单位统一社会信用代码", _USCC_DOC, USCC, key="enterprise_key"),
    _F("license_no", "许可证号", "export license cited", TEXT),
    _F("vins", "车辆识别代号", "VINs declared, ; separated", VINS, True),
    _F("export_date", "出口日期", "clearance date, YYYY-MM-DD", DAY, True),
    _F("port", "口岸", "port of exit", TEXT),
)

DEREGISTRATIONS = (
    _F("vin", "车辆识别代号", "VIN", VIN, True, "vin_key"),
    _F("deregistered_on", "注销日期", "YYYY-MM-DD", DAY, True),
    _F("certificate_no", "注销证明编号", "certificate number", TEXT),
    _F("reason", "注销原因", "reason", TEXT),
)

INSPECTIONS = (
    _F("vin", "车辆识别代号", "VIN", VIN, True, "vin_key"),
    _F("report_no", "报告编号", "report number", TEXT),
    _F("body", "检测机构", "inspection body", TEXT),
    _F("standard", "检测标准", "WM/T 8-2022 or WM/T 9-2022", TEXT),
    _F("inspected_on", "检测日期", "YYYY-MM-DD", DAY, True),
    _F("result", "检测结论", "pass / fail", one_of(InspectionResult), True),
)

FILINGS = (
    _F("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC, USCC, True, "enterprise_key"),
    _F("province", "备案省份", "province", TEXT),
    _F("valid_from", "备案生效日期", "YYYY-MM-DD", DAY, True),
    _F("valid_to", "备案截止日期", "YYYY-MM-DD", DAY, True),
)

CREDIT_EVENTS = (
    _F("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC, USCC, True, "enterprise_key"),
    _F("item", "负面清单项", "Annex 1 item, 1-7", ANNEX1_ITEM, True),
    _F("date", "发生日期", "YYYY-MM-DD", DAY, True),
    _F("note", "说明", "note", TEXT),
    _F("rectification", "整改状态", "none / submitted / accepted", one_of(Rectification)),
)

CAPACITY = (
    _F("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC, USCC, True, "enterprise_key"),
    _F("annual_capacity", "年产能", "vehicles per year", COUNT),
    _F("exported_last_12_months", "近12个月出口量", "vehicles exported", COUNT),
)

LICENSES = (
    _F("license_no", "许可证号", "license number", TEXT, True),
    _F("agency", "发证机关", "issuing agency", TEXT),
    _F("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC, USCC, key="enterprise_key"),
    _F("issued_on", "发证日期", "YYYY-MM-DD", DAY),
    _F("valid_to", "有效期至", "YYYY-MM-DD", DAY),
    _F(
        "status",
        "状态",
        "open / used / expired / revoked",
        one_of(LicenseStatus),
        default=LicenseStatus.OPEN,
    ),
    _F("vins", "车辆识别代号", "VINs on the annex, ; separated", VINS),
)
