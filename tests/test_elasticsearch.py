"""Indexing against a real Elasticsearch node (ELASTICSEARCH_URL; `make test` starts one).

Every test works under its own alias prefix and removes its indices and
templates afterwards, so the suite can run against a shared node.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch, Elasticsearch

from corpus.search.config import EsConfig
from corpus.search.indexer import DeadLetter, Indexer
from corpus.search.setup import setup
from tests.conftest import free_port
from tests.mockserver import FixtureServer

pytestmark = pytest.mark.elasticsearch

ROOT = Path(__file__).parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CORPUS_ES_FLUSH_INTERVAL=0.5"]
SEED_PATH = "/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"


def config_for(url: str, prefix: str, **overrides) -> EsConfig:
    return EsConfig(hosts=[url], prefix=prefix, **overrides)


def crawl(url: str, prefix: str, server: FixtureServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ELASTICSEARCH_URL": url, "CORPUS_OUTPUT_DIR": str(tmp_path / "data"),
           "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "deadletter")}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}",
         "-s", f"CORPUS_ES_PREFIX={prefix}", *FAST, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


# a revisit window reaching back to the fixture articles (2023)
REVISIT_ALL = ("-s", "CORPUS_REVISIT_DAYS=100000")


def docs(es: Elasticsearch, index: str) -> dict[str, dict]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=1000, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_setup_is_idempotent(es_url, es, prefix):
    async def run() -> tuple[list[str], list[str]]:
        config = config_for(es_url, prefix)
        async with AsyncElasticsearch(**config.client_kwargs()) as client:
            return await setup(client, config), await setup(client, config)

    first, second = asyncio.run(run())
    assert len(first) == 10  # five templates, five indices with aliases
    assert second == []
    for kind in ("articles", "comments", "crawls", "articles-history", "offtopic"):
        assert es.indices.get_alias(name=f"{prefix}-{kind}") == {
            f"{prefix}-{kind}-v1": {"aliases": {f"{prefix}-{kind}": {"is_write_index": True}}}
        }


def test_german_analyzer_finds_inflected_forms(es_url, es, prefix):
    async def run() -> None:
        config = config_for(es_url, prefix)
        async with AsyncElasticsearch(**config.client_kwargs()) as client:
            await setup(client, config)

    asyncio.run(run())
    index = f"{prefix}-articles"
    tokens = [t["token"] for t in es.indices.analyze(index=index, analyzer="german",
                                                     text="Nordkoreas Raketen über Pjöngjang")["tokens"]]
    assert "uber" not in tokens  # "über" is a stop word
    es.index(index=index, id="x", document={"item_type": "article", "id": "x", "url": "https://x",
                                            "outlet": "t", "title": "Test",
                                            "body": "Nordkorea testet Raketen über dem Meer"},
             refresh="wait_for", require_alias=True)
    for query in ("Nordkoreas", "nordkorea", "Rakete", "Meeres"):
        assert es.count(index=index, query={"match": {"body": query}})["count"] == 1, query
    assert es.count(index=index, query={"match": {"body": "Südkorea"}})["count"] == 0


def test_strict_mapping_rejects_unknown_fields_into_dead_letter(es_url, es, prefix, tmp_path):
    async def run() -> Indexer:
        indexer = Indexer(config_for(es_url, prefix, chunk_size=10), DeadLetter(tmp_path / "dead.jsonl"))
        good = {"item_type": "article", "id": "good", "url": "https://x/good", "outlet": "t", "title": "Gut",
                "crawled_at": "2024-03-15T12:00:00+01:00", "content_hash": "1"}
        await indexer.add(good)
        await indexer.add({**good, "id": "typo", "titel": "Tippfehler"})
        await indexer.add({**good, "id": "badtype", "word_count": "viele"})
        await indexer.close()
        return indexer

    indexer = asyncio.run(run())
    assert indexer.indexed == 1 and indexer.failed == 2
    dead = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text("utf-8").splitlines()]
    assert [d["id"] for d in dead] == ["typo", "badtype"]
    assert "strict_dynamic_mapping" in dead[0]["_deadletter"]["reason"]
    assert "titel" in dead[0]["_deadletter"]["reason"]
    assert set(docs(es, f"{prefix}-articles")) == {"good"}


def test_crawling_twice_updates_instead_of_duplicating(es_url, es, prefix, tmp_path):
    seed_id = None
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        crawl(es_url, prefix, server, tmp_path)
        articles = docs(es, f"{prefix}-articles")
        comments = docs(es, f"{prefix}-comments")
        assert len(articles) == 3 and len(comments) == 11
        seed_id, seed = next((k, v) for k, v in articles.items() if v["canonical_url"].endswith(SEED_PATH))
        assert seed["version"] == 1 and seed["first_seen_at"] == seed["last_seen_at"]
        assert all(c["article_id"] in articles for c in comments.values())

        # the fixture articles are from 2023, outside the revisit window: a second crawl leaves them be
        before = len(server.requests)
        skipped = crawl(es_url, prefix, server, tmp_path)
        assert not any(p.startswith("/aussenpolitik/") for p in server.requests[before:])
        assert "'corpus/seen/skipped'" in skipped.stderr and "'corpus/seen/new'" not in skipped.stderr
        # with a window that reaches them, they are fetched again and updated in place
        crawl(es_url, prefix, server, tmp_path, *REVISIT_ALL)
        again = docs(es, f"{prefix}-articles")
        assert set(again) == set(articles)
        assert len(docs(es, f"{prefix}-comments")) == 11
        assert again[seed_id]["first_seen_at"] == seed["first_seen_at"]
        assert again[seed_id]["last_seen_at"] > seed["last_seen_at"]
        assert again[seed_id]["version"] == 1  # same content

    # the page changes: the document's version moves, nothing is added
    changed = (ROOT / "tests/fixtures/cicero/article_seed.html").read_text("utf-8").replace(
        "lässt Kim Jong-un gerade seine Koffer packen", "packt Kim Jong-un gerade seine Koffer")
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        body = changed.replace("https://www.cicero.de", server.base_url).encode()
        server.overrides[SEED_PATH] = (200, body, "text/html; charset=utf-8")
        crawl(es_url, prefix, server, tmp_path, *REVISIT_ALL)
    final = docs(es, f"{prefix}-articles")
    assert set(final) == set(articles)
    assert final[seed_id]["version"] == 2
    assert "packt Kim Jong-un" in final[seed_id]["body"]
    assert final[seed_id]["modified_at"] is not None
    assert final[seed_id]["first_seen_at"] == seed["first_seen_at"]
    assert all(v["version"] == 1 for k, v in final.items() if k != seed_id)
    # what the article said before is kept, once
    history = docs(es, f"{prefix}-articles-history")
    assert list(history) == [f"{seed_id}-v1"]
    old = history[f"{seed_id}-v1"]
    assert old["article_id"] == seed_id and old["version"] == 1 and old["title"] == seed["title"]
    assert "lässt Kim Jong-un gerade seine Koffer packen" in old["body"]
    assert old["superseded_at"] == final[seed_id]["last_seen_at"]
    assert len(docs(es, f"{prefix}-comments")) == 11  # revisits add no duplicate comments
    # every run is on record
    runs = sorted(docs(es, f"{prefix}-crawls").values(), key=lambda r: r["start"])
    # the first crawl also indexes the light record of the article out of scope, which later crawls of the
    # same scope do not fetch again
    assert [r["items_indexed"] for r in runs] == [15, 0, 14, 14] and not any(r["failed"] for r in runs)


def test_index_command_reads_crawl_output(es_url, es, prefix, tmp_path):
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        out = tmp_path / "out.jsonl"
        env = {**os.environ, "CORPUS_OUTPUT_DIR": str(tmp_path / "data")}
        env.pop("ELASTICSEARCH_URL", None)
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}",
             "-O", str(out), *FAST], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    env = {**os.environ, "ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix,
           "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "dead")}
    for _ in range(2):  # twice: the second run updates, it does not duplicate
        result = subprocess.run([sys.executable, "-m", "corpus.cli", "index", str(out)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("14 indexed")
    assert len(docs(es, f"{prefix}-articles")) == 3
    assert len(docs(es, f"{prefix}-comments")) == 11


def _es_sh(command: str, port: int, state: Path) -> None:
    env = {**os.environ, "ES_PORT": str(port), "ES_STATE": str(state), "ES_HEAP": "256m"}
    subprocess.run([str(ROOT / "tests/es-node/es.sh"), command], env=env, check=True, timeout=300,
                   capture_output=True, text=True)


@pytest.mark.skipif(os.environ.get("CORPUS_TEST_OUTAGE", "1") == "0", reason="CORPUS_TEST_OUTAGE=0")
def test_outage_mid_crawl_loses_nothing(es_url, tmp_path):
    """A second, private node is stopped while a crawl indexes into it and started again.

    Two article pages are held by the server until the outage reaches its next phase, so the test
    does not depend on how long the node takes to stop and start: one article's items reach the
    stopped node, the other's the restarted one. At the end every item is in the index or in the
    dead-letter file; `corpus index` on that file completes the index without duplicates.
    """
    import threading

    port = free_port()
    state = Path("/tmp") / f"corpus-es-outage-{port}"
    url = f"http://127.0.0.1:{port}"
    _es_sh("up", port, state)
    client = Elasticsearch(url, request_timeout=30)
    prefix = "outage"
    stopped, back = threading.Event(), threading.Event()
    # the seed article goes through at once (its documents tell the test the crawl is indexing); of the
    # two other articles in scope, the first asked for waits for the outage, the second for the node's
    # return. Their comment page is not held, and two requests at a time let it pass a held article.
    gates = [stopped]

    def hold() -> None:
        gate = gates.pop(0) if gates else back
        assert gate.wait(240), "the outage did not reach its next phase"

    try:
        held = {"/aussenpolitik/suedkorea-china-seoul-peking-annaeherung?": 0.0,
                "/aussenpolitik/suedkorea-china-seoul-peking-annaeherung": hold,
                "/aussenpolitik/russland-china-gasleitung-kreml-peking": hold}
        with FixtureServer("cicero", "https://www.cicero.de", delays=held) as server:
            env = {**os.environ, "ELASTICSEARCH_URL": url, "CORPUS_OUTPUT_DIR": str(tmp_path / "data"),
                   "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "dead")}
            args = [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}",
                    "-O", str(tmp_path / "out.jsonl"), "-s", f"CORPUS_ES_PREFIX={prefix}",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=300",
                    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "CORPUS_ES_CHUNK_SIZE=1",
                    "-s", "CORPUS_ES_FLUSH_INTERVAL=0.2", "-s", "CORPUS_ES_MAX_RETRIES=1",
                    "-s", "CORPUS_ES_RETRY_BACKOFF=0.2", "-s", "CORPUS_ES_OUTAGE_PAUSE=2",
                    "-s", "CORPUS_ES_TIMEOUT=5"]
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)

            before_stop: list[int] = []

            def outage() -> None:
                try:
                    # stop the node once the seed article's documents are in ...
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline and not before_stop:
                        try:
                            count = client.count(index=f"{prefix}-articles,{prefix}-comments")["count"]
                            if count > 0:
                                before_stop.append(count)
                        except Exception:
                            pass
                        time.sleep(0.3)
                    print(f"{time.strftime('%H:%M:%S')} stopping the node")
                    _es_sh("stop", port, state)
                    stopped.set()  # ... let a page through while it is down ...
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline and not list((tmp_path / "dead").rglob("*.jsonl")):
                        time.sleep(0.3)
                    print(f"{time.strftime('%H:%M:%S')} dead-letter written; starting the node again")
                    _es_sh("up", port, state)
                    print(f"{time.strftime('%H:%M:%S')} node is back")
                finally:
                    stopped.set()
                    back.set()  # ... and the rest once it is back (or whatever happened, so the crawl ends)

            thread = threading.Thread(target=outage)
            thread.start()
            _, stderr = process.communicate(timeout=600)
            thread.join(timeout=300)
        assert process.returncode == 0, stderr[-4000:]
        assert "dead-letter" in stderr  # the outage was noticed and reported
        print("\n".join(line for line in stderr.splitlines() if "Elasticsearch" in line or "corpus/es/" in line))

        scraped = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
        all_ids = {i["id"] for i in scraped}
        assert len(all_ids) == 14
        dead_files = list((tmp_path / "dead").rglob("*.jsonl"))
        dead_ids = {json.loads(line)["id"] for f in dead_files for line in f.read_text("utf-8").splitlines()}
        client.indices.refresh(index=f"{prefix}-articles,{prefix}-comments")
        indexed = {h["_id"] for h in client.search(index=f"{prefix}-articles,{prefix}-comments", size=100,
                                                   query={"match_all": {}})["hits"]["hits"]}
        assert dead_ids, "the outage sent nothing to the dead-letter file"
        assert all_ids == indexed | dead_ids  # nothing lost
        assert before_stop and len(indexed) > before_stop[0]  # indexing resumed after the restart

        result = subprocess.run([sys.executable, "-m", "corpus.cli", "index", str(dead_files[0])],
                                env={**env, "CORPUS_ES_PREFIX": prefix}, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        client.indices.refresh(index=f"{prefix}-articles,{prefix}-comments")
        assert client.count(index=f"{prefix}-articles")["count"] == 3  # nothing duplicated
        assert client.count(index=f"{prefix}-comments")["count"] == 11
    finally:
        client.close()
        _es_sh("down", port, state)


def test_es_commands_setup_and_status(es_url, prefix):
    env = {**os.environ, "ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix}

    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "corpus.cli", *args], env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = run("es", "setup")
    assert f"created index {prefix}-articles-v1 (alias {prefix}-articles)" in first
    assert run("es", "setup").startswith("nothing to change")
    status = run("es", "status")
    assert re.match(r"cluster \S+: (green|yellow)\n", status)
    assert f"{prefix}-comments" in status and f"-> {prefix}-comments-v1" in status


def test_es_commands_without_address_fail_clearly():
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    result = subprocess.run([sys.executable, "-m", "corpus.cli", "es", "status"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "set ELASTICSEARCH_URL" in result.stderr and "Traceback" not in result.stderr


def test_incremental_second_crawl_against_elasticsearch(es_url, es, prefix, tmp_path):
    from tests import incremental_site as site

    with FixtureServer("cicero", "https://www.cicero.de") as server:
        site.before(server)
        crawl(es_url, prefix, server, tmp_path)
        articles = docs(es, f"{prefix}-articles")
        assert len(articles) == 3 and len(docs(es, f"{prefix}-comments")) == 11
        site.after(server)
        start = len(server.requests)
        second = crawl(es_url, prefix, server, tmp_path)
        fetched = {p.split("#")[0] for p in server.requests[start:] if p.startswith("/aussenpolitik/")}
    # the seen check asked Elasticsearch: only the article inside the window and the new one were fetched
    assert fetched == {site.KOREA_PATH, f"{site.KOREA_PATH}?page=1", site.NEW_PATH}
    assert "'corpus/seen/new': 1" in second.stderr and "'corpus/seen/revisit'" in second.stderr
    final = docs(es, f"{prefix}-articles")
    assert len(final) == 4 and set(articles) < set(final)  # one new article, no duplicate
    korea_id = next(k for k, v in final.items() if v["canonical_url"].endswith(site.KOREA_PATH))
    assert final[korea_id]["version"] == 2 and final[korea_id]["modified_at"]
    assert all(v["version"] == 1 for k, v in final.items() if k != korea_id)
    history = docs(es, f"{prefix}-articles-history")
    assert list(history) == [f"{korea_id}-v1"] and "Nach Jahren der Verstimmung" in history[f"{korea_id}-v1"]["teaser"]
    comments = docs(es, f"{prefix}-comments")
    assert len(comments) == 12 and f"cicero-{site.NEW_COMMENT_ID}" in comments  # one new, none twice


def test_scheduled_run_is_recorded_in_corpus_crawls(es_url, es, prefix, tmp_path):
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        schedule = tmp_path / "s.toml"
        schedule.write_text(f'[jobs.cicero-recent]\nspider = "cicero"\ncron = "0 */3 * * *"\n'
                            f'args = {{ base_url = "{server.base_url}" }}\n'
                            f'settings = {{ DOWNLOAD_DELAY = "0", AUTOTHROTTLE_ENABLED = "False" }}\n')
        env = {**os.environ, "ELASTICSEARCH_URL": es_url, "CORPUS_ES_PREFIX": prefix,
               "CORPUS_OUTPUT_DIR": str(tmp_path / "data")}
        result = subprocess.run(
            [sys.executable, "-m", "corpus.cli", "schedule", "--once", "--file", str(schedule),
             "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = docs(es, f"{prefix}-crawls").values()
    assert record["job"] == "cicero-recent" and record["status"] == "ok" and record["exit_code"] == 0
    assert record["items_indexed"] == 15 and record["items_scraped"] == 15 and record["log_file"].endswith(".log")
    assert record["scheduled_for"] and record["start"] <= record["end"]
    assert record["mode"] == "recent" and record["degraded"] is False
    assert record["health"]["articles"] == record["health"]["fetched"] > 0  # the outlet's health is stored
    assert {s["kind"] for s in record["health"]["sources"]} == {"feed", "listing"}
    assert not (tmp_path / "data" / "crawls.jsonl").exists()  # one record, in Elasticsearch only


def _kibana_request(vis_state: dict) -> dict:
    """The aggregations Kibana sends for an aggregation-based visualization: buckets nested in order, metrics inside."""
    metrics = {a["id"]: {a["type"]: {"field": a["params"]["field"]}}
               for a in vis_state["aggs"] if a["schema"] == "metric" and a["type"] != "count"}
    counts = {a["id"] for a in vis_state["aggs"] if a["type"] == "count"}
    tree: dict = metrics
    for agg in reversed([a for a in vis_state["aggs"] if a["schema"] != "metric"]):
        params = agg["params"]
        if agg["type"] == "date_histogram":
            body: dict = {"date_histogram": {"field": params["field"], "min_doc_count": params["min_doc_count"],
                                             "calendar_interval": {"w": "1w", "d": "1d"}[params["interval"]]}}
        else:
            order = "_count" if params["orderBy"] in counts else params["orderBy"]
            body = {"terms": {"field": params["field"], "size": params["size"], "order": {order: params["order"]}}}
        tree = {agg["id"]: {**body, "aggs": tree} if tree else body}
    return tree


def test_kibana_saved_object_queries_run_against_the_indices(es_url, es, prefix, tmp_path):
    """Every saved search's query and every visualization's query and aggregations, on a crawl's indices."""
    from datetime import datetime

    from itemadapter import ItemAdapter

    from corpus.items import Comment
    from corpus.kibana import saved_objects
    from corpus.kibana.objects import ACTORS
    from corpus.normalize.dates import BERLIN
    from corpus.search.documents import to_document
    from pipelines.dates import DatesPipeline
    from tests.conftest import make_spider

    with FixtureServer("cicero", "https://www.cicero.de") as server:
        result = crawl(es_url, prefix, server, tmp_path)
    assert "'corpus/es/indexed': 15" in result.stderr, result.stderr[-3000:]
    # one story of two near-duplicate agency copies naming every main actor, in a week no fixture article is
    # in; not in scope and without pairs, so the other searches pass them by
    for number in (1, 2):
        es.index(index=f"{prefix}-articles", id=f"kibana-{number}", document={
            "item_type": "article", "id": f"kibana-{number}", "outlet": "kibana-test", "title": "Agenturmeldung",
            "published_at": f"2019-06-1{number}T10:00:00+02:00", "in_scope": False, "countries": ["KP"],
            "agencies": ["dpa"], "story_id": "kibana-1", "wire_copy": True,
            **({"duplicate_of": "kibana-1", "similarity": 0.93} if number == 2 else {}),
            "entities": {"person": list(ACTORS), "place": ["Pjöngjang"], "org": ["Vereinte Nationen"]}})
    # a comment whose page gave no date, fetched today, through the dates pipeline as a crawl does it
    undated = Comment(id="kibana-undated", article_id="kibana-1", article_url="https://kibana.test/a", outlet="cicero",
                      text="Ohne Datum.", article_countries=["CN"],
                      crawled_at=datetime.now(BERLIN).isoformat(timespec="seconds"))
    DatesPipeline(make_spider().crawler).process_item(undated)
    assert undated.published_at is None and undated.date == undated.crawled_at
    es.index(index=f"{prefix}-comments", id=undated.id, document=to_document(ItemAdapter(undated).asdict()))
    counts = {}
    results = {}
    for obj in saved_objects(prefix):
        if obj["type"] not in ("search", "visualization"):
            continue
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        index = obj["references"][0]["id"]  # the data view's id is its alias
        es.indices.refresh(index=index)
        text = source["query"]["query"]
        query = {"query_string": {"query": text, "analyze_wildcard": True}} if text else {"match_all": {}}
        if obj["type"] == "search":
            counts[obj["attributes"]["title"]] = es.count(index=index, query=query)["count"]
        else:
            aggs = _kibana_request(json.loads(obj["attributes"]["visState"]))
            results[obj["id"].removeprefix(f"{prefix}-vis-")] = es.search(
                index=index, size=0, query=query, aggs=aggs or None)
    actors = {f"Person: {name}": counts.pop(f"Person: {name}") for name in ACTORS}
    assert counts == {
        "Nordkorea–Russland": 1,  # the seed article (Kim meets Putin)
        "China–Russland": 2,  # the seed and the gas pipeline article
        "Korea und China": 2,  # the seed and Seoul's approach to Beijing
        "Cicero Plus (paywalled)": 1,
        "Wire copy (agency copy and its near-duplicates)": 2,  # the two agency copies
        "Latest in-scope headlines": 3,
        "Comments on Korea articles": 11,  # every comment sits under a Korea article
        "Degraded runs": 0,  # the crawl's own record: its first run, nothing to fall from
    }
    # the name matches as a whole (a keyword): what a term query finds, and the two copies at least
    for name in ACTORS:
        term = es.count(index=f"{prefix}-articles", query={"term": {"entities.person": name}})["count"]
        assert actors[f"Person: {name}"] == term >= 2, name
    assert len(results) == 19  # every visualization ran

    # a story counts once however many copies it has
    (week,) = [b for b in results["stories-by-country"]["aggregations"]["2"]["buckets"]
               if b["key_as_string"].startswith("2019-06-10")]
    assert [(b["key"], b["doc_count"], b["1"]["value"]) for b in week["3"]["buckets"]] == [("KP", 2, 1)]
    (test_outlet,) = [b for b in results["wire-share"]["aggregations"]["2"]["buckets"] if b["key"] == "kibana-test"]
    assert [(b["key_as_string"], b["doc_count"]) for b in test_outlet["3"]["buckets"]] == [("true", 2)]
    people = {b["key"]: b["doc_count"] for b in results["top-people"]["aggregations"]["2"]["buckets"]}
    assert all(people[name] >= 2 for name in ACTORS)
    assert {b["key"] for b in results["top-places"]["aggregations"]["2"]["buckets"]} >= {"Pjöngjang"}
    assert {b["key"] for b in results["top-organisations"]["aggregations"]["2"]["buckets"]} >= {"Vereinte Nationen"}

    # "Crawl runs per day by status": the crawl's own record (a plain `scrapy crawl`, no scheduler) is in it
    (record,) = docs(es, f"{prefix}-crawls").values()
    assert record["status"] == "ok" and "job" not in record
    statuses: dict[str, int] = {}
    for day in results["runs"]["aggregations"]["2"]["buckets"]:
        for bucket in day["3"]["buckets"]:
            statuses[bucket["key"]] = statuses.get(bucket["key"], 0) + bucket["doc_count"]
    assert statuses == {"ok": 1}
    assert results["failures"]["hits"]["total"]["value"] == 0

    # comments: every one has a date, and the one without published_at is in the comments data view's
    # time range (the dashboards' last 90 days) and in "Comment volume over time"
    comments = docs(es, f"{prefix}-comments")
    assert len(comments) == 12
    assert all(c["date"] == (c.get("published_at") or c["crawled_at"]) for c in comments.values())
    # the fixtures' dated comments are from 2023; one of them shows no date, as does the one added here
    undated_ids = {k for k, c in comments.items() if c.get("published_at") is None}
    assert len(undated_ids) == 2 and "kibana-undated" in undated_ids
    (view,) = [o for o in saved_objects(prefix) if o["id"] == f"{prefix}-comments"]
    time_field = view["attributes"]["timeFieldName"]
    in_range = es.search(index=f"{prefix}-comments", size=100, query={
        "range": {time_field: {"gte": "now-90d", "lte": "now"}}})["hits"]["hits"]
    assert {h["_id"] for h in in_range} == undated_ids
    gone = es.count(index=f"{prefix}-comments", query={"range": {"published_at": {"gte": "now-90d"}}})["count"]
    assert gone == 0  # what a published_at time field showed of them: nothing
    days = results["comments"]["aggregations"]["2"]["buckets"]
    assert sum(b["doc_count"] for b in days) == 12  # every comment is on the chart
    two_days_ago = (time.time() - 2 * 86400) * 1000
    assert sum(b["doc_count"] for b in days if b["key"] >= two_days_ago) == 2  # the two without a date: today


