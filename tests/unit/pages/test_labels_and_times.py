"""The page kit's words and times: one table of verbs, one rule for showing an instant."""

from __future__ import annotations

from datetime import UTC, datetime

from carexport.applications.vehicle_list import VEHICLE_LINES
from carexport.pages import labels
from carexport.pages.templating import templates


def render(source: str, lang: str, **values: object) -> str:
    env = templates.env
    return env.from_string(source).render(lang=lang, **values)


def test_every_status_change_action_and_audit_verb_has_words_in_both_languages() -> None:
    for action in ("create", "edit", "submit", "withdraw", "approve", "refuse", "return"):
        zh, en = labels.VERBS[action]
        assert zh != action
        assert en != action
    assert render("{{ verb_label('submit') }}", "zh") == "提交"
    assert render("{{ verb_label('application.recommended') }}", "en").startswith("Recommended")


def test_every_vehicle_field_has_an_english_label() -> None:
    assert {f.name for f in VEHICLE_LINES} <= set(labels.VEHICLE_FIELDS_EN)


def test_rectification_is_shown_in_the_pages_language() -> None:
    source = "{{ rectification_label(r) }}"
    assert render(source, "zh", r="accepted") == "已验收"
    assert render(source, "zh", r="submitted") == "已提交"
    assert render(source, "zh", r="none") == "无"
    assert render(source, "en", r="accepted") == "accepted"
    assert render(source, "zh", r=None) == "—"


def test_an_instant_is_shown_in_beijing_time_with_the_utc_instant_kept() -> None:
    at = datetime(2026, 3, 9, 17, 5, tzinfo=UTC)
    shown = render("{{ at | when }}", "zh", at=at)
    assert shown == '<time datetime="2026-03-09T17:05:00+00:00">2026-03-10 01:05</time>'
    # naive values are UTC (as SQLite gives them); audit entries are ISO strings
    assert "2026-03-10 01:05" in render("{{ at | when }}", "zh", at=at.replace(tzinfo=None))
    assert "2026-03-10 01:05 北京时间" in render(
        "{{ at | when(zone=True) }}", "zh", at=at.isoformat()
    )
    assert "Beijing time" in render("{{ at | when(zone=True) }}", "en", at=at)
    assert render("{{ at | when }}", "zh", at=None) == "—"


def test_a_destination_is_named_in_the_pages_language() -> None:
    assert render("{{ c | country }}", "zh", c="KZ") == "哈萨克斯坦 (KZ)"
    assert render("{{ c | country }}", "en", c="KZ") == "Kazakhstan (KZ)"
    assert render("{{ c | country }}", "en", c="XX") == "XX"
