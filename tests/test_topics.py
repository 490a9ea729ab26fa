"""Country tagging and the scope decision, with hard negatives."""

from __future__ import annotations

import pytest

from corpus.topics import Tagger, default_tagger

CASES = [
    # (title, teaser, body, countries ⊇, in_scope)
    ("Kim Jong-un reist nach Wladiwostok - Neue Achse Russland-China-Nordkorea?",
     "Zwischen Nordkorea und Russland bahnt sich eine neue Allianz an.", "", {"KP", "RU", "CN"}, True),
    ("Seoul sucht die Annäherung an Peking", "Südkorea und China reden wieder.", "", {"KR", "CN"}, True),
    ("Raketentest über Japan", "Pjöngjang feuert erneut.", "Nordkoreas Militär ...", {"KP"}, True),
    ("Die Gasleitung, die Moskau an Peking bindet", "Russland und China rücken zusammen.", "",
     {"RU", "CN"}, True),
    # hard negatives
    ("Stillstand im Frost vor Charkiw", "Russische Truppen greifen an.",
     "Der Kreml meldet Erfolge. Putin spricht von Verhandlungen.", {"RU"}, False),
    ("Chinas Wirtschaft schwächelt", "Peking senkt die Zinsen.",
     "Die chinesische Zentralbank reagiert. Russland wird nur am Rande erwähnt.", {"CN"}, False),
    ("Bestes Chinarestaurant in Köln", "Ein Test.", "Frühlingsrollen im Chinarestaurant.", set(), False),
    ("Haushaltsstreit in Berlin", "Die Ampel ringt um Milliarden.",
     "Ein Abgeordneter verglich die Lage mit Nordkorea.", set(), False),
    ("Russlanddeutsche feiern in Pforzheim", "Ein Stadtfest.", "Russlanddeutsche Familien ...", set(), False),
]


@pytest.mark.parametrize(("title", "teaser", "body", "countries", "in_scope"), CASES)
def test_tagging_and_scope(title, teaser, body, countries, in_scope):
    result = default_tagger().tag(title, teaser, body)
    assert countries <= set(result.countries)
    assert result.in_scope is in_scope
    if not countries:
        assert result.countries == []


def test_pairs_are_sorted_codes():
    result = default_tagger().tag("Nordkorea, Russland und China", "", "")
    assert result.pairs == ["CN-KP", "CN-RU", "KP-RU"]


def test_terms_file_can_be_extended(tmp_path):
    terms = tmp_path / "terms.toml"
    terms.write_text(
        '[countries.KP]\nstrong = ["Nordkorea", "Hermit Kingdom"]\n'
        '[countries.KR]\nstrong = ["Südkorea"]\n[countries.RU]\nstrong = ["Russland"]\n'
        '[countries.CN]\nstrong = ["China"]\n',
        encoding="utf-8",
    )
    result = Tagger.from_file(terms).tag("Das Hermit Kingdom rüstet auf", "", "")
    assert result.countries == ["KP"] and result.in_scope
