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


# --------------------------------------------------------------------------- held-out sets, computed


def _rows(name: str) -> list[dict]:
    lines = (DATA / name).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _precision_recall(rows: list[dict]) -> tuple[float, float, list[str]]:
    tagger = default_tagger()
    tp = fp = fn = 0
    misses = []
    for row in rows:
        predicted = tagger.tag(row["title"], row["teaser"], row["body"]).in_scope
        tp += predicted and row["in_scope"]
        fp += predicted and not row["in_scope"]
        fn += row["in_scope"] and not predicted
        if predicted != row["in_scope"]:
            misses.append(f"{'FP' if predicted else 'FN'} {row['note']}")
    return tp / (tp + fp), tp / (tp + fn), misses


def test_heldout_set():
    precision, recall, misses = _precision_recall(_rows("scope_heldout.jsonl"))
    assert precision >= 0.97 and recall >= 0.97, misses


def test_hard_set_is_big_and_balanced_enough():
    rows = _rows("scope_hard.jsonl")
    assert len(rows) >= 60
    assert 0.4 <= sum(r["in_scope"] for r in rows) / len(rows) <= 0.6
    assert all(set(r) == {"title", "teaser", "body", "in_scope", "countries", "note"} for r in rows)


def test_hard_set_precision():
    """tests/data/scope_hard.jsonl was written before the sport rule and the indirect terms."""
    precision, _, misses = _precision_recall(_rows("scope_hard.jsonl"))
    assert precision >= 0.97, misses


def test_hard_set_recall():
    """At least what the tagger reaches today (0.91: 32 of 35). The misses name Korea once, in the body
    ("Präsidialamt in Seoul", a defector's story) or nowhere (a DMZ story: "entmilitarisierte Zone" alone is
    Ukraine or Syria as often); no general rule was found that takes them in without false positives."""
    _, recall, misses = _precision_recall(_rows("scope_hard.jsonl"))
    assert recall >= 0.9, misses


# --------------------------------------------------------------------------- named hard cases


def test_sport_transfer_of_a_korean_player_is_out():
    result = default_tagger().tag(
        "Der Südkoreaner wechselt von Mainz zum FC Bayern",
        "Der Nationalspieler unterschreibt einen Vertrag bis 2028.",
        "Die Ablöse soll bei 15 Millionen Euro liegen. Der Mittelfeldspieler war 2021 aus der K-League nach "
        "Deutschland gekommen und bestritt 40 Länderspiele für Südkorea. Trainer und Sportvorstand lobten ihn.",
    )
    assert "KR" in result.countries
    assert result.in_scope is False and result.reason == "sport"


def test_sport_with_real_politics_stays_in():
    result = default_tagger().tag(
        "Nordkorea boykottiert die Olympischen Spiele",
        "Das Regime in Pjöngjang schickt keine Athleten.",
        "Die Führung begründete den Boykott mit der Sicherheitslage und den Sanktionen der USA. "
        "Diplomaten in Seoul sprechen von einer politischen Botschaft an Washington.",
    )
    assert result.in_scope is True


def test_machthaber_in_pjoengjang_is_in():
    result = default_tagger().tag(
        "Der Machthaber in Pjöngjang droht mit Vergeltung",
        "Nach dem Manöver der USA verschärft sich der Ton.",
        "Die Staatsmedien zitierten den Diktator mit den Worten, man werde auf jede Provokation antworten. "
        "Das Verteidigungsministerium in Tokio beobachtet die Lage.",
    )
    assert "KP" in result.countries and result.in_scope is True


def test_indirect_references_count():
    tagger = default_tagger()
    for title, country in [
        ("Der Einsiedlerstaat öffnet seine Grenzen", "KP"),
        ("Das Kim-Regime lässt hinrichten", "KP"),
        ("Diktator Kim besucht eine Raketenfabrik", "KP"),
        ("Am 38. Breitengrad wird wieder gebaut", "KP"),
        ("Zurück ins Blaue Haus: Der Präsident zieht um", "KR"),
        ("Kremlchef empfängt Gäste", "RU"),
        ("Volksbefreiungsarmee übt vor Taiwan", "CN"),
    ]:
        result = tagger.tag(title, "", "")
        assert result.scores[country] >= 3.0, title


def test_ambiguous_references_count_only_in_a_story_about_the_country():
    tagger = default_tagger()
    # a demilitarised zone is proposed for Ukraine and Syria too; Cuba has a "Staats- und Parteichef"
    ukraine = tagger.tag("Trump schlägt entmilitarisierte Zone vor", "Kiew lehnt ab.",
                         "Russland verlangt den Abzug der ukrainischen Truppen aus dem Donbass.")
    assert ukraine.scores["KP"] == 0.0 and ukraine.in_scope is False
    cuba = tagger.tag("Kubas Staats- und Parteichef besucht Moskau", "", "Díaz-Canel traf Putin im Kreml.")
    assert cuba.scores["CN"] == 0.0 and cuba.in_scope is False
    korea = tagger.tag("Schüsse an der entmilitarisierten Zone", "Nordkoreanische Soldaten überquerten die Grenze.",
                       "Südkoreas Armee gab Warnschüsse ab.")
    assert korea.scores["KP"] >= 4.0 and korea.in_scope is True


