"""The clock of the workflow: now (UTC) and today's date (Asia/Shanghai).

The core never reads the clock (`as_of` is passed in); services read it here, once per
use case, and tests pass their own `now`. `CAREXPORT_TODAY=YYYY-MM-DD` fixes today's date
for the whole process, so demos and acceptance runs see the same day whatever the real
one; timestamps stay the real UTC instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from carexport.config import get_settings

# The licensing offices work on Beijing time: a submission at 01:00 UTC on the 10th is
# on the 10th there, whatever the server's own time zone.
OFFICE_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, timezone-aware in UTC (how timestamps are stored)."""
    return datetime.now(UTC)


def today(at: datetime | None = None) -> date:
    """Today's date for the workflow: CAREXPORT_TODAY when set, else the date in
    Asia/Shanghai at `at` (default: now)."""
    fixed = get_settings().today
    if fixed is not None:
        return fixed
    return (at or now()).astimezone(OFFICE_ZONE).date()