def test_slow_bulk_requests_are_retried_with_back_off(es_url, es, prefix, tmp_path):
    from tests.esproxy import EsProxy

    # the first two bulk requests wait longer than the client's timeout
    with EsProxy(es_url, on_bulk=lambda n, body: 3.0 if n <= 2 else None) as proxy, \
            FixtureServer("cicero", "https://www.cicero.de") as server:
        result = crawl(proxy.url, prefix, server, tmp_path, "-s", "CORPUS_ES_TIMEOUT=1",
                       "-s", "CORPUS_ES_RETRY_BACKOFF=0.5", "-s", "CORPUS_ES_MAX_RETRIES=4")
    assert proxy.bulk_calls >= 3  # two timed out, then one went through
    assert "Elasticsearch: retry 1 in" in result.stderr and "ConnectionTimeout" in result.stderr
    assert "'corpus/es/indexed': 15" in result.stderr
    assert len(docs(es, f"{prefix}-articles")) == 3 and len(docs(es, f"{prefix}-comments")) == 11  # once each
    assert not list((tmp_path / "deadletter").rglob("*.jsonl"))


def gensite_crawl(es: str, prefix: str, site, tmp_path: Path, *args: str,
                  timeout: int = 300) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """`scrapy crawl gensite-comments` of the generated site into ``es``; returns the run, output, dead-letter dir."""
    out, dead = tmp_path / "out.jsonl", tmp_path / "dead"
    env = {**os.environ, "ELASTICSEARCH_URL": es, "CORPUS_OUTPUT_DIR": str(tmp_path / "data"),
           "CORPUS_ES_DEADLETTER_DIR": str(dead)}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "gensite-comments", "-a", f"base_url={site.base_url}",
         "-a", "mode=backfill", "-a", "scope=all", "-a", "incremental=false", "-O", str(out),
         "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False", "-s", f"CORPUS_ES_PREFIX={prefix}",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
         *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result, out, dead


