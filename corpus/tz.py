"""The corpus's one time zone: the outlets' own, Europe/Berlin.

Dates printed without an offset are read in it, calendar days and weeks (``corpus count``) are
counted in it, and cron times of the schedule are given in it.
"""

from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIMEZONE)
