"""Cells of the CSV and XLSX files carexport writes, made inert for spreadsheets.

A report copies values from the file it reports on; a value such as
`=HYPERLINK("http://…","点击")` written verbatim into a CSV that Excel or WPS opens is
run as a formula (CSV injection). Every cell that begins with one of the characters a
spreadsheet takes as the start of a formula or a DDE call (`=`, `+`, `-`, `@`, tab,
carriage return, and their full-width forms, which some spreadsheets also accept) gets a
leading `'`, as OWASP recommends: the spreadsheet then shows the text as written. The
cost: a negative number written as a *value* of a report reads `'-5` there, which is
right for a report (it quotes what the file said, as text).

Every CSV/XLSX writer of the project passes its cells through `inert` (or `inert_row`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FORMULA_STARTS", "inert", "inert_row"]

# ASCII and the full-width forms (U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠).
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def inert(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would run it."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def inert_row(values: Iterable[object]) -> list[str]:
    return [inert(value) for value in values]