def stores(es: Elasticsearch, prefix: str, dead: Path) -> tuple[list[str], list[str]]:
    """Ids in the index and ids in the dead-letter files (each with repeats, to catch doubles)."""
    es.indices.refresh(index=f"{prefix}-articles,{prefix}-comments")
    indexed = [h["_id"] for h in es.search(index=f"{prefix}-articles,{prefix}-comments", size=10_000,
                                           query={"match_all": {}})["hits"]["hits"]]
    records = [json.loads(line) for f in dead.rglob("*.jsonl") for line in f.read_text("utf-8").splitlines()]
    dead_ids = [r["id"] for r in records if r.get("item_type") != "story_update"]  # updates are not items
    return indexed, dead_ids


def test_a_crawl_ending_while_a_slow_flush_writes_loses_nothing(es_url, es, prefix, tmp_path):
    """Every bulk request is held; the periodic flush (every second) is inside one when the crawl ends.

    The first bulk request is held until the site has served every article and two seconds more, so
    the crawl closes while that write is in flight; later ones take 1-3 s. The close must wait for the
    write, flush the rest, and dead-letter only what could not be sent: index ∪ dead-letter = the
    JSON Lines output, exactly.
    """
    import random

    from tests.esproxy import EsProxy
    from tests.gensite import GeneratedSite

    rng = random.Random(15)
    site = GeneratedSite(100, comments=2)

    def hold(number: int, body: bytes) -> float:
        if number > 1:
            return rng.uniform(1, 3)
        deadline = time.monotonic() + 120
        while sum(site.article_fetches().values()) < site.pages and time.monotonic() < deadline:
            time.sleep(0.05)
        return 2.0

    with EsProxy(es_url, on_bulk=hold) as proxy, site:
        result, out, dead = gensite_crawl(proxy.url, prefix, site, tmp_path, "-s", "CORPUS_ES_FLUSH_INTERVAL=1",
                                          "-s", "CORPUS_ES_TIMEOUT=10")
    written = [i["id"] for i in read_lines(out)]
    assert len(written) == 300 == len(set(written))
    indexed, dead_ids = stores(es, prefix, dead)
    assert proxy.bulk_calls >= 2
    assert len(indexed) == len(set(indexed)) and not set(indexed) & set(dead_ids)
    assert sorted(indexed + dead_ids) == sorted(written), result.stderr[-3000:]


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_a_write_cancelled_in_flight_goes_to_the_dead_letter_file(es_url, prefix, tmp_path):
    """A forced stop that cancels a bulk request in flight: the batch has left the buffer, so it is dead-lettered."""
    from tests.esproxy import EsProxy

    async def run() -> Indexer:
        with EsProxy(es_url, on_bulk=lambda n, body: 5.0) as proxy:
            indexer = Indexer(config_for(proxy.url, prefix, chunk_size=3), DeadLetter(tmp_path / "dead.jsonl"))
            for n in range(3):  # a full buffer: written in the background
                await indexer.add({"item_type": "article", "id": f"a{n}", "url": f"https://x/{n}", "outlet": "t",
                                   "title": "T", "crawled_at": "2024-03-15T12:00:00+01:00"})
            await asyncio.sleep(1)
            assert indexer._inflight is not None and not indexer._inflight.done()
            indexer._inflight.cancel()
            with pytest.raises(asyncio.CancelledError):
                await indexer._inflight
            indexer.deadletter.close()
            await indexer.client.close()
            return indexer

    indexer = asyncio.run(run())
    dead = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text("utf-8").splitlines()]
    assert [d["id"] for d in dead] == ["a0", "a1", "a2"] and indexer.deadletter.count == 3
    assert "interrupted" in dead[0]["_deadletter"]["reason"]


