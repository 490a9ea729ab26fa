"""Table-driven tests of the pure normalisers: German dates, bylines, text, URLs."""

from __future__ import annotations

from datetime import datetime

import pytest

from corpus.normalize.bylines import parse_byline, proper_case
from corpus.normalize.dates import BERLIN, parse_date, parse_date_verbose
from corpus.normalize.text import clean_multiline, clean_text
from corpus.normalize.urls import canonicalize_url, url_id

REFERENCE = datetime(2024, 3, 15, 12, 0, tzinfo=BERLIN)

DATES = [
    # the seed's comment dates
    ("Do., 7. September 2023 - 10:40", "2023-09-07T10:40:00+02:00", "minute"),
    ("Do., 7. September 2023 - 15:47", "2023-09-07T15:47:00+02:00", "minute"),
    # bylines and lead-ins
    ("am 6. September 2023", "2023-09-06", "day"),
    ("VON FELIX LILL am 6. September 2023", "2023-09-06", "day"),
    ("Stand: 28.04.2023 18:41 Uhr", "2023-04-28T18:41:00+02:00", "minute"),
    ("28.04.2023, 18.41 Uhr", "2023-04-28T18:41:00+02:00", "minute"),
    ("Aktualisiert am 28. April 2023, 18:41 Uhr", "2023-04-28T18:41:00+02:00", "minute"),
    ("Veröffentlicht am 3. Mai 2024, 9:05 Uhr", "2024-05-03T09:05:00+02:00", "minute"),
    ("Erstellt: 03.05.2024", "2024-05-03", "day"),
    ("Fr 28.04.23 | 18:41", "2023-04-28T18:41:00+02:00", "minute"),
    ("28. April 2023, 18 Uhr", "2023-04-28T18:00:00+02:00", "minute"),
    ("7. Sept. 2023", "2023-09-07", "day"),
    ("September 2023", "2023-09", "month"),
    ("15. Jänner 2024", "2024-01-15", "day"),
    ("6. September 2023 12 Kommentare", "2023-09-06", "day"),  # a count is not a time
    # machine formats
    ("2023-09-07T08:40:00Z", "2023-09-07T10:40:00+02:00", "minute"),
    ("2023-09-07T10:40:00+0200", "2023-09-07T10:40:00+02:00", "minute"),
    ("2024-02-14", "2024-02-14", "day"),
    ("Wed, 06 Sep 2023 11:53:00 +0200", "2023-09-06T11:53:00+02:00", "minute"),
    ("Wed, 06 Sep 2023 09:53:00 GMT", "2023-09-06T11:53:00+02:00", "minute"),
    # summer time switches 2024: the gap resolves to the instant it means, offsets right on both sides
    ("31. März 2024 01:30", "2024-03-31T01:30:00+01:00", "minute"),
    ("31. März 2024 02:30", "2024-03-31T03:30:00+02:00", "minute"),
    ("31. März 2024 03:30", "2024-03-31T03:30:00+02:00", "minute"),
    ("27. Oktober 2024 01:30", "2024-10-27T01:30:00+02:00", "minute"),
    ("27. Oktober 2024 03:30", "2024-10-27T03:30:00+01:00", "minute"),
    # relative forms, against the fetch time
    ("vor 3 Stunden", "2024-03-15T09:00:00+01:00", "minute"),
    ("vor einer Stunde", "2024-03-15T11:00:00+01:00", "minute"),
    ("vor zwei Wochen", "2024-03-01", "day"),
    ("gestern, 14:05 Uhr", "2024-03-14T14:05:00+01:00", "minute"),
    ("heute", "2024-03-15", "day"),
    ("vorgestern", "2024-03-13", "day"),
]


@pytest.mark.parametrize(("text", "iso", "precision"), DATES)
def test_german_dates(text, iso, precision):
    value = parse_date(text, REFERENCE)
    assert value is not None, text
    assert (value.isoformat(), value.precision) == (iso, precision)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("32. September 2023", "invalid"),
        ("29. Februar 2023", "invalid"),
        ("7. September 2023 - 25:40", "invalid"),
        ("Kommentare", "unparsed"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_impossible_or_absent_dates(text, reason):
    assert parse_date_verbose(text, REFERENCE) == (None, reason)


def test_relative_date_needs_a_reference():
    assert parse_date("vor 3 Stunden") is None
    assert parse_date("gestern") is None


def test_naive_reference_is_berlin_time():
    value = parse_date("vor 1 Stunde", datetime(2024, 7, 1, 12, 0))
    assert value.isoformat() == "2024-07-01T11:00:00+02:00"


BYLINES = [
    ("VON FELIX LILL am 6. September 2023", ["Felix Lill"], []),
    ("VON ULRICH THIELE UND VOLKER RESING am 12. März 2024", ["Ulrich Thiele", "Volker Resing"], []),
    ("VON ANNA BERGMANN UND KLAUS-DIETER FRANKE", ["Anna Bergmann", "Klaus-Dieter Franke"], []),
    ("Ein Kommentar von CHRISTOPH VON MARSCHALL", ["Christoph von Marschall"], []),
    ("Felix Lill, Tokio", ["Felix Lill"], []),
    ("Von Anna Muster, Peking/Berlin", ["Anna Muster"], []),
    ("Prof. Dr. Hans Meier", ["Hans Meier"], []),
    ("Von unserem Korrespondenten Max Mustermann", ["Max Mustermann"], []),
    ("Mit Material von dpa und Reuters", [], ["dpa", "Reuters"]),
    ("Quelle: dpa", [], ["dpa"]),
    ("(Reuters)", [], ["Reuters"]),
    ("dpa/AFP", [], ["dpa", "AFP"]),
    ("Email The Author", [], []),
    ("", [], []),
]


@pytest.mark.parametrize(("text", "authors", "agencies"), BYLINES)
def test_bylines(text, authors, agencies):
    byline = parse_byline(text)
    assert (byline.authors, byline.agencies) == (authors, agencies)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MATHIAS BRÖCKERS", "Mathias Bröckers"),
        ("URSULA VON DER LEYEN", "Ursula von der Leyen"),
        ("Keppelen Juliana", "Keppelen Juliana"),  # mixed case is left as written
    ],
)
def test_proper_case(name, expected):
    assert proper_case(name) == expected


def test_clean_text_removes_invisible_characters():
    raw = "Sicherheits\u00adpolitik\u00a0in\u200b  Ost\u2060asien\n"
    assert clean_text(raw) == "Sicherheitspolitik in Ostasien"
    assert clean_text(" \u00a0 ") is None
    two = "Erster  Absatz.\n\n\n Zweiter\u00a0Absatz. "
    assert clean_multiline(two) == "Erster Absatz.\n\nZweiter Absatz."


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.cicero.de/aussenpolitik/x?utm_source=tw&utm_medium=social#comments",
         "https://www.cicero.de/aussenpolitik/x"),
        ("http://WWW.Cicero.de/aussenpolitik/x/", "https://www.cicero.de/aussenpolitik/x"),
        ("https://www.cicero.de/aussenpolitik/x?amp", "https://www.cicero.de/aussenpolitik/x"),
        ("https://www.cicero.de/aussenpolitik/x?page=1&fbclid=abc", "https://www.cicero.de/aussenpolitik/x?page=1"),
    ],
)
def test_canonical_url(url, expected):
    assert canonicalize_url(url) == expected


def test_url_id_is_stable_across_tracking_noise():
    a = url_id(canonicalize_url("https://www.cicero.de/a/b?utm_campaign=x"))
    assert a == url_id(canonicalize_url("https://www.cicero.de/a/b#top")) and len(a) == 40
