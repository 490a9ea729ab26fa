"""The normaliser commands: corpus parse-date, parse-byline, tag (single value and JSON Lines)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from corpus.cli import main


def run(argv: list[str], stdin: str = "") -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_parse_date_stream_one_line_per_input():
    lines = [
        {"text": "Do., 7. September 2023 - 10:40"},
        {"text": "vor 3 Stunden", "reference": "2024-03-15T12:00:00+01:00"},
        {"text": "am 6. September 2023"},
        {"text": "September 2023"},
        {"text": "29. Februar 2023"},
        {"text": "vor 3 Stunden"},  # no reference: no guess
    ]
    code, out = run(["parse-date", "-"], "\n".join(json.dumps(x) for x in lines) + "\n")
    assert code == 0
    assert [(o["value"], o["precision"]) for o in out] == [
        ("2023-09-07T10:40:00+02:00", "minute"),
        ("2024-03-15T09:00:00+01:00", "minute"),
        ("2023-09-06", "day"),
        ("2023-09", "month"),
        (None, None),
        (None, None),
    ]


def test_parse_date_stream_survives_bad_lines():
    code, out = run(["parse-date", "-"], '{"text": "7. Sept. 2023"}\nnot json\n[1, 2]\n{"text": "heute"}\n')
    assert code == 1  # told, but every line answered
    assert len(out) == 4
    assert out[0]["value"] == "2023-09-07" and "error" in out[1] and "error" in out[2]


def test_parse_date_single_value_with_reference(capsys):
    assert main(["parse-date", "gestern, 14:05 Uhr", "--reference", "2024-03-31T12:00:00+02:00"]) == 0
    assert json.loads(capsys.readouterr().out) == {"value": "2024-03-30T14:05:00+01:00", "precision": "minute"}


def test_parse_date_bad_reference_is_a_clear_error(capsys):
    assert main(["parse-date", "heute", "--reference", "yesterday"]) == 2
    assert "reference must be ISO 8601" in capsys.readouterr().err


def test_parse_byline_single_and_stream(capsys):
    assert main(["parse-byline", "VON ULRICH THIELE UND VOLKER RESING am 12. März 2024"]) == 0
    assert json.loads(capsys.readouterr().out) == {"authors": ["Ulrich Thiele", "Volker Resing"], "agencies": []}
    stream = '{"text": "Mit Material von dpa und Reuters"}\n{"text": "Felix Lill, Tokio"}\n'
    code, out = run(["parse-byline", "-"], stream)
    assert code == 0
    assert out == [{"authors": [], "agencies": ["dpa", "Reuters"]}, {"authors": ["Felix Lill"], "agencies": []}]


def test_tag_stream():
    lines = [
        {"title": "Putin in Pjöngjang", "teaser": "Russland und Nordkorea schließen einen Pakt.", "body": ""},
        {"title": "Das beste Chinarestaurant in Köln", "teaser": "", "body": "Peking-Ente im Chinarestaurant."},
    ]
    code, out = run(["tag", "-"], "\n".join(json.dumps(x) for x in lines))
    assert code == 0
    assert out[0]["countries"] == ["KP", "RU"] and out[0]["pairs"] == ["KP-RU"] and out[0]["in_scope"] is True
    assert out[1]["in_scope"] is False and set(out[1]) == {"countries", "pairs", "topic_score", "in_scope",
                                                                 "entities"}


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "corpus.cli", "parse-date", "15. Jänner 2024"],
                            capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == {"value": "2024-01-15", "precision": "day"}


def test_extract_file_and_batch(tmp_path, capsys):
    import gzip

    from tests.conftest import FIXTURES, fixture_urls

    url = fixture_urls("cicero")["article_seed.html"]
    page = FIXTURES / "cicero" / "article_seed.html"
    zipped = tmp_path / "seed.html.gz"
    zipped.write_bytes(gzip.compress(page.read_bytes()))
    assert main(["extract", str(page), "--url", url]) == 0
    single = json.loads(capsys.readouterr().out)
    assert single["title"] == "Neue Achse Russland-China-Nordkorea?"
    assert single["extraction"]["title"] == "selector"
    lines = [{"file": str(page), "url": url}, {"file": str(zipped), "url": url},
             {"file": str(tmp_path / "missing.html"), "url": url}]
    code, results = run(["extract", "--batch", "-"], "\n".join(json.dumps(x) for x in lines))
    assert code == 1  # the missing file is reported, the others extracted
    first, second, missing = results
    assert first["file"] == str(page) and second["file"] == str(zipped)
    for record in (first, second):
        assert record["title"] == "Neue Achse Russland-China-Nordkorea?"
        assert record["kicker"] == "Kim Jong-un reist nach Wladiwostok"
        assert record["authors"] == ["Felix Lill"] and record["agencies"] == []
        assert record["published_at"] == "2023-09-06" and record["published_precision"] == "day"
        assert record["paywalled"] is True and record["language"] == "de"
        assert "Cicero Plus weiterlesen" not in record["body"]
        assert set(record) >= {"teaser", "modified_at", "section", "keywords", "image"}
    assert "error" in missing and missing["file"] == str(tmp_path / "missing.html")


def test_extract_uses_the_outlet_parser_chosen_by_host():
    from corpus.extract.article import parser_for
    from corpus.extract.layers import OutletParser
    from spiders.cicero import CiceroParser

    assert parser_for("https://www.cicero.de/aussenpolitik/x") is CiceroParser
    assert parser_for("https://cicero.de/aussenpolitik/x") is CiceroParser
    assert parser_for("https://www.example.org/x") is OutletParser


def test_tag_gives_what_the_crawl_gave_for_the_same_article(tmp_path):
    """The crawl tags the kicker with the title; so does `corpus tag -` (it gave 29.25 against 35.25 before)."""
    from tests.conftest import fixture_response, make_spider
    from tests.pipelines import build_pipelines, run_pipelines

    spider = make_spider()
    raw = list(spider.parse_article(fixture_response("cicero", "article_seed.html")))
    (article, *_), _ = run_pipelines(build_pipelines(spider.crawler), raw)
    assert article.kicker  # the seed article has one, and it names Kim Jong-un
    line = {k: getattr(article, k) for k in ("kicker", "title", "teaser", "body")}
    code, (out,) = run(["tag", "-"], json.dumps(line) + "\n")
    assert code == 0
    assert (out["topic_score"], out["countries"], out["in_scope"]) == \
        (article.topic_score, article.countries, article.in_scope)
    without_kicker = {k: v for k, v in line.items() if k != "kicker"}
    _, (other,) = run(["tag", "-"], json.dumps(without_kicker) + "\n")
    assert other["topic_score"] != article.topic_score  # the kicker counts
