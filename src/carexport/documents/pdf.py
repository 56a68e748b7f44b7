"""A4 PDFs of signed documents: the face a person reads, the signed JSON inside.

Each PDF shows the document (a license with its annex, or a 售后服务确认书 with its
outlets), the issuer's seal drawn in vector (red circle, star, the organisation's name
along the rim), and a QR code holding the verification URL `{base}/verify/{number}`.
The signed JSON is attached as an embedded file: the face is for reading, the
attachment is what `carexport verify FILE.pdf` checks, so a PDF whose face was redrawn
proves nothing and one whose attachment was replaced fails its signature.

Chinese text is set in an embedded subset of Noto Sans CJK SC (documents.fonts).
Rendering reads the font file but nothing else: no database, no clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace, TTFFont

from carexport.documents.fonts import font_for
from carexport.pages.templating import country_label

__all__ = [
    "ATTACHMENT_SUFFIX",
    "confirmation_pdf",
    "license_pdf",
    "verify_url",
]

ATTACHMENT_SUFFIX = ".json"
_FONT = "cjk"
_RED = (200, 22, 29)
_INK = (20, 20, 20)
_GREY = (110, 110, 110)
_PAGE_W = 210.0
_MARGIN = 16.0
_WIDTH = _PAGE_W - 2 * _MARGIN

_ANNEX_HEAD = ("序号 No.", "车辆识别代号 VIN", "品牌 Brand", "型号 Model", "注册 Registered",
               "转出口 Transfer")  # fmt: skip
LICENSE_STATUS_LABELS = {
    "issued": "已签发 issued",
    "extended": "已延期 extended",
}


def verify_url(base_url: str, number: str) -> str:
    """The short verification address a QR code carries."""
    return f"{base_url.rstrip('/')}/verify/{number}"


@dataclass(frozen=True)
class _Face:
    """What one PDF shows: its lines, the seal and the QR code."""

    number: str
    title_zh: str
    title_en: str
    fields: list[tuple[str, str]]
    table_title: str
    table_head: tuple[str, ...]
    table_widths: tuple[float, ...]
    table_rows: Sequence[tuple[str, ...]]
    issuer_name: str
    seal_caption: str
    url: str
    signed_on: str
    key_id: str
    attachment: bytes
    created: datetime


def _text(value: Any) -> str:
    if value is None:
        return "—"
    return str(value)


def _signed_day(document: Mapping[str, Any]) -> datetime:
    # The PDF's creation date is the signing day, so that rendering one document twice
    # gives the same bytes.
    for name in ("signed_on", "issued_on"):
        value = document.get(name)
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                continue
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return datetime(2000, 1, 1, tzinfo=UTC)


def _attachment(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _destination(code: object) -> str:
    """The country in both languages: 哈萨克斯坦 Kazakhstan (KZ)."""
    zh, en = country_label(code, "zh"), country_label(code, "en")
    if zh == en:  # unknown code, or no name: as it is
        return _text(code)
    return f"{zh.rsplit(' (', 1)[0]} {en}"


def license_pdf(document: Mapping[str, Any], *, base_url: str, superseded: bool = False) -> bytes:
    """The PDF of a signed license document (documents.licenses builds it)."""
    number = _text(document.get("license_no"))
    version = document.get("version")
    status = LICENSE_STATUS_LABELS.get(str(document.get("status")), _text(document.get("status")))
    agency = _text(document.get("agency"))
    region = document.get("agency_region")
    fields = [
        ("许可证号 Licence No.", f"{number}    第 {_text(version)} 版 version {_text(version)}"),
        (
            "出口经营者 Exporter",
            f"{_text(document.get('enterprise_name'))}\n"
            f"统一社会信用代码 USCC {_text(document.get('enterprise_uscc'))}",
        ),
        ("发证机构 Issuing authority", agency + (f"（地区 region {region}）" if region else "")),
        ("目的国（地区）Destination", _destination(document.get("destination_country"))),
        ("签发日期 Issued on", _text(document.get("issued_on"))),
        (
            "有效期 Valid",
            f"{_text(document.get('valid_from'))} 至 to {_text(document.get('valid_to'))}",
        ),
        ("状态（签署时）Status when signed", status),
    ]
    if superseded:
        fields.append(("注意 Note", "本版本已被新版本取代 / superseded by a later version"))
    annex = document.get("annex")
    lines = annex if isinstance(annex, list) else []
    rows = [
        (
            str(position),
            _text(line.get("vin")),
            _text(line.get("brand")),
            _text(line.get("model")),
            _text(line.get("registration_date")),
            _text(line.get("transfer_for_export_date")),
        )
        for position, line in enumerate((x for x in lines if isinstance(x, Mapping)), start=1)
    ]
    face = _Face(
        number=number,
        title_zh="中华人民共和国出口许可证（二手车）",
        title_en="Export Licence of the People's Republic of China — Used Vehicles",
        fields=fields,
        table_title=f"附表 Annex: 车辆清单 vehicles ({len(rows)})",
        table_head=_ANNEX_HEAD,
        table_widths=(15, 42, 30, 36, 27, 28),
        table_rows=rows,
        issuer_name=agency,
        seal_caption="出口许可证专用章",
        url=verify_url(base_url, number),
        signed_on=_text(document.get("signed_on")),
        key_id=_text(document.get("key_id")),
        attachment=_attachment(document),
        created=_signed_day(document),
    )
    return _render(face)


def confirmation_pdf(
    document: Mapping[str, Any], *, issuer_name: str, base_url: str, revoked: bool = False
) -> bytes:
    """The PDF of a signed 售后服务确认书 (CHECK_FORMAT.md's confirmation object)."""
    number = _text(document.get("id"))
    model = _text(document.get("model"))
    vins = document.get("vins")
    vin_text = (
        "\n".join(str(v) for v in vins) if isinstance(vins, list) else _text(document.get("vin"))
    )
    fields = [
        ("确认书编号 No.", number),
        (
            "出具单位 Issued by",
            f"{issuer_name}\n统一社会信用代码 USCC {_text(document.get('issuer_uscc'))}",
        ),
        ("车辆识别代号 VIN", vin_text),
        ("品牌 / 型号 Brand / model", f"{_text(document.get('brand'))} / {model}"),
        ("目的国（地区）Destination", _destination(document.get("destination_country"))),
        ("出具日期 Issued on", _text(document.get("issued_on"))),
        (
            "确认 Statement",
            "本企业在上述目的国（地区）为该车辆提供售后服务（维修、配件、保修），"
            "服务网点如下。\nWe provide after-sales service (repair, parts, warranty) for this "
            "vehicle in the destination country at the outlets below.",
        ),
    ]
    if revoked or document.get("revoked") is True:
        fields.append(("注意 Note", "本确认书已撤销 / this confirmation is revoked"))
    outlets = document.get("outlets")
    rows = [
        (
            _text(outlet.get("name")),
            _text(outlet.get("city")),
            _text(outlet.get("address")),
            _text(outlet.get("phone")),
        )
        for outlet in (outlets if isinstance(outlets, list) else [])
        if isinstance(outlet, Mapping)
    ]
    face = _Face(
        number=number,
        title_zh="售后服务确认书",
        title_en="After-sales Service Confirmation (used vehicle export)",
        fields=fields,
        table_title=f"服务网点 Service outlets ({len(rows)})",
        table_head=("名称 Name", "城市 City", "地址 Address", "电话 Phone"),
        table_widths=(48, 28, 68, 34),
        table_rows=rows,
        issuer_name=issuer_name,
        seal_caption="售后服务专用章",
        url=verify_url(base_url, number),
        signed_on=_text(document.get("signed_on") or document.get("issued_on")),
        key_id=_text(document.get("key_id")),
        attachment=_attachment(document),
        created=_signed_day(document),
    )
    return _render(face)


def _all_text(face: _Face) -> Iterable[str]:
    yield from (face.title_zh, face.title_en, face.table_title, face.issuer_name)
    yield from (face.seal_caption, face.url, face.key_id, face.signed_on, face.number)
    for label, value in face.fields:
        yield label
        yield value
    yield from face.table_head
    for row in face.table_rows:
        yield from row
    yield _FIXED_TEXT


_FIXED_TEXT = (
    "扫码核验 Scan to verify 签名密钥 Key ID 签署日期 Signed on 发证机构（盖章）Seal "
    "本文件的签名 JSON 作为附件嵌在此 PDF 中，可离线核验：carexport verify FILE.pdf "
    "The signed JSON is attached to this PDF; verify it offline. 第 页 Page / —"
)


class _Pdf(FPDF):
    number = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=7.5)
        self.set_text_color(*_GREY)
        self.cell(
            0,
            5,
            f"{self.number}    第 {self.page_no()}/{{nb}} 页 Page {self.page_no()}/{{nb}}",
            align="C",
        )


