"""The corpus's one time zone: the outlets' own, Europe/Berlin.

Dates printed without an offset are read in it, calendar days and weeks (``corpus count``) are
counted in it, and cron times of the schedule are given in it.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIMEZONE)


def moment(value: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` for UTC allowed; without an offset: Berlin time) as an aware datetime,
    ``None`` for what is not one."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)
