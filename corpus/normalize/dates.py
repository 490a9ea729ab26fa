"""German dates as outlets print them, turned into timezone-aware values with a precision.

``parse_date("Do., 7. September 2023 - 10:40")`` gives 2023-09-07T10:40+02:00
with precision ``minute``; ``"am 6. September 2023"`` gives the *date*
2023-09-06 with precision ``day`` (never a made-up midnight); ``"September
2023"`` gives precision ``month``. Local times are Europe/Berlin with the
offset in force on that day. Relative forms ("vor 3 Stunden", "gestern, 14:05
Uhr") are resolved against a reference time, the moment the page was fetched,
never against the clock at parse time.

A fast path of regular expressions handles the common shapes; what it does not
recognise goes to ``dateparser`` (German and English, day-month-year order).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from corpus.tz import BERLIN, TIMEZONE

logger = logging.getLogger(__name__)

Precision = Literal["minute", "day", "month"]
FailReason = Literal["empty", "invalid", "unparsed"]
Engine = Literal["auto", "fast", "slow"]

_MAX_LENGTH = 200

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("januar", "jänner", "jan", "jän", "january"),
        ("februar", "feber", "feb", "february"),
        ("märz", "maerz", "mär", "mrz", "march", "mar"),
        ("april", "apr"),
        ("mai", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("august", "aug"),
        ("september", "sept", "sep"),
        ("oktober", "okt", "october", "oct"),
        ("november", "nov"),
        ("dezember", "dez", "december", "dec"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
# A time after a date: "- 10:40", ", 18.41 Uhr", " | 18:41", " um 18 Uhr". A bare number
# without minutes or "Uhr" is not a time ("6. September 2023 12 Kommentare").
_TIME = (
    r"(?:\s*[,|–—-]\s*|\s+)(?:um\s+)?(?P<hour>\d{1,2})"
    r"(?:[:.](?P<minute>\d{2})(?:[:.]\d{2})?(?:\s*uhr\b)?|\s*uhr\b)"
)

# "7. September 2023", "7. Sept. 2023 - 10:40", "28. April 2023, 18 Uhr"
_DAY_MONTHNAME_YEAR = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})\.?\s*(?P<month>{_MONTH_RE})\b\.?\s+(?P<year>\d{{4}})(?:{_TIME})?",
    re.IGNORECASE,
)
# "28.04.2023, 18.41 Uhr", "Fr 28.04.23 | 18:41"
_NUMERIC = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})\.(?P<month>\d{{1,2}})\.(?P<year>\d{{4}}|\d{{2}})(?!\d)(?:{_TIME})?",
    re.IGNORECASE,
)
# "September 2023"
_MONTHNAME_YEAR = re.compile(rf"(?<!\w)(?P<month>{_MONTH_RE})\b\.?\s+(?P<year>\d{{4}})(?!\d)", re.I)
# RSS pubDate (RFC 822): "Wed, 06 Sep 2023 11:53:00 +0200"
_RFC822 = re.compile(
    r"^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|[A-Z]{1,4})$"
)
# ISO 8601: "2023-09-07", "2023-09-07T10:40:00+02:00", "2023-09-07 08:40:00Z"
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
_RELATIVE_AGO = re.compile(
    r"vor\s+(?P<n>\d+|einer|einem|eine|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf)\s+"
    r"(?P<unit>sekunden?|minuten?|min\.?|stunden?|std\.?|tag(?:en)?|wochen?|monat(?:en)?)",
    re.IGNORECASE,
)
_RELATIVE_DAY = re.compile(
    r"\b(?P<word>vorgestern|gestern|heute)\b(?:" + _TIME + ")?", re.IGNORECASE
)
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einer": 1, "einem": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
}


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date: an aware datetime for ``minute``, a :class:`date` otherwise."""

    value: datetime | date
    precision: Precision

    def isoformat(self) -> str:
        """``YYYY-MM-DDTHH:MM:SS+HH:MM`` (minute), ``YYYY-MM-DD`` (day) or ``YYYY-MM`` (month)."""
        if self.precision == "minute":
            assert isinstance(self.value, datetime)
            return self.value.isoformat(timespec="seconds")
        value = self.value
        if self.precision == "day":
            return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        return f"{value.year:04d}-{value.month:02d}"


def localize(naive: datetime, tz: ZoneInfo = BERLIN) -> datetime:
    """Attach ``tz`` to a wall-clock time, resolving gaps to the instant they mean.

    A time in the spring-forward gap (02:30 on the last Sunday of March does
    not exist in Berlin) is read with the offset before the switch and then
    expressed in the offset after it (03:30+02:00); an ambiguous time in the
    autumn fold takes the first (summer-time) occurrence.
    """
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def parse_date(
    text: str | None, reference: datetime | None = None, *, engine: Engine = "auto"
) -> ParsedDate | None:
    """Parse a German (or ISO/RFC 822) date string.

    Args:
        text: the date as printed, with any lead-in ("Stand:", "am", a byline).
        reference: when the page was fetched; relative forms are resolved
            against it. Naive values are taken as Europe/Berlin. Without it,
            relative forms give no value.
        engine: ``auto`` (fast path, then dateparser), ``fast`` (fast path
            only) or ``slow`` (dateparser only; for comparisons).

    Returns:
        A :class:`ParsedDate`, or ``None`` when the text holds no valid date.
    """
    return parse_date_verbose(text, reference, engine=engine)[0]