def _render(face: _Face) -> bytes:
    font = font_for("".join(_all_text(face)))
    pdf = _Pdf(orientation="portrait", unit="mm", format="A4")
    pdf.number = face.number
    pdf.set_margins(_MARGIN, 14, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_creation_date(face.created)
    pdf.set_title(f"{face.title_zh} {face.number}")
    pdf.set_subject(face.title_en)
    pdf.set_author(face.issuer_name)
    pdf.set_creator("carexport")
    pdf.set_lang("zh-CN")
    pdf.add_font(_FONT, fname=str(font.path), collection_font_number=font.index)
    for loaded in pdf.fonts.values():
        # The subset's bounding boxes are only hints in a PDF (the FontDescriptor's
        # FontBBox); recomputing them runs every glyph's charstring and cost half the
        # time of a one-page document.
        if isinstance(loaded, TTFFont):
            loaded.ttfont.recalcBBoxes = False
    pdf.add_page()

    # Title
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=17)
    pdf.cell(0, 9, face.title_zh, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=9)
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 5, face.title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.5)
    pdf.line(_MARGIN, pdf.get_y(), _PAGE_W - _MARGIN, pdf.get_y())
    pdf.ln(3)

    # Fields: label | value
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=9.5)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(150, 150, 150)
    with pdf.table(
        col_widths=(58, _WIDTH - 58),
        text_align="LEFT",
        first_row_as_headings=False,
        line_height=5.6,
        padding=(1.2, 2),
    ) as table:
        for label, value in face.fields:
            row = table.row()
            row.cell(label, style=FontFace(color=_GREY))
            row.cell(value)
    pdf.ln(4)

    _seal_and_qr(pdf, face)
    pdf.set_text_color(*_INK)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)

    # The table (annex or outlets); its headings repeat on each page.
    pdf.set_font(_FONT, size=11)
    pdf.cell(0, 7, face.table_title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=8.5)
    if face.table_rows:
        with pdf.table(
            col_widths=face.table_widths,
            line_height=4.8,
            padding=(0.8, 1.2),
            headings_style=FontFace(fill_color=(238, 238, 238)),
            repeat_headings=1,
            text_align="LEFT",
        ) as table:
            head = table.row()
            for title in face.table_head:
                head.cell(title)
            for values in face.table_rows:
                row = table.row()
                for value in values:
                    row.cell(value)
    else:
        pdf.cell(0, 6, "—", new_x="LMARGIN", new_y="NEXT")

    pdf.embed_file(
        bytes=face.attachment,
        basename=f"{face.number}{ATTACHMENT_SUFFIX}",
        desc="signed document (SM2-SM3 over RFC 8785 JSON)",
        mime_type="application/json",
        modification_date=face.created,
        creation_date=face.created,
        compress=True,
    )
    return bytes(pdf.output())