def _article(n: int | str, **extra) -> dict:
    return {"item_type": "article", "id": f"a{n}", "url": f"https://x/{n}", "outlet": "t", "title": f"T {n}",
            "crawled_at": "2024-03-15T12:00:00+01:00", "content_hash": str(n), **extra}


def _index_all(url: str, prefix: str, items: list[dict], dead: Path, **config) -> Indexer:
    async def run() -> Indexer:
        indexer = Indexer(config_for(url, prefix, **config), DeadLetter(dead))
        for item in items:
            await indexer.add(item)
        await indexer.close()
        return indexer

    return asyncio.run(run())


def test_an_id_over_the_512_byte_limit_does_not_poison_its_batch(es_url, es, prefix, tmp_path):
    """Elasticsearch refuses a whole bulk request with one id over 512 bytes; the indexer bounds such ids
    the way the spiders do (hashed), so the batch goes through and a replayed old file agrees with new crawls."""
    from corpus.normalize.urls import bounded_id

    long_id = "cicero-" + "9" * 600
    items = [_article(n) for n in range(19)] + [{**_article("x"), "id": long_id}]
    indexer = _index_all(es_url, prefix, items, tmp_path / "dead.jsonl", chunk_size=500)
    assert indexer.indexed == 20 and indexer.deadletter.count == 0
    stored = docs(es, f"{prefix}-articles")
    assert bounded_id(long_id) in stored and len(bounded_id(long_id).encode()) <= 200
    assert bounded_id(long_id).startswith("cicero-h") and bounded_id("cicero-123") == "cicero-123"


