"""`corpus reprocess`: the corpus built again from the web archive, and out-of-scope articles brought back."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus.search.documents import merge, superseded, to_document
from corpus.state import LocalState
from tests.test_archive import FAST, warcio

ROOT = Path(__file__).parents[1]
UKRAINE = "Charkiw"  # the title word of the fixture site's one article out of scope


def run(*args: str, data: Path, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """A command as a user runs it, on the data directory ``data`` (JSON Lines and the local state only)."""
    base = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    base.update(CORPUS_OUTPUT_DIR=str(data), **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=timeout)


def crawl(server, data: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = run("-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}", *FAST, *args,
                 data=data, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def reprocess(data: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = run("-m", "corpus.cli", "reprocess", "--no-progress", *args, data=data, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def by_key(items: list[dict]) -> dict[tuple[str, str], dict]:
    return {(item["item_type"], item["id"]): item for item in items}


def without(item: dict, *names: str) -> dict:
    return {k: v for k, v in item.items() if k not in names}


def terms_with_ukraine(path: Path) -> Path:
    """A copy of the shipped terms file where the Ukraine article's words count as Korea."""
    text = (ROOT / "corpus" / "topics" / "terms.toml").read_text("utf-8")
    changed = text.replace('    "Yongbyon",\n', '    "Yongbyon",\n    "Charkiw\\\\w*",\n    "Ukrain\\\\w*",\n', 1)
    assert changed != text
    path.write_text(changed, "utf-8")
    return path


@pytest.mark.e2e
def test_reprocess_rebuilds_the_crawl_and_rescope_brings_in_an_article_with_its_comments(cicero_server, tmp_path):
    data = tmp_path / "data"
    crawl(cicero_server, data)
    (output,) = (data / "cicero").glob("*.jsonl")
    crawled = lines(output)
    (offtopic,) = (data / "offtopic" / "cicero").glob("*.jsonl")
    assert [UKRAINE in r["title"] for r in lines(offtopic)] == [True]
    files = sorted((data / "archive").glob("cicero-*.warc.gz"))
    checked = warcio("check", "-v", *map(str, files))
    assert checked.returncode == 0 and "fail" not in checked.stdout.lower(), checked.stdout[-2000:]

    # the output is lost; the archive alone gives it back: the same ids and fields, the same versions
    output.unlink()
    rebuilt = tmp_path / "rebuilt.jsonl"
    result = reprocess(data, "--workers", "2", "-o", str(rebuilt))
    again = lines(rebuilt)
    assert len(again) == len(crawled) == 14
    before, after = by_key(crawled), by_key(again)
    assert all(i["story_id"] and i["story_signature"] for i in crawled if i["item_type"] == "article")
    assert before.keys() == after.keys()
    for key, item in before.items():
        assert without(after[key], "processed_at") == without(item, "processed_at"), key
        assert after[key]["processed_at"] >= item["processed_at"]
    assert "3 unchanged" in result.stdout and "1 light records" in result.stdout and "errors: 0" in result.stdout
    state = sqlite3.connect(data / "state.sqlite")
    assert {v for (v,) in state.execute("SELECT version FROM articles WHERE dropped IS NULL")} == {1}
    assert state.execute("SELECT count(*) FROM article_versions").fetchone() == (0,)

    # other terms without --rescope: the crawl's decision stands, the article stays a light record
    terms = terms_with_ukraine(tmp_path / "terms.toml")
    same = tmp_path / "same.jsonl"
    reprocess(data, "--workers", "1", "-o", str(same), "--terms", str(terms))
    assert not any(UKRAINE in (i.get("title") or "") for i in lines(same) if i["item_type"] == "article")

    # --rescope: today's terms bring it into the corpus, with its comment read from the archive
    rescoped = tmp_path / "rescoped.jsonl"
    result = reprocess(data, "-o", str(rescoped), "--terms", str(terms), "--rescope")
    items = lines(rescoped)
    ukraine = next(i for i in items if i["item_type"] == "article" and UKRAINE in i["title"])
    assert ukraine["in_scope"] is True and "KP" in ukraine["countries"] and ukraine["comment_count"] == 1
    (comment,) = [i for i in items if i["item_type"] == "comment" and i["article_id"] == ukraine["id"]]
    assert comment["author"] == "Heinrich Pfeffermann" and comment["archive"]["record_id"]
    assert "1 brought into the corpus by --rescope" in result.stdout
    assert state.execute("SELECT dropped FROM articles WHERE id = ?", (ukraine["id"],)).fetchone() == (None,)

    # the incremental check still does not fetch it again: it is the corpus's own now
    path = ukraine["canonical_url"].removeprefix("https://www.cicero.de")
    cicero_server.requests.clear()
    crawl(cicero_server, data, env={"CORPUS_TOPIC_TERMS_FILE": str(terms)})
    assert cicero_server.requested("/rss.xml") and not cicero_server.requested(path)