def parse_date_verbose(
    text: str | None, reference: datetime | None = None, *, engine: Engine = "auto"
) -> tuple[ParsedDate | None, FailReason | None]:
    """Like :func:`parse_date`, but also say why nothing was found.

    Returns:
        ``(value, None)`` on success, else ``(None, reason)`` with reason
        ``"empty"`` (no text), ``"invalid"`` (a date shape with impossible
        values, e.g. "32. September 2023") or ``"unparsed"`` (no date found).
    """
    if text is None or not text.strip():
        return None, "empty"
    text = " ".join(text.replace("\u00a0", " ").split())
    if len(text) > _MAX_LENGTH:  # a date is short; a paragraph is not a date
        return None, "unparsed"
    if reference is not None and reference.tzinfo is None:
        reference = localize(reference)
    if engine != "slow":
        try:
            result = _fast_path(text, reference)
        except (ValueError, OverflowError):
            return None, "invalid"
        if result is not None:
            return result, None
        if engine == "fast":
            return None, "unparsed"
    result = _slow_path(text, reference)
    if result is None:
        return None, "unparsed"
    return result, None


def _fast_path(text: str, reference: datetime | None) -> ParsedDate | None:
    """Regular expressions for the common shapes; raises ValueError on impossible values."""
    if _RFC822.match(text):
        value = parsedate_to_datetime(text)
        if value.tzinfo is None:
            value = localize(value)
        return ParsedDate(value.astimezone(BERLIN), "minute")
    if m := _ISO.search(text):
        return _from_iso(m)
    if m := _DAY_MONTHNAME_YEAR.search(text):
        return _build(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]), m)
    if m := _NUMERIC.search(text):
        year = int(m["year"])
        if year < 100:
            year += 2000
        return _build(year, int(m["month"]), int(m["day"]), m)
    if m := _MONTHNAME_YEAR.search(text):
        return ParsedDate(date(int(m["year"]), MONTHS[m["month"].lower()], 1), "month")
    if reference is not None:
        if m := _RELATIVE_AGO.search(text):
            return _from_ago(m, reference)
        if m := _RELATIVE_DAY.search(text):
            days = {"heute": 0, "gestern": 1, "vorgestern": 2}[m["word"].lower()]
            day = reference.astimezone(BERLIN).date() - timedelta(days=days)
            return _build(day.year, day.month, day.day, m)
    return None


def _build(year: int, month: int, day: int, m: re.Match[str]) -> ParsedDate:
    the_date = date(year, month, day)  # raises ValueError for 32.9. or 29.2.2023
    hour = m.groupdict().get("hour")
    if hour is None:
        return ParsedDate(the_date, "day")
    minute = int(m["minute"] or 0)
    if int(hour) > 23 or minute > 59:
        raise ValueError(f"impossible time {hour}:{minute}")
    naive = datetime(year, month, day, int(hour), minute)
    return ParsedDate(localize(naive), "minute")


def _from_iso(m: re.Match[str]) -> ParsedDate:
    if not m["time"]:
        return ParsedDate(date.fromisoformat(m["date"]), "day")
    tz = m["tz"] or ""
    if tz and tz != "Z" and ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    value = datetime.fromisoformat(f"{m['date']}T{m['time']}{tz}")
    if value.tzinfo is None:
        value = localize(value)
    return ParsedDate(value.astimezone(BERLIN).replace(microsecond=0), "minute")


def _from_ago(m: re.Match[str], reference: datetime) -> ParsedDate:
    raw = m["n"].lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    unit = m["unit"].lower()
    if unit.startswith("sek"):
        delta, precision = timedelta(seconds=n), "minute"
    elif unit.startswith("min"):
        delta, precision = timedelta(minutes=n), "minute"
    elif unit.startswith(("stunde", "std")):
        delta, precision = timedelta(hours=n), "minute"
    elif unit.startswith("tag"):
        delta, precision = timedelta(days=n), "day"
    elif unit.startswith("woche"):
        delta, precision = timedelta(weeks=n), "day"
    else:
        delta, precision = timedelta(days=30 * n), "month"
    value = (reference.astimezone(UTC) - delta).astimezone(BERLIN)
    if precision == "minute":
        return ParsedDate(value.replace(second=0, microsecond=0), "minute")
    if precision == "day":
        return ParsedDate(value.date(), "day")
    return ParsedDate(value.date().replace(day=1), "month")