def test_a_refused_bulk_request_is_split_until_the_bad_item_is_alone(es_url, es, prefix, tmp_path):
    """A whole request answered 400 (here: every request carrying one poisoned document) is split in halves
    until the item it cannot take is alone; that one is dead-lettered with the reason, the rest indexed."""
    from tests.esproxy import EsProxy

    def refuse_poison(number: int, body: bytes) -> tuple[str, int] | None:
        return ("status", 400) if b"POISON" in body else None

    items = [_article(n) for n in range(19)]
    items.insert(7, _article("p", title="POISON"))
    with EsProxy(es_url, on_bulk=refuse_poison) as proxy:
        indexer = _index_all(proxy.url, prefix, items, tmp_path / "dead.jsonl", chunk_size=500)
    assert indexer.indexed == 19 and indexer.deadletter.count == 1
    (dead,) = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text("utf-8").splitlines()]
    assert dead["id"] == "ap" and "HTTP 400" in dead["_deadletter"]["reason"]
    assert proxy.refused == 5  # requests of 20, 10, 5, 3 and 1 items: one refusal per halving
    assert len(docs(es, f"{prefix}-articles")) == 19


def test_batches_are_sized_by_bytes_and_a_413_splits_them(es_url, es, prefix, tmp_path):
    """15 articles of 400 kB behind a node that refuses bodies over 1 MB with 413 (http.max_content_length)."""
    from tests.esproxy import EsProxy

    items = [_article(n, body=f"Absatz {n}. " * 40_000) for n in range(15)]  # about 400 kB each
    too_long = lambda number, body: ("status", 413) if len(body) > 1_000_000 else None  # noqa: E731
    # sized by bytes: no request is too large
    with EsProxy(es_url, on_bulk=too_long) as proxy:
        indexer = _index_all(proxy.url, prefix, items, tmp_path / "dead1.jsonl", chunk_size=500,
                             chunk_bytes=900_000)
    assert indexer.indexed == 15 and indexer.deadletter.count == 0 and proxy.refused == 0
    assert proxy.forwarded_bulks >= 8
    # sized by count only: the 413 splits the request until each part is accepted
    with EsProxy(es_url, on_bulk=too_long) as proxy:
        indexer = _index_all(proxy.url, prefix, items, tmp_path / "dead2.jsonl", chunk_size=500,
                             chunk_bytes=100_000_000)
    assert indexer.indexed == 15 and indexer.deadletter.count == 0 and proxy.refused > 0
    assert len(docs(es, f"{prefix}-articles")) == 15


