"""The registry feeds: for each kind, its columns (en and zh names) and its row schema.

This is the one declarative place per kind: `carexport import KIND FILE` accepts either
name of each column as a header (CSV, XLSX) or key (JSON Lines), validates each row with
the schema below and hands it to the table's row builder (feeds/records.py). The table
in docs/feeds.md is this list written out.

Row schemas are lax where files are (CSV gives text: "12" is a number, 是/否 a boolean)
and strict where the registries are: VINs and USCCs must pass their check characters,
dates must be YYYY-MM-DD. Messages are "中文 / English".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core.core_schema import ValidationInfo

from carexport.applications.enums import LicenseStatus
from carexport.domain import vin as vin_module
from carexport.domain.country import country_code
from carexport.domain.facts import InspectionResult, ManufacturerKind, Rectification
from carexport.domain.text import normalize_identifier
from carexport.domain.uscc import is_valid_uscc
from carexport.feeds import records
from carexport.feeds.bulk import Target

_VIN_VALUES = {c: vin_module._TRANSLITERATION[c] for c in vin_module._TRANSLITERATION}
_VIN_WEIGHTS = vin_module._WEIGHTS
_VIN_PATTERN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def _vin_problem(vin: str) -> str | None:
    # Same answer as domain.vin.vin_problem (a test holds them together), in a third of
    # the time: a million-row feed checks a million VINs.
    if not _VIN_PATTERN.fullmatch(vin):
        return "format"
    remainder = sum(map(mul, map(_VIN_VALUES.__getitem__, vin), _VIN_WEIGHTS)) % 11
    return None if vin[8] == ("X" if remainder == 10 else str(remainder)) else "check_digit"


@lru_cache(maxsize=65536)
def _uscc_valid(code: str) -> bool:
    # stdnum takes ~40 µs a code; a feed names the same few thousand owners again and
    # again, so the answers are cached.
    return is_valid_uscc(code)


def _vin(value: str) -> str:
    vin = normalize_identifier(value) or ""
    problem = _vin_problem(vin)
    if problem == "format":
        raise ValueError(
            "不是17位车辆识别代号字符（数字和字母，不含I、O、Q） / "
            "not 17 characters of the VIN alphabet (digits and letters except I, O, Q)"
        )
    if problem == "check_digit":
        raise ValueError("校验位错误 / check digit wrong")
    return vin


def _uscc(value: str) -> str:
    code = normalize_identifier(value) or ""
    if not _uscc_valid(code):
        raise ValueError(
            "不是有效的统一社会信用代码（18位、登记管理部门代码、校验码） / "
            "not a valid USCC (18 characters, region code, check character)"
        )
    return code


def _country(value: str) -> str:
    code = country_code(value)
    if code is None:
        raise ValueError("不是ISO 3166-1两位国家代码 / not an ISO 3166-1 alpha-2 country code")
    return code


_PUBLIC_KEY = re.compile(r"04[0-9A-Fa-f]{128}")


def _public_key(value: str) -> str:
    if not _PUBLIC_KEY.fullmatch(value):
        raise ValueError(
            "不是04开头的130位十六进制SM2公钥 / not an SM2 public key: 04 and 128 hex digits"
        )
    return value.lower()


# Pydantic's lax bool already takes true/false, yes/no, 1/0, t/f, y/n; add Chinese.
_ZH_BOOL: dict[Any, bool] = {"是": True, "有": True, "否": False, "无": False}


def _bool(value: Any) -> Any:
    return _ZH_BOOL.get(value, value) if isinstance(value, str) else value


_SEPARATORS = re.compile(r"[;；,，|、\n]")


def _split(value: Any) -> Any:
    # A list in a CSV or XLSX cell: "A; B" or "甲、乙"; JSON Lines give real lists.
    if isinstance(value, str):
        return [part.strip() for part in _SEPARATORS.split(value) if part.strip()]
    return value


Vin = Annotated[str, AfterValidator(_vin)]
Uscc = Annotated[str, AfterValidator(_uscc)]
Country = Annotated[str, AfterValidator(_country)]
Flag = Annotated[bool, BeforeValidator(_bool)]
# Pydantic's own date parsing (in Rust): YYYY-MM-DD, or a date-time at midnight, which a
# spreadsheet may hold; far faster than a Python validator on a million-row feed.
Day = date
Texts = Annotated[list[str], BeforeValidator(_split)]
Vins = Annotated[list[Vin], BeforeValidator(_split)]


class FeedRow(BaseModel):
    # Lax: a file's cells are text. Unknown columns were already dropped by the reader.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class _Validity(FeedRow):
    @field_validator("valid_to", check_fields=False)
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError("截止日期早于起始日期 / ends before it starts")
        return value


class RegistrationRow(FeedRow):
    vin: Vin
    brand: str | None = None
    model: str | None = None
    registration_date: Day | None = None
    transfer_for_export_date: Day | None = None
    export_transfer_count: int | None = Field(default=None, ge=0)
    status: str | None = Field(default=None, pattern=r"^[A-Za-z]+$")
    owner_uscc: Uscc | None = None
    mortgaged: Flag | None = None
    customs_supervised: Flag | None = None
    scrap_due_date: Day | None = None


class InspectionRow(FeedRow):
    vin: Vin
    report_no: str | None = None
    body: str | None = None
    standard: str | None = None
    inspected_on: Day
    result: InspectionResult


class ExportFilingRow(_Validity):
    enterprise_uscc: Uscc
    province: str | None = None
    valid_from: Day
    valid_to: Day


class ManufacturerRow(FeedRow):
    uscc: Uscc
    name: str | None = None
    kind: ManufacturerKind | None = None
    in_announcement: Flag | None = None
    brands: Texts = Field(default_factory=list)
    public_key: Annotated[str, AfterValidator(_public_key)] | None = None


class OutletRow(FeedRow):
    manufacturer_uscc: Uscc
    name: str
    country: Country
    city: str | None = None
    address: str | None = None
    phone: str | None = None


class AnnouncementRow(_Validity):
    enterprise_uscc: Uscc
    brand: str
    model: str
    product_type: str | None = None
    chassis_brand: str | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None


class CccRow(_Validity):
    number: str
    holder_uscc: Uscc | None = None
    brand: str | None = None
    model: str | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None
    status: str | None = None


class EnterpriseRow(FeedRow):
    uscc: Uscc
    name: str | None = None
    region: str | None = None
    legal_representative_id: str | None = None
    related_person_ids: Texts = Field(default_factory=list)


class CreditEventRow(FeedRow):
    enterprise_uscc: Uscc
    item: int = Field(ge=1, le=7)
    date: Day
    note: str | None = None
    rectification: Rectification | None = None


class CapacityRow(FeedRow):
    enterprise_uscc: Uscc
    annual_capacity: int | None = Field(default=None, ge=0)
    exported_last_12_months: int | None = Field(default=None, ge=0)


class CustomsRow(FeedRow):
    declaration_no: str
    enterprise_uscc: Uscc | None = None
    license_no: str | None = None
    vins: Vins = Field(min_length=1)
    export_date: Day
    port: str | None = None


class DeregistrationRow(FeedRow):
    vin: Vin
    deregistered_on: Day
    certificate_no: str | None = None
    reason: str | None = None


class LicenseRow(_Validity):
    license_no: str
    agency: str | None = None
    enterprise_uscc: Uscc | None = None
    issued_on: Day | None = None
    valid_to: Day | None = None
    status: LicenseStatus = LicenseStatus.OPEN
    vins: Vins = Field(default_factory=list)

    @field_validator("valid_to")
    @classmethod
    def _not_before_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued = info.data.get("issued_on")
        if value is not None and issued is not None and value < issued:
            raise ValueError("有效期早于发证日期 / expires before it was issued")
        return value


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str  # a short description for docs/feeds.md; the English header is `field`


@dataclass(frozen=True)
class Feed:
    kind: str
    title: str  # "中文 / English"
    schema: type[FeedRow]
    columns: tuple[Column, ...]
    target: Target
    build: Callable[[Any], Any]
    key_fields: tuple[str, ...]  # what makes two rows the same record (for messages)
    part: Target | None = None

    def required(self) -> list[str]:
        return [c.field for c in self.columns if self.schema.model_fields[c.field].is_required()]


def _c(field: str, zh: str, en: str) -> Column:
    return Column(field, zh, en)


_USCC_DOC = "18-character USCC with its check character"

FEEDS: dict[str, Feed] = {
    feed.kind: feed
    for feed in (
        Feed(
            "registrations",
            "机动车登记信息 / vehicle registration records (MPS)",
            RegistrationRow,
            (
                _c("vin", "车辆识别代号", "VIN, 17 characters with its check digit"),
                _c("brand", "品牌", "brand as registered"),
                _c("model", "车辆型号", "model as registered"),
                _c("registration_date", "注册登记日期", "YYYY-MM-DD"),
                _c("transfer_for_export_date", "转让登记日期", "transfer for export, YYYY-MM-DD"),
                _c("export_transfer_count", "出口转让次数", "transfers for export so far"),
                _c("status", "机动车状态", "status code letters, A = normal"),
                _c("owner_uscc", "所有人统一社会信用代码", _USCC_DOC),
                _c("mortgaged", "是否抵押", "是/否, true/false"),
                _c("customs_supervised", "是否海关监管", "是/否, true/false"),
                _c("scrap_due_date", "强制报废日期", "YYYY-MM-DD, empty when none"),
            ),
            records.REGISTRATIONS,
            records.registration_from_feed,
            ("vin",),
        ),
        Feed(
            "announcement",
            "《公告》产品 / MIIT Announcement products",
            AnnouncementRow,
            (
                _c("enterprise_uscc", "企业统一社会信用代码", "holder of the product"),
                _c("brand", "品牌", "product brand"),
                _c("model", "产品型号", "product model"),
                _c("product_type", "产品类别", "e.g. 厢式运输车"),
                _c("chassis_brand", "底盘品牌", "chassis brand"),
                _c("valid_from", "生效日期", "YYYY-MM-DD, empty = open"),
                _c("valid_to", "失效日期", "YYYY-MM-DD, empty = open"),
            ),
            records.ANNOUNCEMENT_PRODUCTS,
            records.announcement_product,
            ("enterprise_uscc", "brand", "model", "valid_from"),
        ),
        Feed(
            "ccc",
            "CCC证书 / CCC certificates",
            CccRow,
            (
                _c("number", "证书编号", "certificate number"),
                _c("holder_uscc", "持证人统一社会信用代码", _USCC_DOC),
                _c("brand", "品牌", "brand"),
                _c("model", "型号", "model"),
                _c("valid_from", "发证日期", "YYYY-MM-DD"),
                _c("valid_to", "有效期至", "YYYY-MM-DD"),
                _c("status", "证书状态", "valid / suspended / revoked …"),
            ),
            records.CCC_CERTIFICATES,
            records.ccc_certificate,
            ("number",),
        ),
        Feed(
            "manufacturers",
            "生产企业 / manufacturers and other issuers",
            ManufacturerRow,
            (
                _c("uscc", "统一社会信用代码", _USCC_DOC),
                _c("name", "企业名称", "name"),
                _c("kind", "企业类型", "manufacturer, sales_company, modifier, importer, other"),
                _c("in_announcement", "是否列入公告", "是/否, true/false"),
                _c("brands", "品牌", "brands, separated by ; or 、"),
                _c("public_key", "公钥", "SM2 public key, 04 + 128 hex digits"),
            ),
            records.MANUFACTURERS,
            records.manufacturer,
            ("uscc",),
            records.MANUFACTURER_BRANDS,
        ),
        Feed(
            "outlets",
            "境外售后服务网点 / after-sales outlets abroad",
            OutletRow,
            (
                _c("manufacturer_uscc", "生产企业统一社会信用代码", _USCC_DOC),
                _c("name", "网点名称", "outlet name"),
                _c("country", "国家", "ISO 3166-1 alpha-2"),
                _c("city", "城市", "city"),
                _c("address", "地址", "address"),
                _c("phone", "联系电话", "contact"),
            ),
            records.OUTLETS,
            records.outlet,
            ("manufacturer_uscc", "country", "city", "name"),
        ),
        Feed(
            "enterprises",
            "企业 / enterprises",
            EnterpriseRow,
            (
                _c("uscc", "统一社会信用代码", _USCC_DOC),
                _c("name", "企业名称", "name"),
                _c("region", "所在地区", "province or city"),
                _c("legal_representative_id", "法定代表人证件号", "legal representative's ID"),
                _c("related_person_ids", "关联人员证件号", "related persons' IDs, ; separated"),
            ),
            records.ENTERPRISES,
            records.enterprise,
            ("uscc",),
            records.RELATED_PERSONS,
        ),
        Feed(
            "customs",
            "出口报关单 / customs export declarations (GACC)",
            CustomsRow,
            (
                _c("declaration_no", "报关单号", "declaration number"),
                _c("enterprise_uscc", "经营单位统一社会信用代码", _USCC_DOC),
                _c("license_no", "许可证号", "export license cited"),
                _c("vins", "车辆识别代号", "VINs declared, ; separated"),
                _c("export_date", "出口日期", "clearance date, YYYY-MM-DD"),
                _c("port", "口岸", "port of exit"),
            ),
            records.CUSTOMS,
            records.customs_declaration,
            ("declaration_no",),
            records.CUSTOMS_VINS,
        ),
        Feed(
            "deregistrations",
            "注销登记 / deregistrations",
            DeregistrationRow,
            (
                _c("vin", "车辆识别代号", "VIN"),
                _c("deregistered_on", "注销日期", "YYYY-MM-DD"),
                _c("certificate_no", "注销证明编号", "certificate number"),
                _c("reason", "注销原因", "reason"),
            ),
            records.DEREGISTRATIONS,
            records.deregistration,
            ("vin",),
        ),
        Feed(
            "inspections",
            "第三方检测报告 / inspection reports",
            InspectionRow,
            (
                _c("vin", "车辆识别代号", "VIN"),
                _c("report_no", "报告编号", "report number"),
                _c("body", "检测机构", "inspection body"),
                _c("standard", "检测标准", "WM/T 8-2022 or WM/T 9-2022"),
                _c("inspected_on", "检测日期", "YYYY-MM-DD"),
                _c("result", "检测结论", "pass / fail"),
            ),
            records.INSPECTIONS,
            records.inspection,
            ("vin", "inspected_on", "report_no", "result"),
        ),
        Feed(
            "filings",
            "出口备案 / export filings",
            ExportFilingRow,
            (
                _c("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC),
                _c("province", "备案省份", "province"),
                _c("valid_from", "备案生效日期", "YYYY-MM-DD"),
                _c("valid_to", "备案截止日期", "YYYY-MM-DD"),
            ),
            records.EXPORT_FILINGS,
            records.export_filing,
            ("enterprise_uscc", "valid_from", "valid_to"),
        ),
        Feed(
            "credit-events",
            "信用事件 / credit events",
            CreditEventRow,
            (
                _c("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC),
                _c("item", "负面清单项", "Annex 1 item, 1-7"),
                _c("date", "发生日期", "YYYY-MM-DD"),
                _c("note", "说明", "note"),
                _c("rectification", "整改状态", "none / submitted / accepted"),
            ),
            records.CREDIT_EVENTS,
            records.credit_event,
            ("enterprise_uscc", "item", "date", "note"),
        ),
        Feed(
            "capacity",
            "改装企业产能 / modifier capacity",
            CapacityRow,
            (
                _c("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC),
                _c("annual_capacity", "年产能", "vehicles per year"),
                _c("exported_last_12_months", "近12个月出口量", "vehicles exported"),
            ),
            records.MODIFIER_CAPACITY,
            records.modifier_capacity,
            ("enterprise_uscc",),
        ),
        Feed(
            "licenses",
            "出口许可证 / export licenses",
            LicenseRow,
            (
                _c("license_no", "许可证号", "license number"),
                _c("agency", "发证机关", "issuing agency"),
                _c("enterprise_uscc", "企业统一社会信用代码", _USCC_DOC),
                _c("issued_on", "发证日期", "YYYY-MM-DD"),
                _c("valid_to", "有效期至", "YYYY-MM-DD"),
                _c("status", "状态", "open / used / expired / revoked"),
                _c("vins", "车辆识别代号", "VINs on the annex, ; separated"),
            ),
            records.LICENSES,
            records.license_,
            ("license_no",),
            records.LICENSE_VEHICLES,
        ),
    )
}
