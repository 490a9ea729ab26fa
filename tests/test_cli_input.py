"""Bad input to every ``corpus`` command: one clear line, the rest of the input still processed, never a traceback."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.cli import main
from tests.conftest import FIXTURES, fixture_urls

ROOT = Path(__file__).parents[1]
DEEP = "[" * 100_000 + "]" * 100_000  # deeper than Python's JSON parser can follow
SEED_URL = fixture_urls("cicero")["article_seed.html"]


def run(argv: list[str], stdin: str | bytes = "") -> tuple[int, list[dict]]:
    out = io.StringIO()
    source = io.TextIOWrapper(io.BytesIO(stdin if isinstance(stdin, bytes) else stdin.encode()), encoding="utf-8")
    code = main(argv, stdin=source, stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def cli(*args: str, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus.cli", *args], input=stdin, capture_output=True,
                          timeout=120, env={**os.environ, **(env or {})}, cwd=ROOT)


@pytest.mark.parametrize(("command", "good", "bad"), [
    (["parse-date", "-"], {"text": "7. September 2023"}, [{"text": 5}, {"text": ["7. September 2023"]},
                                                         {"text": "heute", "reference": 7}]),
    (["parse-byline", "-"], {"text": "VON FELIX LILL"}, [{"text": 12}, {"text": {"name": "x"}}]),
    (["tag", "-"], {"title": "Putin in Pjöngjang"}, [{"title": 3}, {"title": "x", "body": ["a"]}]),
    (["extract", "--batch", "-"], {"file": str(FIXTURES / "cicero" / "article_seed.html"), "url": SEED_URL},
     [{"file": 5, "url": SEED_URL}, {"file": str(FIXTURES / "cicero" / "article_seed.html"), "url": ["x"]}]),
])
def test_wrong_types_and_deep_nesting_give_an_error_line_and_the_stream_goes_on(command, good, bad):
    lines = [json.dumps(good), *(json.dumps(b) for b in bad), DEEP, '{"text": ' + DEEP + "}", json.dumps(good)]
    code, out = run(command, "\n".join(lines) + "\n")
    assert code == 1
    assert len(out) == len(lines)  # one answer per line
    assert "error" not in out[0] and "error" not in out[-1]
    for answer in out[1:-1]:
        assert answer["error"].startswith("line "), answer
    assert "must be a string" in out[1]["error"]
    assert "nested too deeply" in out[len(bad) + 1]["error"]


def test_a_bad_byte_on_stdin_under_a_strict_utf8_locale_answers_that_line_only():
    stdin = b'{"text": "7. September 2023"}\n{"text": "caf\xff"}\n{"text": "8. September 2023"}\n'
    result = cli("parse-date", "-", stdin=stdin, env={"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONUTF8": "0"})
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [a.get("value") for a in answers] == ["2023-09-07", None, "2023-09-08"]
    assert "not valid UTF-8" in answers[1]["error"] and answers[1]["error"].startswith("line 2:")
    assert result.returncode == 1 and b"Traceback" not in result.stderr


def test_a_bad_terms_file_is_reported_once_at_the_start(tmp_path):
    terms = tmp_path / "terms.toml"
    terms.write_text("this is = not [toml")
    stdin = "\n".join(json.dumps({"title": f"Nordkorea {n}"}) for n in range(5)).encode()
    result = cli("tag", "-", "--terms", str(terms), stdin=stdin)
    assert result.returncode == 2 and result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corpus tag: error:") and str(terms) in lines[0]


def test_extract_refuses_a_gzip_bomb_without_reading_it_all(tmp_path):
    bomb = tmp_path / "bomb.html.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        chunk = b"<p>" + b"A" * (1 << 20)
        for _ in range(200):  # 200 MB unzipped, 200 kB on disk
            f.write(chunk)
    result = cli("extract", str(bomb), "--url", "https://example.org/a/1")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"larger than 10,485,760 bytes unzipped" in result.stderr


@pytest.mark.parametrize(("content", "says"), [
    (b"", "empty page"),
    (b"   \n", "empty page"),
    (bytes(range(256)) * 64, "not text"),
])
def test_extract_of_an_empty_or_binary_file_is_refused_like_the_crawl_skips_it(tmp_path, content, says):
    page = tmp_path / "page.html"
    page.write_bytes(content)
    result = cli("extract", str(page), "--url", "https://example.org/a/1")
    assert result.returncode == 2 and says in result.stderr.decode() and result.stdout == b""
    code, out = run(["extract", "--batch", "-"], json.dumps({"file": str(page), "url": "https://example.org/a"}))
    assert code == 1 and says in out[0]["error"] and out[0]["file"] == str(page)


TEXT = ("<p>Die Gespräche über Südkorea und Nordkorea dauern an; Präsident Yoon äußert sich in Pjöngjang "
        "nicht, Moskau schweigt.</p>") * 5


@pytest.mark.parametrize(("declared", "encoding"), [
    ("utf-8", "cp1252"),  # windows-1252 bytes declared as UTF-8
    ("windows-1252", "utf-8"),  # UTF-8 bytes declared as windows-1252
    ("koi8-r", "utf-8"),  # UTF-8 bytes declared as KOI8-R
])
def test_extract_repairs_a_wrong_declared_encoding_as_the_crawl_does(tmp_path, declared, encoding):
    html = (f'<html><head><meta charset="{declared}"><title>Südkorea äußert sich</title></head><body><article>'
            f"<h1>Südkorea äußert sich</h1>{TEXT}</article></body></html>")
    page = tmp_path / "page.html"
    page.write_bytes(html.encode(encoding))
    result = cli("extract", str(page), "--url", "https://example.org/a/1")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "Südkorea äußert sich" and "Präsident Yoon äußert sich" in record["body"]


def test_a_page_falsely_declaring_koi8r_is_read_as_utf8_in_a_crawl():
    from scrapy.http import HtmlResponse, Request

    from tests.conftest import make_spider

    html = (f'<html><head><meta charset="koi8-r"><title>Südkorea äußert sich</title></head><body><article>'
            f"<h1>Südkorea äußert sich</h1>{TEXT}</article></body></html>").encode()
    spider = make_spider()
    url = "https://www.cicero.de/aussenpolitik/suedkorea-aeussert-sich"  # an article URL of the spider's outlet
    response = HtmlResponse(url=url, body=html, headers={"Content-Type": "text/html"}, request=Request(url))
    assert response.encoding == "koi8-r"  # what Scrapy decodes it with
    (article,) = list(spider.parse_article(response))
    assert article.title == "Südkorea äußert sich" and "Präsident Yoon äußert sich" in article.body
    assert spider.crawler.stats.get_value("corpus/encoding/repaired/utf-8") == 1


def test_html_nested_deeper_than_the_parser_allows_keeps_the_rest_of_the_page(tmp_path):
    for depth in (300, 5000):
        nested = "<div>" * depth + "<p>Ein Absatz tief in der Seite über Peking und Seoul.</p>" + "</div>" * depth
        html = ("<html><head><title>Nordkorea testet Rakete</title></head><body><article><h1>Nordkorea testet "
                f"Rakete</h1>{TEXT}{nested}<p>Nach dem tiefen Teil: Moskau und Peking reagieren auf den Test.</p>"
                "</article></body></html>")
        page = tmp_path / f"deep{depth}.html"
        page.write_text(html)
        result = cli("extract", str(page), "--url", "https://example.org/a/1")
        record = json.loads(result.stdout)
        assert "Nach dem tiefen Teil" in record["body"], depth
        assert "tief in der Seite" in record["body"], depth


def test_es_commands_with_elasticsearch_down_or_refusing_give_one_line():
    from tests.conftest import free_port
    from tests.faultserver import answer, serve

    def refuse(handler) -> None:  # type: ignore[no-untyped-def]
        body = json.dumps({"error": {"type": "security_exception", "reason": "missing authentication credentials"},
                           "status": 401}).encode()
        answer(handler, 401, body, {"Content-Type": "application/json", "X-elastic-product": "Elasticsearch"})

    refusing = f"http://127.0.0.1:{serve(refuse)}"
    down = f"http://127.0.0.1:{free_port()}"
    for url, says in ((down, "cannot reach Elasticsearch"), (refusing, "HTTP 401")):
        for command in ("status", "setup"):
            result = cli("es", command, env={"ELASTICSEARCH_URL": url})
            err = result.stderr.decode()
            assert result.returncode == 1, err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and says in err, err


def test_index_refuses_to_dead_letter_into_its_own_input(tmp_path):
    source = tmp_path / "dead.jsonl"
    source.write_text(json.dumps({"item_type": "article", "id": "a", "url": "https://x/a", "outlet": "t"}) + "\n")
    result = cli("index", str(source), "--deadletter", str(tmp_path / "." / "dead.jsonl"),
                 env={"ELASTICSEARCH_URL": "http://127.0.0.1:9"})
    assert result.returncode == 2 and "is the input" in result.stderr.decode()
    assert len(source.read_text().splitlines()) == 1


@pytest.mark.elasticsearch
def test_index_takes_what_is_good_and_names_every_bad_line(tmp_path, es_url, es, prefix):
    """An invalid UTF-8 byte, deep nesting, a list id and a dict id among 300 good lines: those lines are named,
    the good ones indexed."""
    good = [json.dumps({"item_type": "article", "id": f"a{n}", "url": f"https://x/{n}", "outlet": "t", "title": f"T{n}",
                        "crawled_at": "2024-03-15T12:00:00+01:00", "content_hash": str(n)}).encode()
            for n in range(300)]
    list_id = json.dumps({"item_type": "article", "id": ["x"], "url": "https://x/l", "outlet": "t"}).encode()
    dict_id = json.dumps({"item_type": "article", "id": {"a": 1}, "url": "https://x/d", "outlet": "t"}).encode()
    lines = good[:100] + [b'{"item_type": "article", "id": "bad", "title": "caf\xff"}'] + good[100:200] + \
        [DEEP.encode(), list_id, dict_id] + good[200:]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    dead = tmp_path / "dead.jsonl"
    result = cli("index", str(source), "--deadletter", str(dead),
                 env={"ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix})
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err
    assert "line 101: not valid UTF-8" in err and "line 202: nested too deeply" in err
    es.indices.refresh(index=f"{prefix}-articles")
    assert es.count(index=f"{prefix}-articles")["count"] == 300
    assert result.stdout.decode().startswith("300 indexed")
    reasons = [json.loads(line)["_deadletter"]["reason"] for line in dead.read_text().splitlines()]
    assert len(reasons) == 2 and all("id must be a string" in r for r in reasons)


def test_dedupe_keeps_the_last_line_of_every_item_across_files(tmp_path):
    """JSON Lines output is at least once after a kill: a page finished after the last checkpoint is in both runs'
    files. `corpus dedupe` keeps one line per (item_type, id), the last one written."""
    first, second = tmp_path / "run1.jsonl", tmp_path / "run2.jsonl"
    first.write_text("\n".join(json.dumps(x) for x in [
        {"item_type": "article", "id": "a", "version": 1}, {"item_type": "comment", "id": "a", "text": "x"},
        {"item_type": "article", "id": "b", "version": 1}]) + "\n")
    second.write_bytes(b"\n".join([json.dumps({"item_type": "article", "id": "b", "version": 2}).encode(), b"\xff{",
                                   json.dumps({"item_type": "article", "id": "c", "version": 1}).encode()]) + b"\n")
    out = tmp_path / "all.jsonl"
    result = cli("dedupe", str(first), str(second), "-o", str(out))
    assert result.returncode == 1 and f"{second}: line 2: not valid UTF-8".encode() in result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(x["item_type"], x["id"], x.get("version")) for x in lines] == [
        ("article", "a", 1), ("comment", "a", None), ("article", "b", 2), ("article", "c", 1)]
    assert b"4 items written, 1 repeat dropped" in result.stderr