def test_a_write_block_is_waited_out_not_taken_for_bad_credentials(es_url, es, prefix, tmp_path, caplog):
    """An index write block answers 403 per item (cluster_block_exception): that is not an authorisation
    problem. The blocked batch is retried, then dead-lettered; once the block is lifted, indexing goes on."""
    async def run() -> Indexer:
        indexer = Indexer(config_for(es_url, prefix, chunk_size=100, max_retries=2, retry_backoff=0.1,
                                     outage_pause=0.5), DeadLetter(tmp_path / "dead.jsonl"))
        await indexer.add(_article("first"))
        await indexer.flush()  # creates the indices
        es.indices.put_settings(index=f"{prefix}-articles", settings={"index.blocks.write": True})
        for n in range(10):
            await indexer.add(_article(f"blocked{n}"))
        await indexer.flush()
        es.indices.put_settings(index=f"{prefix}-articles", settings={"index.blocks.write": False})
        await asyncio.sleep(0.6)  # the pause after a failed batch
        for n in range(10):
            await indexer.add(_article(f"after{n}"))
        await indexer.close()
        return indexer

    indexer = asyncio.run(run())
    assert indexer.auth_error is None
    assert "credentials" not in caplog.text and "write block" in caplog.text
    dead = [json.loads(line)["id"] for line in (tmp_path / "dead.jsonl").read_text("utf-8").splitlines()]
    assert sorted(dead) == sorted(f"ablocked{n}" for n in range(10))
    assert set(docs(es, f"{prefix}-articles")) == {"afirst", *(f"aafter{n}" for n in range(10))}


