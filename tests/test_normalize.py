"""Table-driven tests of the pure normalisers: German dates, bylines, text, URLs."""

from __future__ import annotations

from datetime import datetime

import pytest

from corpus.normalize.bylines import parse_byline, proper_case, resolve_authors
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
    ("vor 5 Minuten", "2024-03-15T11:55:00+01:00", "minute"),
    ("vor 1 Minute", "2024-03-15T11:59:00+01:00", "minute"),
    ("vor 2 Tagen", "2024-03-13", "day"),
    ("vor einem Tag", "2024-03-14", "day"),
    ("vor drei Monaten", "2023-12", "month"),
    ("heute, 08:30 Uhr", "2024-03-15T08:30:00+01:00", "minute"),
    ("vorgestern, 22:10", "2024-03-13T22:10:00+01:00", "minute"),
    ("Aktualisiert vor 45 Minuten", "2024-03-15T11:15:00+01:00", "minute"),
    # more printed shapes
    ("13.03.2024", "2024-03-13", "day"),
    ("3.3.2024", "2024-03-03", "day"),
    ("1. Dezember 2023", "2023-12-01", "day"),
    ("1. Dez. 2023", "2023-12-01", "day"),
    ("03. Januar 2024, 07:15 Uhr", "2024-01-03T07:15:00+01:00", "minute"),
    ("Sa, 2. März 2024, 10:00 Uhr", "2024-03-02T10:00:00+01:00", "minute"),
    ("Dienstag, 12. März 2024 | 16:45 Uhr", "2024-03-12T16:45:00+01:00", "minute"),
    ("12. März 2024 um 16:45 Uhr", "2024-03-12T16:45:00+01:00", "minute"),
    ("12.03.2024 - 16:45", "2024-03-12T16:45:00+01:00", "minute"),
    ("März 2024", "2024-03", "month"),
    ("Jänner 2023", "2023-01", "month"),
    ("Feber 2023", "2023-02", "month"),
    ("2. Feber 2023", "2023-02-02", "day"),
    ("2024-03-12 16:45:00", "2024-03-12T16:45:00+01:00", "minute"),
    ("2024-03-12T15:45:00.000Z", "2024-03-12T16:45:00+01:00", "minute"),
    ("2024-03-12T16:45:00.123+01:00", "2024-03-12T16:45:00+01:00", "minute"),
    ("2024-07-12T16:45:00-04:00", "2024-07-12T22:45:00+02:00", "minute"),
    ("Stand: 31.03.2024 02:30 Uhr", "2024-03-31T03:30:00+02:00", "minute"),
    ("27.10.2024, 02:30 Uhr", "2024-10-27T02:30:00+02:00", "minute"),
    ("Publiziert am 5. Juli 2024", "2024-07-05", "day"),
    ("Veröffentlicht: 05.07.2024, 6.00 Uhr", "2024-07-05T06:00:00+02:00", "minute"),
    ("Erstellt: 05.07.24 06:00", "2024-07-05T06:00:00+02:00", "minute"),
    # English fallbacks (dateparser)
    ("March 12, 2024", "2024-03-12", "day"),
    ("12 March 2024 16:45", "2024-03-12T16:45:00+01:00", "minute"),
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
    ("VON MATHIAS BRÖCKERS", ["Mathias Bröckers"], []),
    ("Von Christoph von Marschall", ["Christoph von Marschall"], []),
    ("VON URSULA VON DER LEYEN", ["Ursula von der Leyen"], []),
    ("Ein Kommentar von CHRISTOPH VON MARSCHALL", ["Christoph von Marschall"], []),
    ("Ein Gastbeitrag von Klaus-Dieter Frankenberger", ["Klaus-Dieter Frankenberger"], []),
    ("Eine Analyse von Sabine Kinkartz", ["Sabine Kinkartz"], []),
    ("Interview: Felix Lill", ["Felix Lill"], []),
    ("Autor: Max Mustermann", ["Max Mustermann"], []),
    ("Autorin: Eva-Maria Schnurr", ["Eva-Maria Schnurr"], []),
    ("Von unserem Korrespondenten Max Mustermann", ["Max Mustermann"], []),
    ("Von unserer China-Korrespondentin Eva Li-Wang, Peking", ["Eva Li-Wang"], []),
    ("Felix Lill, Tokio", ["Felix Lill"], []),
    ("Von Anna Muster, Peking/Berlin", ["Anna Muster"], []),
    ("Von Jan Schmidt, ARD-Studio Peking", ["Jan Schmidt"], []),
    ("Von Jan Schmidt, ARD-Studio Tokio, zzt. Seoul", ["Jan Schmidt"], []),
    ("Von Katrin Ebert, New York", ["Katrin Ebert"], []),
    ("Prof. Dr. Hans Meier", ["Hans Meier"], []),
    ("Von Dr. Sarah Pagung", ["Sarah Pagung"], []),
    ("Von Ulrich Thiele, Volker Resing und Ferdinand Knauß",
     ["Ulrich Thiele", "Volker Resing", "Ferdinand Knauß"], []),
    ("Anna Bergmann & Klaus Franke", ["Anna Bergmann", "Klaus Franke"], []),
    ("Anna Bergmann / Klaus Franke", ["Anna Bergmann", "Klaus Franke"], []),
    ("Von Anna Bergmann und Klaus Franke, Moskau und Peking", ["Anna Bergmann", "Klaus Franke"], []),
    ("Mit Material von dpa und Reuters", [], ["dpa", "Reuters"]),
    ("Von Max Mustermann, mit Material von dpa", ["Max Mustermann"], ["dpa"]),
    ("Quelle: dpa", [], ["dpa"]),
    ("(Reuters)", [], ["Reuters"]),
    ("dpa/AFP", [], ["dpa", "AFP"]),
    ("AFP, Reuters, dpa", [], ["AFP", "Reuters", "dpa"]),
    ("Von Anna Muster (dpa)", ["Anna Muster"], ["dpa"]),
    ("dpa/jsp", [], ["dpa"]),
    ("Agenturen: AP/epd/KNA", [], ["AP", "epd", "KNA"]),
    ("Email The Author", [], []),
    ("Mehr zum Autor", [], []),
    ("Redaktion", [], []),
    ("Cicero-Redaktion", [], []),
    ("", [], []),
    ("Von Felix Lill | 07.09.2023", ["Felix Lill"], []),
    ("Von Felix Lill, 7. September 2023, 10:40 Uhr", ["Felix Lill"], []),
    ("Von Felix Lill vor 3 Stunden", ["Felix Lill"], []),
    ("BY JOHN O'BRIEN", ["John O'Brien"], []),
    ("Von Anna Muster (Text) und Max Bauer (Fotos)", ["Anna Muster", "Max Bauer"], []),
    ("Von Anna Muster in Peking", ["Anna Muster"], []),
    ("Geschrieben von Lena Kühn", ["Lena Kühn"], []),
    ("Von Ricarda Breyton, Kuala Lumpur", ["Ricarda Breyton"], []),
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