def _seal_and_qr(pdf: FPDF, face: _Face) -> None:
    """The QR code and its URL on the left, the seal on the right, in one band."""
    band = 46.0
    if pdf.get_y() + band > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y()
    qr_size = 32.0
    _qr(pdf, face.url, x=_MARGIN, y=top + 2, size=qr_size)
    text_x = _MARGIN + qr_size + 4
    pdf.set_xy(text_x, top + 3)
    pdf.set_font(_FONT, size=9)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 5, "扫码核验 Scan to verify", new_x="LEFT", new_y="NEXT")
    pdf.set_font(_FONT, size=8)
    pdf.cell(0, 4.5, face.url, new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 4.5, f"签名密钥 Key ID: {face.key_id}", new_x="LEFT", new_y="NEXT")
    pdf.cell(0, 4.5, f"签署日期 Signed on: {face.signed_on}", new_x="LEFT", new_y="NEXT")
    pdf.multi_cell(
        96,
        4,
        "本文件的签名 JSON 作为附件嵌在此 PDF 中，可离线核验：carexport verify FILE.pdf\n"
        "The signed JSON is attached to this PDF; verify it offline.",
        align="L",
        new_x="LEFT",
        new_y="NEXT",
    )
    radius = 20.0
    centre_x = _PAGE_W - _MARGIN - radius - 4
    centre_y = top + band / 2
    _seal(pdf, face.issuer_name, face.seal_caption, centre_x, centre_y, radius)
    pdf.set_text_color(*_INK)
    pdf.set_xy(_MARGIN, top + band)