@pytest.mark.parametrize(("status", "error", "says"), [
    (401, "security_exception", "refused the credentials (HTTP 401)"),
    (403, "security_exception", "is not allowed to write (HTTP 403"),
])
def test_authentication_and_authorisation_are_told_apart(es_url, prefix, tmp_path, caplog, status, error, says):
    from tests.esproxy import EsProxy

    async def run() -> Indexer:
        with EsProxy(es_url, on_bulk=lambda n, body: ("status", status)) as proxy:
            indexer = Indexer(config_for(proxy.url, prefix, chunk_size=5), DeadLetter(tmp_path / "dead.jsonl"))
            for n in range(12):
                await indexer.add(_article(n))
            await indexer.close()
        return indexer

    import tests.esproxy as esproxy

    original = dict(esproxy._REASONS)
    esproxy._REASONS[status] = error
    try:
        indexer = asyncio.run(run())
    finally:
        esproxy._REASONS.clear()
        esproxy._REASONS.update(original)
    assert says in indexer.auth_error and says in caplog.text
    assert indexer.deadletter.count == 12  # indexing stopped; every item waits in the dead-letter file


def test_setups_racing_on_a_fresh_index_all_succeed(es_url, es, prefix):
    """Two crawls starting together both find no index and both create it; the loser must not fail."""
    async def run() -> list:
        config = config_for(es_url, prefix)
        clients = [AsyncElasticsearch(**config.client_kwargs()) for _ in range(4)]
        try:
            return await asyncio.gather(*(setup(c, config) for c in clients), return_exceptions=True)
        finally:
            for client in clients:
                await client.close()

    results = asyncio.run(run())
    assert not [r for r in results if isinstance(r, BaseException)], results
    for kind in ("articles", "comments", "crawls", "articles-history"):
        assert es.indices.get_alias(name=f"{prefix}-{kind}") == {
            f"{prefix}-{kind}-v1": {"aliases": {f"{prefix}-{kind}": {"is_write_index": True}}}}


