"""`scrapy crawl <outlet> -a mode=wayback`: an outlet's past from the Wayback Machine's CDX API and raw captures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from corpus import wayback
from corpus.normalize.urls import canonicalize_url, url_id
from tests.conftest import FIXTURES, fixture_urls
from tests.wayback_site import Snapshot, WaybackServer

ROOT = Path(__file__).parents[1]


def snapshots() -> list[Snapshot]:
    urls = fixture_urls("cicero")
    page = {name: (FIXTURES / "cicero" / name).read_bytes() for name in urls if name.endswith(".html")}
    return [
        Snapshot("20230907120000", urls["article_seed.html"], page["article_seed.html"]),
        Snapshot("20240105083000", urls["article_korea_china.html"], page["article_korea_china.html"]),
        # listed at one time, captured at the next: the capture URL redirects there
        Snapshot("20240312000000", urls["article_russia_china.html"], page["article_russia_china.html"],
                 redirect_to="20240313101010"),
        Snapshot("20231120000000", urls["article_ukraine.html"], page["article_ukraine.html"]),
        # listed as HTML, captured as an image
        Snapshot("20231001000000", "https://www.cicero.de/aussenpolitik/bildergalerie-kim-in-russland",
                 b"\xff\xd8\xff\xe0" + b"\0" * 64, content_type="image/jpeg"),
        # the section front itself: no article URL, never fetched
        Snapshot("20231001000000", "https://www.cicero.de/aussenpolitik/", page["section_aussenpolitik.html"]),
        # before since: not listed
        Snapshot("20190425000000", urls["article_old.html"], page["article_old.html"]),
    ]


def crawl(server: WaybackServer, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env.update(CORPUS_OUTPUT_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", "mode=wayback", "-a",
                             "since=2023-01-01", "-a", "until=2024-12-31", "-a", f"wayback_url={server.url}",
                             "-O", str(out), "-s", "LOG_LEVEL=INFO", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
    return result, items


@pytest.mark.e2e
def test_wayback_mode_reads_the_captures_the_cdx_api_lists(tmp_path):
    with WaybackServer(snapshots()) as server:
        result, items = crawl(server, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    articles = {a["title"]: a for a in items if a["item_type"] == "article"}
    assert sorted(articles) == ["Die Gasleitung, die Moskau an Peking bindet", "Neue Achse Russland-China-Nordkorea?",
                                "Seoul sucht die vorsichtige Annäherung an Peking"]
    seed = articles["Neue Achse Russland-China-Nordkorea?"]
    urls = fixture_urls("cicero")
    # the outlet's own page and id, as a live crawl gives them; read at the capture's time
    assert seed["url"] == seed["canonical_url"] == urls["article_seed.html"]
    assert seed["id"] == url_id(canonicalize_url(urls["article_seed.html"]))
    assert seed["source"] == "wayback" and seed["crawled_at"] == "2023-09-07T14:00:00+02:00"
    assert seed["archive"]["capture_url"] == f"{server.url}/web/20230907120000id_/{urls['article_seed.html']}"
    assert seed["archive"]["record_id"]  # the capture is in the project's own archive too
    comments = [c for c in items if c["item_type"] == "comment" and c["article_id"] == seed["id"]]
    assert len(comments) == 6 and all(c["source"] == "wayback" for c in comments)
    # the capture that redirected: read at the timestamp it redirected to
    moved = articles["Die Gasleitung, die Moskau an Peking bindet"]
    assert moved["crawled_at"] == "2024-03-13T11:10:10+01:00"
    # only the comments the capture shows: no live comment page was asked for
    korea = articles["Seoul sucht die vorsichtige Annäherung an Peking"]
    assert not [p for _, p in server.requests if "page=1" in p]
    assert korea["comment_count"] == sum(1 for c in items if c["item_type"] == "comment"
                                         and c["article_id"] == korea["id"])
    # the CDX API was paged with its resume keys, after the 429 had been waited out
    cdx = server.requested("/cdx/search/cdx?url=www.cicero.de%2Faussenpolitik%2F")
    assert len(cdx) == 3 and [p.count("resumeKey=") for _, p in cdx] == [0, 1, 1]  # six captures, two a page
    first = server.requested("/cdx/search/cdx")[0]
    again = [t for t, p in server.requested("/cdx/search/cdx") if p == first[1]]
    assert len(again) == 2 and again[1] - again[0] >= 0.9  # the answer 429 said: come back in a second
    for name in ("collapse=urlkey", "filter=statuscode%3A200", "filter=mimetype%3Atext%2Fhtml", "from=20230101",
                 "matchType=prefix", "showResumeKey=true"):
        assert name in cdx[0][1]
    assert not server.requested("nordkorea-raketentest-japan-2022")  # captured before since: not listed
    assert not [p for _, p in server.requests if p.endswith("id_/https://www.cicero.de/aussenpolitik/")]
    assert "bildergalerie-kim-in-russland skipped: binary content served as image/jpeg" in result.stderr


def test_every_outlet_has_cdx_prefixes_and_takes_the_wayback_arguments():
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
    for name in loader.list():
        spider = loader.load(name)
        prefixes = wayback.prefixes(spider)
        host = spider.base_url.split("://", 1)[1]
        assert prefixes and all(p.startswith(host + "/") and p.endswith("/") for p in prefixes), name
        args = spider.check_args({"mode": "wayback", "since": "2019-04-01", "until": "2019-04-30"})
        assert args.mode == "wayback" and args.since == date(2019, 4, 1)
    with pytest.raises(ValueError, match="needs since"):
        loader.load("cicero").check_args({"mode": "wayback"})
    with pytest.raises(ValueError, match="until is before since"):
        loader.load("cicero").check_args({"mode": "wayback", "since": "2024-01-02", "until": "2024-01-01"})


def test_cdx_pages_and_capture_urls_are_read_as_the_api_writes_them():
    body = json.dumps([["timestamp", "original", "mimetype", "statuscode"],
                       ["20190425093000", "https://www.zeit.de/politik/ausland/2019-04/kim-putin", "text/html", "200"],
                       ["20190425093100", "https://www.zeit.de/x.pdf", "application/pdf", "200"],
                       ["20190425093200", "https://www.zeit.de/politik/gone", "text/html", "404"],
                       [], ["com,zeit)/politik/zz 20190425093300"]]).encode()
    captures, key = wayback.parse_cdx(body)
    assert captures == [wayback.Capture("20190425093000", "https://www.zeit.de/politik/ausland/2019-04/kim-putin")]
    assert key == "com,zeit)/politik/zz 20190425093300"
    assert wayback.parse_cdx(b"") == ([], None)
    with pytest.raises(ValueError, match="not a CDX answer"):
        wayback.parse_cdx(b"<html>maintenance</html>")
    capture = wayback.parse_capture_url("https://web.archive.org/web/20190425093000id_/https://www.zeit.de/a?x=1")
    assert capture == wayback.Capture("20190425093000", "https://www.zeit.de/a?x=1")
    assert capture.captured_at == "2019-04-25T11:30:00+02:00"
    url = wayback.cdx_url("https://web.archive.org", "www.zeit.de/politik/", date(2019, 4, 1), date(2019, 4, 30),
                          "key 1")
    assert url.startswith("https://web.archive.org/cdx/search/cdx?url=www.zeit.de%2Fpolitik%2F&matchType=prefix")
    assert "to=20190430235959" in url and "resumeKey=key+1" in url