@pytest.mark.parametrize(("text", "iso", "precision"), DATES)
def test_fast_path_and_dateparser_agree_where_both_answer(text, iso, precision):
    fast = parse_date(text, REFERENCE, engine="fast")
    slow = parse_date(text, REFERENCE, engine="slow")
    if fast is not None and slow is not None:
        assert fast.isoformat() == slow.isoformat()


def test_fast_path_covers_the_common_shapes():
    common = [text for text, _, _ in DATES if not text.startswith(("March", "12 March"))]
    assert all(parse_date(text, REFERENCE, engine="fast") is not None for text in common)


def test_relative_dates_across_the_spring_switch():
    reference = datetime(2024, 3, 31, 12, 0, tzinfo=BERLIN)
    assert parse_date("vor 12 Stunden", reference).isoformat() == "2024-03-30T23:00:00+01:00"
    assert parse_date("heute, 02:30 Uhr", reference).isoformat() == "2024-03-31T03:30:00+02:00"


def test_long_text_is_not_a_date():
    assert parse_date_verbose("Kommentar " * 100) == (None, "unparsed")


@pytest.mark.parametrize(
    ("names", "byline", "authors", "agencies"),
    [
        (["Felix Schröder und Jörg Soldwisch, dpa"], None, ["Felix Schröder", "Jörg Soldwisch"], ["dpa"]),
        (["Konstantin Furrer", "Deutsche Presse-Agentur"], None, ["Konstantin Furrer"], ["dpa"]),
        (["Agence France-Presse"], "Von Anna Beispiel", ["Anna Beispiel"], ["AFP"]),
        ([], "Von Anna Beispiel (Reuters)", ["Anna Beispiel"], ["Reuters"]),
        (["BR24 Redaktion"], None, [], []),
    ],
)
def test_resolve_authors_keeps_agencies_from_structured_names(names, byline, authors, agencies):
    result = resolve_authors(names, byline)
    assert (result.authors, result.agencies) == (authors, agencies)


def test_ids_of_existing_documents_do_not_change():
    """tests/data/ids.json: the id of every fixture and eval URL as computed before percent-encoding was
    normalised (304 URLs, Arabic and German escapes among them)."""
    import json
    from pathlib import Path

    known = json.loads((Path(__file__).parent / "data" / "ids.json").read_text("utf-8"))
    assert len(known) == 304
    assert {url: url_id(canonicalize_url(url)) for url in known} == known


@pytest.mark.parametrize("variant", [
    "https://www.dw.com/de/putin-ära/a-68117411",
    "https://www.dw.com/de/putin-%c3%a4ra/a-68117411",
    "https://www.dw.com/de/putin-%C3%A4ra/a-68117411/",
    "http://WWW.DW.COM:443/de/putin-%C3%A4ra/a-68117411?utm_source=rss#comments",
    "https://www.dw.com/de/%70utin-%C3%A4ra/a-68117411",  # an escaped unreserved letter
])
def test_one_url_form_for_raw_and_escaped_paths(variant):
    assert canonicalize_url(variant) == "https://www.dw.com/de/putin-%C3%A4ra/a-68117411"


def test_escapes_that_change_the_path_stay():
    assert canonicalize_url("https://x.de/a%2Fb") == "https://x.de/a%2Fb"  # an escaped slash is not a slash
    assert canonicalize_url("https://x.de/a b") == "https://x.de/a%20b"