def test_two_crawls_started_together_write_their_own_files_and_lose_nothing(es_url, es, prefix, tmp_path):
    """Same spider, same second, same data directory, a fresh index: two output files, two dead-letter names,
    and every item of both in the index."""
    from tests.gensite import GeneratedSite

    env = {**os.environ, "ELASTICSEARCH_URL": es_url, "CORPUS_OUTPUT_DIR": str(tmp_path / "data"),
           "CORPUS_ES_DEADLETTER_DIR": str(tmp_path / "dead"), "CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    with GeneratedSite(30, comments=1) as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "gensite-comments", "-a", f"base_url={site.base_url}",
                   "-a", "mode=backfill", "-a", "scope=all", "-a", "incremental=false",
                   "-s", "SPIDER_MODULES=tests.redis_spiders", "-s", "ROBOTSTXT_OBEY=False",
                   "-s", f"CORPUS_ES_PREFIX={prefix}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
        logs = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    outputs = sorted((tmp_path / "data" / "gensite-comments").glob("*.jsonl"))
    assert len(outputs) == 2, outputs  # one file per crawl, never one shared
    for output in outputs:
        assert len(read_lines(output)) == 60
    assert not list((tmp_path / "dead").rglob("*.jsonl")), logs
    es.indices.refresh(index=f"{prefix}-articles,{prefix}-comments")
    assert es.count(index=f"{prefix}-articles")["count"] == 30 and es.count(index=f"{prefix}-comments")["count"] == 30


def test_an_older_record_never_moves_last_seen_back_nor_makes_a_version(es_url, es, prefix, tmp_path):
    """`corpus index` of an older file after a newer crawl: first_seen_at may move back, last_seen_at may not,
    and the stored (newer) text stays, version 1."""
    newer = _article("x", title="Neu", content_hash="h2", crawled_at="2024-05-02T10:00:00+02:00")
    older = _article("x", title="Alt", content_hash="h1", crawled_at="2024-05-01T10:00:00+02:00")
    same_older = _article("x", title="Neu", content_hash="h2", crawled_at="2024-04-30T10:00:00+02:00")
    for item in (newer, older, same_older):
        _index_all(es_url, prefix, [dict(item)], tmp_path / "dead.jsonl")
    stored = docs(es, f"{prefix}-articles")[_article("x")["id"]]
    assert stored["title"] == "Neu" and stored["version"] == 1 and stored.get("modified_at") is None
    assert stored["first_seen_at"] == "2024-04-30T10:00:00+02:00"
    assert stored["last_seen_at"] == "2024-05-02T10:00:00+02:00"
    history = es.options(ignore_status=404).count(index=f"{prefix}-articles-history")
    assert history.get("count", 0) == 0


def test_the_log_has_one_line_per_bulk_request_not_per_http_call(es_url, es, prefix, tmp_path):
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        result = crawl(es_url, prefix, server, tmp_path)
    bulks = int(re.search(r"'corpus/es/bulk_requests': (\d+)", result.stderr).group(1))
    assert len(re.findall(r"\[corpus\.search\.indexer\] INFO: Elasticsearch bulk: \d+ items", result.stderr)) == bulks
    assert "[elastic_transport.transport] INFO" not in result.stderr  # no line per HTTP call at INFO