@pytest.mark.e2e
def test_reprocess_into_elasticsearch_rebuilds_the_indices_and_rescope_moves_the_light_record(
        es_url, es, prefix, cicero_server, tmp_path):
    data = tmp_path / "data"
    env = {"ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix, "CORPUS_ES_FLUSH_INTERVAL": "0.5",
           "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "deadletter")}
    crawl(cicero_server, data, env=env)

    def docs(kind: str) -> dict[str, dict]:
        es.indices.refresh(index=f"{prefix}-{kind}")
        hits = es.search(index=f"{prefix}-{kind}", size=1000, query={"match_all": {}})["hits"]["hits"]
        return {h["_id"]: h["_source"] for h in hits}

    indexed = {kind: docs(kind) for kind in ("articles", "comments", "offtopic")}
    assert [len(indexed[k]) for k in ("articles", "comments", "offtopic")] == [3, 11, 1]
    # stories, agency copy and entities on every indexed article (and the entities of every comment)
    assert all(d["story_id"] and d["wire_copy"] is not None and set(d["entities"]) == {"person", "place", "org"}
               for d in indexed["articles"].values())
    assert any("Kim Jong-un" in d["entities"]["person"] for d in indexed["articles"].values())
    assert all(set(d["entities"]) == {"person", "place", "org"} for d in indexed["comments"].values())
    for kind in ("articles", "comments"):  # (this node has no delete-by-query module)
        es.bulk(operations=[{"delete": {"_index": f"{prefix}-{kind}", "_id": i}} for i in indexed[kind]], refresh=True)
    assert not docs("articles")

    reprocess(data, "--index", "--workers", "2", env=env)
    for kind in ("articles", "comments"):
        rebuilt = docs(kind)
        assert rebuilt.keys() == indexed[kind].keys()
        for key, doc in indexed[kind].items():
            assert without(rebuilt[key], "processed_at") == without(doc, "processed_at"), key

    # read again from the same archived pages: a reprocess, not a new version, and no history
    reprocess(data, "--index", "--workers", "1", env=env)
    assert {d["version"] for d in docs("articles").values()} == {1}
    assert not es.indices.exists(index=f"{prefix}-articles-history") or not docs("articles-history")

    terms = terms_with_ukraine(tmp_path / "terms.toml")
    result = reprocess(data, "--index", "--rescope", "--terms", str(terms), env=env)
    assert "1 brought into the corpus" in result.stdout
    (moved,) = [d for d in docs("articles").values() if UKRAINE in d["title"]]
    assert moved["in_scope"] is True and moved["comment_count"] == 1
    assert moved["id"] not in docs("offtopic")
    assert any(c["article_id"] == moved["id"] for c in docs("comments").values())


# --- the pieces -------------------------------------------------------------------------------------------


def _doc(content: str, digest: str, crawled: str = "2026-01-01T10:00:00+01:00") -> dict:
    return to_document({"item_type": "article", "id": "a", "title": content, "content_hash": content,
                        "crawled_at": crawled, "archive": {"payload_digest": digest}})


def test_the_same_archived_page_read_again_is_no_new_version():
    stored = {**_doc("old text", "sha1:AAAA"), "version": 3}
    reread = merge(_doc("new reading", "sha1:AAAA"), stored)
    assert reread["version"] == 3 and superseded(_doc("new reading", "sha1:AAAA"), stored) is None
    edited = merge(_doc("edited", "sha1:BBBB", "2026-01-02T10:00:00+01:00"), stored)
    assert edited["version"] == 4
    assert superseded(_doc("edited", "sha1:BBBB"), stored)["title"] == "old text"
    # an item without an archive reference is judged by its content, as before
    assert merge(to_document({**_doc("other", ""), "archive": None}), stored)["version"] == 4


def test_local_state_keeps_the_version_for_the_same_page_and_counts_an_edit(tmp_path):
    state = LocalState(tmp_path / "state.sqlite")
    item = {"id": "a", "title": "T", "content_hash": "h1", "crawled_at": "2026-01-01T10:00:00+01:00",
            "archive": {"payload_digest": "sha1:AAAA"}}
    assert state.record_article(item) == (1, None)
    assert state.record_article({**item, "content_hash": "h2", "title": "T2"}) == (1, None)  # reprocess
    assert state.db.execute("SELECT title FROM articles").fetchone() == ("T2",)
    version, previous = state.record_article({**item, "content_hash": "h3", "crawled_at": "2026-01-02T10:00:00+01:00",
                                              "archive": {"payload_digest": "sha1:BBBB"}})
    assert version == 2 and previous["title"] == "T2"


def _warc(path: Path, pages: list[tuple[str, bytes, int]]) -> None:
    """A WARC file as another crawler writes it: responses only, no warcinfo of ours, no metadata records."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, body, status in pages:
            http = StatusAndHeaders(f"{status} OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=http))


def test_a_foreign_warc_file_is_read_page_by_page_and_a_damaged_one_up_to_the_damage(tmp_path):
    fixtures = ROOT / "tests" / "fixtures" / "cicero"
    seed = (fixtures / "article_seed.html").read_bytes()
    listing = (fixtures / "section_aussenpolitik.html").read_bytes()
    base = "https://www.cicero.de"
    good = tmp_path / "warcs" / "a-other.warc.gz"
    good.parent.mkdir()
    _warc(good, [(f"{base}/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china", seed, 200),
                 (f"{base}/aussenpolitik", listing, 200), (f"{base}/gone", b"<html>gone</html>", 404)])
    damaged = tmp_path / "warcs" / "b-damaged.warc.gz"
    _warc(damaged, [(f"{base}/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china",
                     seed, 200)] * 2)
    damaged.write_bytes(damaged.read_bytes()[:-300])  # the second record cut off
    out = tmp_path / "out.jsonl"
    result = run("-m", "corpus.cli", "reprocess", "--no-progress", "--workers", "1", str(tmp_path / "warcs"),
                 "-o", str(out), data=tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    articles = [i for i in lines(out) if i["item_type"] == "article"]
    # the article page, twice (once from each file); the listing is judged no article; the 404 is not read
    assert [a["title"] for a in articles] == ["Neue Achse Russland-China-Nordkorea?"] * 2
    assert all(a["outlet"] == "cicero" and a["comment_count"] == 6 for a in articles)
    assert "not an article 1" in result.stdout and "errors: 1" in result.stdout
    assert "b-damaged.warc.gz: record" in result.stderr and "no longer matches its digest" in result.stderr


def test_reprocess_refuses_what_it_cannot_do(tmp_path):
    result = run("-m", "corpus.cli", "reprocess", str(tmp_path / "nothing"), data=tmp_path / "data")
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run("-m", "corpus.cli", "reprocess", str(tmp_path / "empty"), data=tmp_path / "data")
    assert result.returncode == 2 and "no WARC files" in result.stderr
    result = run("-m", "corpus.cli", "reprocess", str(tmp_path / "empty"), "--index", data=tmp_path / "data")
    assert result.returncode == 2 and "--index needs Elasticsearch" in result.stderr
    result = run("-m", "corpus.cli", "reprocess", "--outlets", "cicero,nowhere", data=tmp_path / "data")
    assert result.returncode == 2 and "no spider named nowhere" in result.stderr
