"""End to end: the real ``scrapy crawl cicero`` in a subprocess against the local fixture server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]
SEED_PATH = "/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"

pytestmark = pytest.mark.e2e


def crawl(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    # these crawls test the JSON Lines output: no Elasticsearch (tests/test_elasticsearch.py has that)
    base = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    # each crawl starts from an empty local state and writes its record beside it, unless the test says
    scratch = tempfile.mkdtemp(prefix="corpus-e2e-")
    base["CORPUS_STATE_FILE"] = os.path.join(scratch, "state.sqlite")
    base["CORPUS_OUTPUT_DIR"] = scratch
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "cicero", *args, *FAST],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**base, **(env or {})},
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def by_type(items: list[dict]) -> tuple[list[dict], list[dict]]:
    return ([i for i in items if i["item_type"] == "article"],
            [i for i in items if i["item_type"] == "comment"])


def test_recent_crawl_in_scope(cicero_server, tmp_path):
    out = tmp_path / "out.jsonl"
    result = crawl("-a", f"base_url={cicero_server.base_url}", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    # an output named on the command line takes articles and comments, not the light records
    assert {item["item_type"] for item in read_jsonl(out)} == {"article", "comment"}
    articles, comments = by_type(read_jsonl(out))
    titles = sorted(a["title"] for a in articles)
    assert titles == [
        "Die Gasleitung, die Moskau an Peking bindet",
        "Neue Achse Russland-China-Nordkorea?",
        "Seoul sucht die vorsichtige Annäherung an Peking",
    ]
    assert all(a["in_scope"] is True for a in articles)
    seed = next(a for a in articles if a["title"].startswith("Neue Achse"))
    assert seed["authors"] == ["Felix Lill"] and seed["published_at"] == "2023-09-06"
    assert seed["paywalled"] is True and seed["comment_count"] == 6
    # ids and canonical URLs are the outlet's own, also when crawling a mirror
    assert seed["canonical_url"] == "https://www.cicero.de" + SEED_PATH
    assert seed["url"] == cicero_server.base_url + SEED_PATH
    # comments: 6 on the seed, 5 across two pages on the Korea article, none from out-of-scope pages
    assert len(comments) == 11
    assert {c["article_id"] for c in comments} <= {a["id"] for a in articles}
    lenz = next(c for c in comments if c["author"] == "Gerhard Lenz")
    assert lenz["published_at"] == "2023-09-07T10:40:00+02:00"
    assert not any(c["author"] == "Heinrich Pfeffermann" for c in comments)  # Ukraine article
    # discovery stayed on article pages and did not page through listings in recent mode
    assert cicero_server.requested("/robots.txt")
    assert cicero_server.requested("/rss.xml") and cicero_server.requested("/aussenpolitik")
    assert not any(r.startswith(("/cicero-plus", "/autor/", "/comment/", "/newsletter"))
                   for r in cicero_server.requests)
    assert not cicero_server.requested("/aussenpolitik?page=1")
    assert "'corpus/written/offtopic': 1" in result.stderr  # the out-of-scope article's light record
    assert "Traceback" not in result.stderr


def test_scope_all_keeps_out_of_scope_article(cicero_server, tmp_path):
    out = tmp_path / "all.jsonl"
    result = crawl("-a", f"base_url={cicero_server.base_url}", "-a", "scope=all", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    articles, comments = by_type(read_jsonl(out))
    assert len(articles) == 4
    ukraine = next(a for a in articles if "Charkiw" in a["title"])
    assert ukraine["in_scope"] is False and ukraine["countries"] == ["RU"]
    assert any(c["author"] == "Heinrich Pfeffermann" for c in comments)
    assert len(comments) == 12


def test_default_output_is_jsonl_under_data_dir(cicero_server, tmp_path):
    result = crawl("-a", f"base_url={cicero_server.base_url}",
                   env={"CORPUS_OUTPUT_DIR": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr[-3000:]
    files = list((tmp_path / "data" / "cicero").glob("*.jsonl"))
    assert len(files) == 1
    assert {item["item_type"] for item in read_jsonl(files[0])} == {"article", "comment"}
    # the out-of-scope article: its light record in a file of its own, named like the output
    (offtopic,) = (tmp_path / "data" / "offtopic" / "cicero").glob("*.jsonl")
    assert offtopic.name == files[0].name
    (record,) = read_jsonl(offtopic)
    assert record["item_type"] == "offtopic" and record["countries"] == ["RU"] and record["archive"]["record_id"]
    record = read_jsonl(tmp_path / "data" / "crawls.jsonl")[0]  # no Elasticsearch: the run is logged locally
    assert record["failed"] is False and record["items_scraped"] == 15  # 3 articles, 11 comments, 1 light record
    assert record["arguments"]["mode"] == "recent" and record["extraction"]["title"] == {"selector": 4}
    items = read_jsonl(files[0])
    assert {i["item_type"] for i in items} == {"article", "comment"}
    assert len(items) == 14


def test_backfill_follows_pagination_until_since(cicero_server, tmp_path):
    out = tmp_path / "backfill.jsonl"
    result = crawl("-a", f"base_url={cicero_server.base_url}", "-a", "mode=backfill",
                   "-a", "since=2023-01-01", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert cicero_server.requested("/aussenpolitik?page=1")
    assert not cicero_server.requested("/aussenpolitik?page=2")  # teasers there are older than since
    assert cicero_server.requested("/sitemap.xml")
    articles, _ = by_type(read_jsonl(out))
    assert len(articles) == 3
    assert not any("Raketentest" in a["title"] for a in articles)  # 2022, before since
    assert "older_than_since" in result.stderr


def test_unreachable_site_fails_clearly(tmp_path):
    result = crawl("-a", f"base_url=http://127.0.0.1:{free_port()}", "-s", "RETRY_TIMES=0",
                   env={"CORPUS_OUTPUT_DIR": str(tmp_path / "data")})
    assert result.returncode == 1
    assert "could be fetched" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "cicero").exists()  # no empty output file
    # ... but the failed run is on record
    records = read_jsonl(tmp_path / "data" / "crawls.jsonl")
    assert len(records) == 1
    assert records[0]["failed"] is True and "could be fetched" in records[0]["failure"]
    assert records[0]["spider"] == "cicero" and records[0]["items_scraped"] == 0


def test_bad_argument_is_a_usage_error():
    result = crawl("-a", "mode=sideways")
    assert result.returncode == 2
    assert "mode" in result.stderr and "Traceback" not in result.stderr


def test_a_page_over_download_maxsize_is_skipped_with_a_reason(cicero_server, tmp_path):
    seed = (Path(__file__).parent / "fixtures/cicero/article_seed.html").read_bytes()
    huge = seed.replace(b"https://www.cicero.de", cicero_server.base_url.encode()) + b"<!--" + b"x" * 11_000_000
    cicero_server.overrides[SEED_PATH] = (200, huge + b"-->", "text/html; charset=utf-8")
    out = tmp_path / "out.jsonl"
    result = crawl("-a", f"base_url={cicero_server.base_url}", "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    reason = f"skipped {cicero_server.base_url}{SEED_PATH}: larger than DOWNLOAD_MAXSIZE (10485760 bytes)"
    assert reason in result.stderr
    assert "'corpus/errors/too_large': 1" in result.stderr
    titles = {a["title"] for a in by_type(read_jsonl(out))[0]}
    assert "Neue Achse Russland-China-Nordkorea?" not in titles and len(titles) == 2  # the others are there


def test_backfill_reads_more_listing_pages_than_any_depth_limit(tmp_path):
    from tests.gensite import GeneratedSite

    out = tmp_path / "out.jsonl"
    with GeneratedSite(460) as site:  # ten listing pages, each one link deeper than the last
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "gensite", "-a", f"base_url={site.base_url}",
             "-a", "mode=backfill", "-a", "scope=all", "-a", "incremental=false", "-a", "max_pages=30", "-O", str(out),
             "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", *FAST],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**{k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"},
                 "CORPUS_OUTPUT_DIR": str(tmp_path), "CORPUS_STATE_FILE": str(tmp_path / "s.sqlite")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(by_type(read_jsonl(out))[0]) == 460


def test_elasticsearch_down_at_start_the_crawl_goes_on_into_files(cicero_server, tmp_path):
    from tests.conftest import free_port

    out = tmp_path / "out.jsonl"
    dead = tmp_path / "deadletter"
    result = crawl("-a", f"base_url={cicero_server.base_url}", "-O", str(out), env={
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{free_port()}", "CORPUS_ES_MAX_RETRIES": "1",
        "CORPUS_ES_RETRY_BACKOFF": "0.1", "CORPUS_ES_DEADLETTER_DIR": str(dead)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(by_type(read_jsonl(out))[0]) == 3  # the output is complete
    assert "is not usable now" in result.stderr and "the crawl goes on" in result.stderr
    # the incremental check could not ask it either: links were fetched, not lost
    assert "seen check in Elasticsearch failed" in result.stderr
    (deadletter,) = dead.rglob("*.jsonl")
    assert len(read_jsonl(deadletter)) == 15  # everything (and the light record) waits there for `corpus index`


def test_crawls_started_in_the_same_second_get_their_own_file_names():
    from scrapy.utils.test import get_crawler

    from corpus.runs import feed_uri_params, run_name
    from spiders.cicero import CiceroSpider

    names = set()
    for _ in range(2):
        crawler = get_crawler(CiceroSpider)
        crawler.spider = crawler._create_spider()
        name = run_name(crawler)
        assert run_name(crawler) == name  # one name per crawl
        assert feed_uri_params({"name": "cicero"}, crawler.spider)["run"] == name
        names.add(name)
    assert len(names) == 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[0-9a-f]{6}", n) for n in names)
