"""The lock-out rule and today's date, without a database or a real clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from carexport import clock
from carexport.accounts.lockout import locked_until
from carexport.config import get_settings

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
WINDOW = LOCK = timedelta(minutes=15)


def until(offsets_s: list[int]) -> datetime | None:
    failures = sorted((T0 + timedelta(seconds=s) for s in offsets_s), reverse=True)
    return locked_until(failures[:10], max_failures=10, window=WINDOW, lock=LOCK)


def test_nine_failures_do_not_lock() -> None:
    assert until(list(range(9))) is None


def test_the_tenth_failure_within_the_window_locks_for_fifteen_minutes_from_it() -> None:
    assert until(list(range(10))) == T0 + timedelta(seconds=9) + LOCK


def test_ten_failures_just_over_fifteen_minutes_apart_do_not_lock() -> None:
    assert until([0, *range(902, 911)]) is None
    assert until([0, *range(892, 901)]) == T0 + timedelta(seconds=900) + LOCK


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_today_is_the_date_in_shanghai(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("CAREXPORT_TODAY", raising=False)
    # 17:00 UTC on the 9th is 01:00 on the 10th in Beijing.
    assert clock.today(datetime(2026, 3, 9, 17, 0, tzinfo=UTC)) == date(2026, 3, 10)
    assert clock.today(datetime(2026, 3, 9, 15, 59, tzinfo=UTC)) == date(2026, 3, 9)


def test_carexport_today_fixes_the_date(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("CAREXPORT_TODAY", "2026-12-10")
    assert clock.today() == date(2026, 12, 10)
    assert clock.today(datetime(2030, 1, 1, tzinfo=UTC)) == date(2026, 12, 10)


def test_now_is_aware_utc() -> None:
    assert clock.now().tzinfo is UTC
