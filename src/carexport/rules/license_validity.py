"""How long a license is valid, and which year it belongs to (签发工作规范 第十三、十四、十六条).

Pure: the day of issue, the requested year and the parameters are passed in. The
numbers themselves (6 months, 10 December) are dated parameters in parameters.yaml.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from carexport.rules.parameters import ParameterTable, default_parameters


def same_day_months_later(start: date, months: int) -> date:
    """The same day `months` later; a month without that day gives the first of the
    month after it (2026-03-31 + 6 months → 2026-10-01), as 第十四条 is read."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day <= monthrange(year, month)[1]:
        return date(year, month, start.day)
    index += 1
    return date(start.year + index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class LicenseTerm:
    year: int  # the year the license is numbered in
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class LicenseRules:
    valid_months: int
    advance_from_day: int  # of December: next year's licenses from this day on

    @classmethod
    def on(cls, day: date, parameters: ParameterTable | None = None) -> LicenseRules:
        table = parameters or default_parameters()
        return cls(
            valid_months=int(table.value("license.valid_months", day)),
            advance_from_day=int(table.value("license.advance_from_day", day)),
        )


def license_year_problem(license_year: int | None, today: date, rules: LicenseRules) -> str | None:
    """Why an application may not ask for `license_year` today, or None when it may.

    This year's license is always possible; next year's only from 10 December on."""
    if license_year is None or license_year == today.year:
        return None
    if license_year == today.year + 1:
        opens = date(today.year, 12, rules.advance_from_day)
        if today >= opens:
            return None
        return (
            f"{opens.isoformat()} 起方可申请 {license_year} 年度许可证 / "
            f"a license for {license_year} may be asked for from {opens.isoformat()}"
        )
    return (
        f"许可证年度只能是 {today.year} 或 {today.year + 1} / "
        f"license_year must be {today.year} or {today.year + 1}"
    )


def license_term(issued_on: date, license_year: int | None, rules: LicenseRules) -> LicenseTerm:
    """Validity of a license issued on `issued_on`: from that day (or 1 January of the
    next year, for next year's license) to the day before the same date `valid_months`
    later, never past 31 December of its year.

    A next-year request approved once that year has begun is simply that year's license
    (a request for a year already over is issued in the current one).
    """
    year = max(license_year or issued_on.year, issued_on.year)
    valid_from = issued_on if year == issued_on.year else date(year, 1, 1)
    end = same_day_months_later(valid_from, rules.valid_months) - timedelta(days=1)
    return LicenseTerm(year=year, valid_from=valid_from, valid_to=min(end, date(year, 12, 31)))


def extension_problem(
    *, valid_from: date, valid_to: date, new_valid_to: date, today: date
) -> str | None:
    """Why a license cannot be extended to `new_valid_to` today, or None (第十六条)."""
    if today > valid_to:
        return "许可证已过期，不能延期 / the license has expired and cannot be extended"
    if new_valid_to <= valid_to:
        return (
            f"新的有效期须晚于 {valid_to.isoformat()} / the new valid_to must be later than "
            f"{valid_to.isoformat()}"
        )
    year_end = date(valid_from.year, 12, 31)
    if new_valid_to > year_end:
        return (
            f"有效期不能跨年，最迟至 {year_end.isoformat()} / a license is never valid past "
            f"{year_end.isoformat()}"
        )
    return None
