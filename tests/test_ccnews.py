"""`corpus backfill ccnews`: history from CC-NEWS files served in Common Crawl's layout by a local data host."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus.archive.ccnews import months
from tests.ccnews_site import DataHost, other_pages, outlet_pages, write_listing, write_warc

ROOT = Path(__file__).parents[1]
UKRAINE = "Charkiw"


def site(root: Path) -> tuple[list, list[str]]:
    """Two months of CC-NEWS: three files mixing the outlets' pages with other sites', a redirect, records
    that are not HTML; the last file's last record cut off. The outlets' pages, and every path."""
    pages, others = outlet_pages(), other_pages()
    assert len(pages) >= 8, "the Cicero fixtures and the eval pages of the outlets"
    thirds = [pages[0::3], pages[1::3], pages[2::3]]
    paths = write_listing(root, 2024, 5, ["CC-NEWS-20240501104000-00001.warc.gz",
                                          "CC-NEWS-20240502104000-00002.warc.gz"])
    paths += write_listing(root, 2024, 6, ["CC-NEWS-20240601104000-00003.warc.gz"])
    for n, (path, own) in enumerate(zip(paths, thirds, strict=True)):
        mixed = [*own[:1], *others[n::3], *own[1:]]
        # the last file ends inside its last record (an outlet page, so the loss is visible)
        write_warc(root / path, [*mixed, own[0]] if n == 2 else mixed, cut=400 if n == 2 else 0)
    return pages, paths


def backfill(data: Path, host: DataHost, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    base.update(CORPUS_OUTPUT_DIR=str(data), **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "corpus.cli", "backfill", "ccnews", "--from", "2024-05", "--to",
                             "2024-06", "--base-url", host.url, "--no-progress", *args], cwd=ROOT, env=base,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(process: subprocess.Popen, timeout: int = 240) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_months_are_checked():
    assert months("2023-11", "2024-02") == [(2023, 11), (2023, 12), (2024, 1), (2024, 2)]
    for start, end, message in (("2023-13", "2024-01", "YYYY-MM"), ("2024-02", "2024-01", "before --from"),
                                ("2015-01", "2015-02", "begins in 2016-08"), ("sept", "2024-01", "YYYY-MM")):
        with pytest.raises(ValueError, match=message):
            months(start, end)


@pytest.mark.e2e
def test_backfill_stopped_half_way_continues_and_gives_every_article_once(es_url, es, prefix, cicero_server,
                                                                          tmp_path):
    root, data = tmp_path / "cc", tmp_path / "data"
    pages, paths = site(root)
    env = {"ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix, "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "dl")}

    # a live crawl first: its articles and the CC-NEWS copies of them must become one document each
    live = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "cicero", "-a",
                           f"base_url={cicero_server.base_url}", "-s", "DOWNLOAD_DELAY=0", "-s",
                           "AUTOTHROTTLE_ENABLED=False"], cwd=ROOT,
                          env={**os.environ, **env, "CORPUS_OUTPUT_DIR": str(data)}, capture_output=True, text=True,
                          timeout=180)
    assert live.returncode == 0, live.stderr[-3000:]

    done = data / "backfill" / "ccnews-done.txt"
    with DataHost(root, hold=r"00003\.warc\.gz$") as host:  # the third file waits: the backfill is stopped
        process = backfill(data, host, "--index", "--workers", "2", env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(done.read_text().splitlines() if done.exists() else []) < 2:
            time.sleep(0.2)
        assert len(done.read_text().splitlines()) == 2, finish(process)
        process.send_signal(signal.SIGINT)
        code, out, err = finish(process)
        assert code == 130, out + err[-3000:]
        assert "stopped" in out and "1 left" in out

    with DataHost(root) as host:  # the same command again: only the file not done is read
        code, out, err = finish(backfill(data, host, "--index", "--workers", "2", env=env))
        assert code == 0, out + err[-3000:]
        assert [p for p in host.requests if p.endswith(".warc.gz")] == ["/" + paths[2]]
        assert "1 with errors" in out  # the record cut off at the end of the third file
    assert sorted(done.read_text().split()) == sorted(paths)

    es.indices.refresh(index=f"{prefix}-*")

    def ids(kind: str) -> dict[str, dict]:
        hits = es.search(index=f"{prefix}-{kind}", size=1000, query={"match_all": {}})["hits"]["hits"]
        return {h["_id"]: h["_source"] for h in hits}

    articles, offtopic = ids("articles"), ids("offtopic")
    every = {**articles, **offtopic}
    # every outlet page is there exactly once: the corpus's articles and the light records of the rest; the
    # four Cicero pages the live crawl had keep its fetch (the CC-NEWS one is older), the rest are CC-NEWS's
    assert len(every) == len(pages) and not set(articles) & set(offtopic)
    ccnews = {i: d for i, d in every.items() if d["source"] == "ccnews"}
    assert len(ccnews) == len(pages) - 4
    cicero = [d for d in articles.values() if d["outlet"] == "cicero"]
    assert len(cicero) == 3  # the live crawl's three, read again from CC-NEWS: still three documents
    seed = next(d for d in cicero if d["title"].startswith("Neue Achse"))
    assert seed["first_seen_at"].startswith("2024-06-01")  # the CC-NEWS fetch is older: it moved first_seen back
    assert any(UKRAINE in d["title"] for d in offtopic.values())
    outlet_docs = [d for d in ccnews.values()]
    assert {d["outlet"] for d in outlet_docs} >= {"faz", "dw"}
    for doc in outlet_docs:
        where = doc["archive"]
        assert where["source_file"] in paths and where["source_offset"] >= 0
        assert (data / "archive" / where["file"]).is_file()
    # the copy in the project's archive gives the page back (corpus show-source reads it)
    doc = next(d for d in outlet_docs if d["outlet"] == "faz")
    shown = subprocess.run([sys.executable, "-m", "corpus.cli", "show-source", doc["id"], "--archive-dir",
                            str(data / "archive")], cwd=ROOT, env={**os.environ, **env, "CORPUS_OUTPUT_DIR": str(data)},
                           capture_output=True, timeout=60)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert next(p.body for p in pages if p.url == doc["url"]) == shown.stdout


def test_a_month_that_is_not_published_is_a_clear_error(tmp_path):
    root = tmp_path / "cc"
    write_listing(root, 2024, 5, [])
    with DataHost(root) as host:
        code, out, err = finish(backfill(tmp_path / "data", host))
    assert code == 2 and "CC-NEWS has no listing for 2024-06" in err, err[-2000:]


def test_backfill_into_json_lines_keeps_outlet_articles_only(tmp_path):
    root, data = tmp_path / "cc", tmp_path / "data"
    pages, paths = site(root)
    out = tmp_path / "ccnews.jsonl"
    with DataHost(root) as host:
        code, stdout, err = finish(backfill(data, host, "--workers", "1", "--outlets", "cicero", "-o", str(out)))
    assert code == 0, stdout + err[-3000:]
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    articles = [i for i in items if i["item_type"] == "article"]
    assert sorted(a["title"] for a in articles) == [
        "Die Gasleitung, die Moskau an Peking bindet", "Neue Achse Russland-China-Nordkorea?",
        "Seoul sucht die vorsichtige Annäherung an Peking"]
    assert all(a["source"] == "ccnews" and a["crawled_at"].startswith("2024-06-01") for a in articles)
    comments = [i for i in items if i["item_type"] == "comment"]
    assert comments and all(c["source"] == "ccnews" for c in comments)
    assert "not an HTML page (redirect, error, other type) 2" in stdout  # Cicero's redirect and its image


def test_a_file_that_cannot_be_downloaded_is_not_done_and_is_read_next_time(tmp_path):
    root, data = tmp_path / "cc", tmp_path / "data"
    pages = outlet_pages()[:2]
    present, missing = write_listing(root, 2024, 5, ["CC-NEWS-20240501104000-00001.warc.gz",
                                                     "CC-NEWS-20240501104000-00002.warc.gz"])
    write_listing(root, 2024, 6, [])
    write_warc(root / present, pages)
    with DataHost(root) as host:  # the second file is listed but not there (the host answers 404)
        code, out, err = finish(backfill(data, host, "--workers", "1"))
        assert code == 0, out + err[-2000:]
        assert "1 with errors, 1 left" in out and "the next run reads it again" in err
        assert (data / "backfill" / "ccnews-done.txt").read_text().split() == [present]
        host.requests.clear()
        code, out, err = finish(backfill(data, host, "--workers", "1"))
    assert [p for p in host.requests if p.endswith(".warc.gz")] == ["/" + missing]
