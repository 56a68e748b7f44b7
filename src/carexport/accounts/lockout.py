"""The lock-out rule (WORKFLOW.md): pure, so its timing is tested without a clock.

After `max_failures` failed logins for one username within `window`, that username is
refused for `lock` from the last of them, whatever the password. Failures during the
lock are not recorded, and a success deletes them, so the stored failures alone say
whether a username is locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def locked_until(
    failures: Sequence[datetime], *, max_failures: int, window: timedelta, lock: timedelta
) -> datetime | None:
    """When the lock ends, or None when there is none; `failures` newest first.

    The lock starts at the failure that made `max_failures` within `window` (the newest
    one, since none is recorded while locked). When it ends the failures behind it are
    all older than `window` (for lock >= window), so counting starts afresh.
    """
    if len(failures) < max_failures:
        return None
    newest, oldest = failures[0], failures[max_failures - 1]
    if newest - oldest > window:
        return None
    return newest + lock