def test_passing_mention_in_a_war_story_is_out():
    result = default_tagger().tag(
        "Russische Truppen rücken bei Pokrowsk vor",
        "Die Ukraine meldet schwere Kämpfe im Donbass.",
        "Der Kreml spricht von Erfolgen. Moskau setzt Gleitbomben ein. Ein Teil der Granaten stammt nach "
        "Angaben aus Kiew aus Nordkorea. Auch China müsse Druck auf Russland ausüben, sagte Selenskyj.",
    )
    assert "RU" in result.countries and result.in_scope is False


def test_us_china_trade_without_korea_is_out():
    result = default_tagger().tag("Trump erhöht Zölle auf chinesische Waren", "Peking kündigt Gegenmaßnahmen an.",
                                  "Der Handelsstreit zwischen Washington und Peking eskaliert.")
    assert result.countries == ["CN"] and result.in_scope is False


def test_markets_in_a_business_story_are_no_relation():
    result = default_tagger().tag(
        "Autozulieferer: Aufträge aus Südkorea und China brechen ein",
        "Der Konzern kündigt Kurzarbeit an.",
        "Die Kunden in Asien bestellen weniger. Vorstandschef Weber rechnet mit Erholung. Die Aktie verlor.",
    )
    assert result.in_scope is False and result.reason == "business"


def test_context_terms_need_the_group():
    tagger = default_tagger()
    # "der Norden" alone names no country
    assert tagger.tag("Sturm im Norden", "Bäume stürzten um.", "").scores["KP"] == 0.0
    # ... in a Korea story it is the North: the balloons come from there
    result = tagger.tag("Wieder Müllballons über Seoul", "Der Norden setzt seine Kampagne fort.",
                        "Das Militär rief die Bevölkerung auf, die Ballons nicht zu berühren. Die Regierung "
                        "will wieder Lautsprecher an der Grenze einschalten.")
    assert result.scores["KP"] > 0 and result.in_scope is True
    # ... but it does not make a passing mention a subject
    passing = tagger.tag("Kämpfe im Norden", "Die Front bei Charkiw bewegt sich.",
                         "Russland setzt auch Munition aus Nordkorea ein.")
    assert passing.in_scope is False and "KOREA" not in passing.reason


def test_balanced_pair_without_a_name_up_front():
    result = default_tagger().tag(
        "Stillstand an der Freundschaftsbrücke", "In der Grenzstadt stockt der Handel.",
        "Die chinesische Stadt Dandong lebt vom Geschäft mit Nordkorea. Peking soll verärgert sein über "
        "die Politik Pjöngjangs.",
    )
    assert result.in_scope is True and result.reason == "pair"


def test_dateline_counts_as_teaser():
    body = "Seoul (dpa) - Zehntausende Menschen haben vor dem Parlament gegen die Regierung demonstriert."
    with_dateline = default_tagger().tag("Tausende protestieren", None, body)
    without = default_tagger().tag("Tausende protestieren", None, body.replace("Seoul (dpa) - ", ""))
    assert with_dateline.in_scope is True and without.in_scope is False
    assert with_dateline.scores["KR"] == 2.0


# --------------------------------------------------------------------------- the fast matcher


def _texts() -> list[str]:
    texts = ["Nord- und Südkorea", "(Nordkorea)", "xNordkorea", "_Kim Jong-un", "russisch-chinesische Gespräche",
             "İstanbul, ſchön, K: Koreanische Halbinsel", "CHINA-RESTAURANT", "Nordkorea", ""]
    for name in ("scope_cases.jsonl", "scope_heldout.jsonl", "scope_hard.jsonl"):
        texts += [t for r in _rows(name) for t in (r["title"], r["teaser"] or "", r["body"])]
    truth = EVAL / "truth.jsonl"
    if truth.exists():
        texts += [json.loads(line)["body_text"] for line in truth.read_text("utf-8").splitlines() if line.strip()]
    return texts


def test_shipped_terms_use_the_fast_matcher():
    tagger = default_tagger()
    assert tagger._terms.fast and tagger._context.fast


def test_fast_matcher_finds_what_the_plain_alternation_finds(monkeypatch):
    from corpus.topics import tagger as module

    terms = module.tomllib.loads((Path(module.__file__).parent / "terms.toml").read_text("utf-8"))
    fast = Tagger(terms)
    monkeypatch.setattr(module, "_split", lambda *args, **kwargs: None)
    plain = Tagger(terms)
    assert not plain._terms.fast and not plain._context.fast
    for text in _texts():
        assert fast._terms.count(text) == plain._terms.count(text), text[:80]
        assert fast._context.count(text) == plain._context.count(text), text[:80]


def test_terms_with_alternatives_and_classes_keep_their_order(tmp_path):
    terms = tmp_path / "terms.toml"
    terms.write_text(
        '[countries.KP]\nstrong = ["(?i:nordkorea\\\\w*|südkorea\\\\w*)", "[Ee]insiedler\\\\w*"]\n'
        'exclude = ["(?i:nordkoreaner-witz)"]\n'
        '[countries.KR]\nstrong = ["Seoul"]\n[countries.RU]\nstrong = ["Russland"]\n'
        '[countries.CN]\nstrong = ["China"]\n',
        encoding="utf-8",
    )
    tagger = Tagger.from_file(terms)
    assert tagger._terms.fast
    result = tagger.tag("NORDKOREA und der einsiedlerstaat", "", "Ein Nordkoreaner-Witz.")
    assert result.scores["KP"] == 6.0


def test_backreferences_are_refused(tmp_path):
    terms = tmp_path / "terms.toml"
    terms.write_text('[countries.KP]\nstrong = ["(Kim)\\\\1"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="backreferences"):
        Tagger.from_file(terms)