# What dateparser should not see: lead-ins, weekdays, separators, "Uhr".
_LEAD_IN = re.compile(
    r"^.*\b(?:am|vom|stand|aktualisiert|veröffentlicht|erstellt|update|publiziert|datum)\b\s*:?\s*"
    r"(?=\d|[a-zäö]+\.?\s+\d)",
    re.IGNORECASE,
)
# A weekday right before a date: "Do., 7. September", "Fr 28.04.23", "Mittwoch, 6. September"
_WEEKDAY = re.compile(
    r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|"
    r"mo|di|mi|do|fr|sa|so)\b\.?,?\s*(?=\d)",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"\b(\d{1,2})[.:](\d{2})(?:[.:]\d{2})?\s*uhr\b|\b(\d{1,2})\s*uhr\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:\||–|—|\s-\s|,)\s*|\bum\b", re.IGNORECASE)
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\b(?:stunden?|minuten?|sekunden?|hours?|minutes?|seconds?)\b", re.I)
_HAS_OFFSET = re.compile(r"(?:\d(?:Z|[+-]\d{2}:?\d{2})|\b(?:UTC|GMT|MEZ|MESZ|CET|CEST)\b)")
_AUSTRIAN = {"jänner": "Januar", "jän.": "Jan.", "feber": "Februar"}
_AUSTRIAN_RE = re.compile("|".join(map(re.escape, _AUSTRIAN)), re.IGNORECASE)


def prepare(text: str) -> str:
    """Reduce a printed date to what a date parser needs.

    "VON FELIX LILL am Do., 7. September 2023 - 10:40 Uhr" becomes
    "7. September 2023 10:40": lead-ins and bylines, weekday names,
    separators and "Uhr" go; "18.41 Uhr" becomes "18:41", "18 Uhr" "18:00";
    Austrian month names become the German ones.
    """
    text = _WEEKDAY.sub(" ", text)
    text = _LEAD_IN.sub("", text)
    text = _AUSTRIAN_RE.sub(lambda m: _AUSTRIAN[m.group(0).lower()], text)
    text = _CLOCK.sub(
        lambda m: f"{m.group(1)}:{m.group(2)}" if m.group(1) else f"{m.group(3)}:00", text
    )
    text = _SEPARATORS.sub(" ", text)
    return " ".join(text.split())


@lru_cache(maxsize=64)
def _date_data_parser(relative_base: datetime | None):  # type: ignore[no-untyped-def]
    from dateparser.date import DateDataParser

    settings: dict[str, object] = {
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "TIMEZONE": TIMEZONE,
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    if relative_base is not None:
        settings["RELATIVE_BASE"] = relative_base
    return DateDataParser(languages=["de", "en"], settings=settings)


def _slow_path(text: str, reference: datetime | None) -> ParsedDate | None:
    """dateparser (German, then English; day-month-year) on the prepared text."""
    relative_base = None
    if reference is not None:
        relative_base = reference.astimezone(BERLIN).replace(tzinfo=None, second=0, microsecond=0)
    elif re.search(r"\b(vor|gestern|vorgestern|heute|morgen|ago|yesterday|today)\b", text, re.I):
        return None  # relative form without a reference: refuse rather than guess "now"
    prepared = prepare(text)
    if not prepared:
        return None
    try:
        data = _date_data_parser(relative_base).get_date_data(prepared)
    except Exception:  # dateparser raises assorted errors on odd input
        logger.debug("dateparser failed on %r", prepared, exc_info=True)
        return None
    value = data.date_obj
    if value is None:
        return None
    if value.tzinfo is None or not _HAS_OFFSET.search(prepared):
        # wall-clock time in Berlin; localize() settles summer-time gaps the same way as the fast path
        value = localize(value.replace(tzinfo=None))
    period = data.period
    if period == "year":
        return None
    if period == "month":
        return ParsedDate(value.date().replace(day=1), "month")
    if period in ("week", "day") and not _HAS_TIME.search(prepared):
        return ParsedDate(value.astimezone(BERLIN).date(), "day")
    return ParsedDate(value.astimezone(BERLIN).replace(second=0, microsecond=0), "minute")


# The oldest date a news page in the corpus can carry (digitised archives reach back to the
# post-war years); anything older is an error on the page, as is anything after the fetch.
OLDEST = date(1945, 1, 1)
FUTURE_TOLERANCE = timedelta(days=1)


def implausible(value: ParsedDate, reference: datetime | None = None) -> str | None:
    """``"too old"`` or ``"future"`` for a date no article can have, else ``None``."""
    reference = reference or datetime.now(BERLIN)
    moment = value.value
    day = moment.date() if isinstance(moment, datetime) else moment
    if day < OLDEST:
        return "too old"
    instant = moment if isinstance(moment, datetime) else datetime(day.year, day.month, day.day, tzinfo=BERLIN)
    if instant > reference + FUTURE_TOLERANCE:
        return "future"
    return None