def _qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code drawn as filled rectangles: one per run of dark modules in a row."""
    code = segno.make(url, error="m", micro=False)
    rows: Sequence[Sequence[int]] = [list(r) for r in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(rows):
        start: int | None = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                pdf.rect(
                    x + start * module,
                    y + row_index * module,
                    (column - start) * module,
                    module,
                    style="F",
                )
                start = None


def _seal(pdf: FPDF, name: str, caption: str, cx: float, cy: float, radius: float) -> None:
    """An official-style seal in vector: a red ring, a five-pointed star in the middle,
    the organisation's name along the upper rim and the seal's purpose below the star."""
    pdf.set_draw_color(*_RED)
    pdf.set_fill_color(*_RED)
    pdf.set_text_color(*_RED)
    pdf.set_line_width(1.1)
    pdf.circle(cx, cy, radius)
    pdf.set_line_width(0.25)
    pdf.circle(cx, cy, radius - 1.3)
    pdf.star(cx, cy, radius * 0.14, radius * 0.36, corners=5, rotate_degrees=-90, style="F")

    characters = list(name.strip()) or ["—"]
    count = len(characters)
    # Spread the name over the upper rim: at least 150 degrees (a short name is not a
    # cluster at the top), at most 250, about 30 degrees a character between.
    span = min(250.0, max(150.0, 30.0 * count))
    step = span / count
    size_mm = min(5.2, 2 * math.pi * (radius - 4.5) * (step / 360) * 0.92)
    pdf.set_font(_FONT, size=size_mm / 0.3528)
    text_radius = radius - 2.2 - size_mm
    for index, character in enumerate(characters):
        theta = -span / 2 + step * (index + 0.5)  # degrees clockwise from the top
        rad = math.radians(theta)
        px = cx + text_radius * math.sin(rad)
        py = cy - text_radius * math.cos(rad)
        width = pdf.get_string_width(character)
        with pdf.rotation(angle=-theta, x=px, y=py):
            pdf.text(px - width / 2, py + size_mm * 0.35, character)

    pdf.set_font(_FONT, size=7.5)
    width = pdf.get_string_width(caption)
    pdf.text(cx - width / 2, cy + radius * 0.62, caption)
