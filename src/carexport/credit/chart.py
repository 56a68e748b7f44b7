"""The credit page's chart: an enterprise's 附件1 events by item over the credit window,
as stacked bars per month (per quarter beyond three years), drawn on the server as
inline SVG.

No script and no chart library: the page works without JavaScript, prints, and loads
nothing from elsewhere. The SVG names itself (<title>, <desc>) and every bar segment
carries its own <title>; the page shows the same numbers as a table beside it
(`ChartData.rows`), for screen readers and for anyone who wants the figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from math import ceil

from markupsafe import Markup, escape

from carexport.credit.enums import ITEM_LABELS  # 附件1's seven items, in a few words

ITEMS = tuple(range(1, 8))
# Distinguishable with the common colour-vision deficiencies (after Okabe & Ito), with
# the yellow replaced by a dark grey that keeps its contrast on white.
ITEM_COLOURS: dict[int, str] = {
    1: "#0072B2",
    2: "#D55E00",
    3: "#009E73",
    4: "#CC79A7",
    5: "#B07800",
    6: "#3A9AD9",
    7: "#555555",
}
MAX_MONTHS = 36  # beyond this the bars are quarters: a bar stays wide enough to read

_WIDTH = 720
_HEIGHT = 250
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 12, 34, 44


@dataclass(frozen=True)
class Period:
    start: date  # the first day of the month or quarter
    quarter: bool

    @property
    def key(self) -> str:
        if self.quarter:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"


@dataclass(frozen=True)
class ChartData:
    start: date
    end: date
    periods: tuple[Period, ...]
    counts: tuple[tuple[int, ...], ...]  # per period, events of items 1..7

    @property
    def quarterly(self) -> bool:
        return bool(self.periods) and self.periods[0].quarter

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.counts)

    @property
    def item_totals(self) -> tuple[int, ...]:
        return tuple(sum(c[i] for c in self.counts) for i in range(len(ITEMS)))

    def rows(self) -> list[tuple[Period, tuple[int, ...], int]]:
        """(period, counts by item, total) of the periods that hold an event."""
        return [(p, c, sum(c)) for p, c in zip(self.periods, self.counts, strict=True) if sum(c)]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _period_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def chart_data(events: Iterable[tuple[date, int]], *, start: date, end: date) -> ChartData:
    """Events (date, 附件1 item) counted per month from `start` to `end` (both included),
    or per quarter when that is more than MAX_MONTHS months. Events outside the range are
    left out; an item outside 1–7 counts as 7 (其他 / other)."""
    if end < start:
        start, end = end, start
    first, last = _month_index(start), _month_index(end)
    quarter = last - first + 1 > MAX_MONTHS
    if quarter:
        first -= first % 3
        last -= last % 3
    step = 3 if quarter else 1
    indexes = list(range(first, last + 1, step))
    counts = [[0] * len(ITEMS) for _ in indexes]
    for on, item in events:
        if not start <= on <= end:
            continue
        month = _month_index(on)
        slot = (month - month % 3 - first) // 3 if quarter else month - first
        column = item - 1 if item in ITEMS else len(ITEMS) - 1
        counts[slot][column] += 1
    return ChartData(
        start=start,
        end=end,
        periods=tuple(Period(_period_start(i), quarter) for i in indexes),
        counts=tuple(tuple(c) for c in counts),
    )


def _ticks(top: int) -> list[int]:
    """Whole-number gridlines from 0 to at least `top`, at most five of them."""
    step = max(1, ceil(top / 4))
    return list(range(0, max(top, 1) + step, step))


def _text(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else f"{zh} / {en}"


def render_svg(data: ChartData, *, lang: str = "zh", element_id: str = "credit-chart") -> Markup:
    """The chart as an inline <svg> (role img, labelled by its title and description)."""
    title = _text(lang, "附件1事项信用事件（按月）", "Annex 1 credit events by month")
    if data.quarterly:
        title = _text(lang, "附件1事项信用事件（按季度）", "Annex 1 credit events by quarter")
    by_item = "; ".join(
        f"{item}: {n}" for item, n in zip(ITEMS, data.item_totals, strict=True) if n
    )
    desc = _text(
        lang,
        f"{data.start.isoformat()} 至 {data.end.isoformat()} 共 {data.total} 项事件"
        + (f"（按事项 {by_item}）" if by_item else ""),
        f"{data.total} event(s) from {data.start.isoformat()} to {data.end.isoformat()}"
        + (f" (by item {by_item})" if by_item else ""),
    )
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    n = max(1, len(data.periods))
    slot = plot_w / n
    bar = max(2.0, slot * 0.7)
    top = max((sum(c) for c in data.counts), default=0)
    ticks = _ticks(top)
    scale = plot_h / ticks[-1]
    base = _TOP + plot_h
    out: list[str] = [
        f'<svg id="{escape(element_id)}" class="credit-chart" role="img" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="100%" '
        f'aria-labelledby="{escape(element_id)}-title {escape(element_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(element_id)}-desc">{escape(desc)}</desc>',
    ]
    # The legend: item numbers and colours (the page lists the items' names beside it).
    x = _LEFT
    legend = escape(_text(lang, "附件1事项", "Annex 1 item"))
    out.append(f'<text x="{x}" y="14" class="legend-title">{legend}</text>')
    x += 150 if lang != "en" else 90
    for item in ITEMS:
        out.append(
            f'<rect x="{x}" y="5" width="11" height="11" fill="{ITEM_COLOURS[item]}"/>'
            f'<text x="{x + 14}" y="14">{item}</text>'
        )
        x += 34
    for value in ticks:
        y = base - value * scale
        out.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    out.append(
        f'<text x="12" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})">'
        f"{escape(_text(lang, '事件数', 'Events'))}</text>"
    )
    previous_year: int | None = None
    for i, (period, counts) in enumerate(zip(data.periods, data.counts, strict=True)):
        left = _LEFT + i * slot + (slot - bar) / 2
        centre = _LEFT + i * slot + slot / 2
        y = float(base)
        for item, count in zip(ITEMS, counts, strict=True):
            if not count:
                continue
            height = count * scale
            y -= height
            name = ITEM_LABELS[item][1] if lang == "en" else ITEM_LABELS[item][0]
            out.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{ITEM_COLOURS[item]}" class="seg seg-{item}">'
                f"<title>{escape(period.key)} · {item} {escape(name)}: {count}</title></rect>"
            )
        # Under each bar its month (or quarter); the year under the first bar of a year.
        short = (
            f"Q{(period.start.month - 1) // 3 + 1}" if period.quarter else f"{period.start.month}"
        )
        if slot >= 14 or period.start.month in (1, 4, 7, 10):
            out.append(
                f'<text x="{centre:.1f}" y="{base + 14}" text-anchor="middle">{short}</text>'
            )
        if period.start.year != previous_year:
            out.append(
                f'<text x="{centre:.1f}" y="{base + 30}" text-anchor="middle" class="year">'
                f"{period.start.year}</text>"
            )
            previous_year = period.start.year
    out.append(f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{base}" y2="{base}" class="axis"/>')
    out.append("</svg>")
    return Markup("".join(out))
