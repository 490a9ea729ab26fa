"""Country tagging and the scope decision, with hard negatives."""

from __future__ import annotations

import json
from pathlib import Path

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


DATA = Path(__file__).parent / "data"
EVAL = Path(__file__).parents[2] / "shared" / "eval" / "dev"


def _cases() -> list[dict]:
    lines = (DATA / "scope_cases.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["note"])
def test_labelled_scope_cases(case):
    result = default_tagger().tag(case["title"], case["teaser"], case["body"])
    assert result.in_scope is case["in_scope"]
    assert set(case["countries"]) <= set(result.countries)


def test_labelled_set_is_balanced_enough_to_mean_something():
    cases = _cases()
    assert len(cases) >= 40
    assert 0.3 <= sum(c["in_scope"] for c in cases) / len(cases) <= 0.7


def test_real_pages_from_the_eval_set():
    """Real German news pages (title + body from the checked truth): none is in scope."""
    truth = EVAL / "truth.jsonl"
    if not truth.exists():
        pytest.skip(f"{truth} not present (the eval set lives beside the repository)")
    labels = json.loads((DATA / "eval_scope_labels.json").read_text("utf-8"))
    in_scope = set(labels["in_scope"])
    records = [json.loads(line) for line in truth.read_text("utf-8").splitlines() if line.strip()]
    assert len(records) >= 50
    wrong = [
        r["file"] for r in records
        if default_tagger().tag(r["title"], None, r["body_text"]).in_scope != (r["file"] in in_scope)
    ]
    assert wrong == []
