"""The credit chart: events counted in the right month or quarter, nothing lost or
invented, and an SVG that names itself and escapes what it shows."""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from carexport.credit.chart import MAX_MONTHS, chart_data, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_events_are_counted_per_month_and_item_over_the_window() -> None:
    data = chart_data(
        [(date(2025, 3, 4), 1), (date(2025, 3, 31), 1), (date(2025, 4, 1), 5)],
        start=date(2024, 3, 13),
        end=date(2026, 3, 13),
    )
    assert not data.quarterly
    assert len(data.periods) == 25  # March 2024 to March 2026, both months included
    rows = {p.key: counts for p, counts, _ in data.rows()}
    assert rows == {"2025-03": (2, 0, 0, 0, 0, 0, 0), "2025-04": (0, 0, 0, 0, 1, 0, 0)}
    assert data.item_totals == (2, 0, 0, 0, 1, 0, 0)


def test_events_outside_the_window_are_left_out_and_an_unknown_item_is_other() -> None:
    data = chart_data(
        [(date(2024, 3, 12), 1), (date(2026, 3, 14), 1), (date(2025, 1, 1), 9)],
        start=date(2024, 3, 13),
        end=date(2026, 3, 13),
    )
    assert data.total == 1
    assert data.item_totals[6] == 1


def test_beyond_three_years_the_bars_are_quarters() -> None:
    data = chart_data([(date(2023, 5, 20), 2)], start=date(2022, 1, 15), end=date(2026, 3, 1))
    assert data.quarterly
    assert data.periods[0].key == "2022-Q1"
    assert data.periods[-1].key == "2026-Q1"
    assert {p.key for p, _, _ in data.rows()} == {"2023-Q2"}


def test_the_svg_is_an_image_labelled_by_its_title_and_description() -> None:
    data = chart_data([(date(2025, 3, 4), 2)], start=date(2024, 3, 13), end=date(2026, 3, 13))
    svg = str(render_svg(data, lang="zh", element_id="c1"))
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text is not None
    assert "附件1" in title.text
    assert "Annex 1" in title.text
    assert desc is not None
    assert desc.text is not None
    assert "1" in desc.text
    segments = [r for r in root.iter(f"{SVG}rect") if "seg" in (r.get("class") or "")]
    assert len(segments) == 1
    assert "2025-03" in (segments[0].findtext(f"{SVG}title") or "")
    english = str(render_svg(data, lang="en"))
    assert "附件1" not in english
    assert "Annex 1" in english


def test_the_svg_escapes_its_identifier() -> None:
    data = chart_data([], start=date(2026, 1, 1), end=date(2026, 3, 1))
    svg = str(render_svg(data, element_id='x"><script>'))
    assert "<script>" not in svg
    ElementTree.fromstring(svg)


days = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@given(st.lists(st.tuples(days, st.integers(0, 9)), max_size=40), days, days)
def test_every_event_in_the_range_is_counted_once(
    events: list[tuple[date, int]], a: date, b: date
) -> None:
    start, end = min(a, b), max(a, b)
    data = chart_data(events, start=start, end=end)
    assert data.total == sum(1 for on, _ in events if start <= on <= end)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    assert data.quarterly == (months > MAX_MONTHS)
    starts = [p.start for p in data.periods]
    assert starts == sorted(set(starts))
    assert starts[0] <= start
    assert starts[-1] <= end
    # The SVG is well-formed whatever the data, with one segment per non-empty cell.
    root = ElementTree.fromstring(str(render_svg(data)))
    segments = [r for r in root.iter(f"{SVG}rect") if "seg" in (r.get("class") or "")]
    assert len(segments) == sum(1 for c in data.counts for n in c if n)
    heights = [float(r.get("height") or 0) for r in segments]
    assert all(h > 0 for h in heights)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", r.get("fill") or "") for r in segments)
