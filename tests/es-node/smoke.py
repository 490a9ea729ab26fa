"""End-to-end smoke check of the test node with the project's Python client.

    .venv/bin/python tests/es-node/smoke.py [http://127.0.0.1:9200]

Exits non-zero if a required feature fails; prints what the optional ones (painless,
reindex) do. Creates and deletes indices named es-node-smoke-*.
"""

from __future__ import annotations

import sys
import time

from elasticsearch import ApiError, Elasticsearch, helpers

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200"
P = "es-node-smoke"
ANALYSIS = {
    "filter": {
        "german_stop": {"type": "stop", "stopwords": "_german_"},
        "german_light_stem": {"type": "stemmer", "language": "light_german"},
        "german_minimal_stem": {"type": "stemmer", "language": "minimal_german"},
    },
    "analyzer": {
        "german": {"type": "custom", "tokenizer": "standard",
                   "filter": ["lowercase", "german_stop", "german_normalization", "german_light_stem"]},
        "german_minimal": {"type": "custom", "tokenizer": "standard",
                           "filter": ["lowercase", "german_stop", "german_normalization", "german_minimal_stem"]},
    },
    "normalizer": {"lowercase": {"type": "custom", "filter": ["lowercase"]}},
}


def main() -> int:
    es = Elasticsearch(URL, request_timeout=30)
    failures: list[str] = []
    passed: list[str] = []

    def check(name: str, ok: bool, detail: object = "") -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        (passed if ok else failures).append(name)

    info = es.info()
    check("info", info["version"]["number"].startswith("8."), info["version"]["number"])
    health = es.cluster.health(wait_for_status="yellow", timeout="30s")
    check("cluster.health", health["status"] in ("yellow", "green"), health["status"])

    es.indices.delete(index=f"{P}-*", ignore_unavailable=True, allow_no_indices=True)
    es.indices.put_index_template(name=P, index_patterns=[f"{P}-*"], template={
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "analysis": ANALYSIS},
        "mappings": {"dynamic": "strict", "properties": {
            "body": {"type": "text", "analyzer": "german",
                     "fields": {"minimal": {"type": "text", "analyzer": "german_minimal"},
                                "builtin": {"type": "text", "analyzer": "german"}}},
            "tag": {"type": "keyword", "normalizer": "lowercase"},
            "n": {"type": "integer"}}}})
    es.indices.create(index=f"{P}-v1", aliases={P: {"is_write_index": True}})
    expected = {f"{P}-v1": {"aliases": {P: {"is_write_index": True}}}}
    check("indices.create with alias", es.indices.get_alias(name=P).body == expected)

    es.index(index=P, id="1", document={"body": "Nordkorea testet Raketen über dem Meer", "tag": "Korea"},
             refresh="wait_for", require_alias=True)

    def tokens(analyzer: str, text: str) -> list[str]:
        return [t["token"] for t in es.indices.analyze(index=f"{P}-v1", analyzer=analyzer, text=text)["tokens"]]

    text = "Nordkoreas Raketen über Pjöngjang, die Straße"
    light = tokens("german", text)
    check("analyzer german (lowercase, _german_ stop, german_normalization, light_german)",
          "uber" not in light and "über" not in light and "strass" in light and "pjongjang" in light, light)
    print("     minimal_german variant:", tokens("german_minimal", text))
    builtin = [t["token"] for t in es.indices.analyze(analyzer="german", text=text)["tokens"]]
    print("     built-in analyzer 'german' (no index):", builtin)

    hits = es.search(index=P, query={"match": {"body": "Raketen"}})["hits"]["total"]["value"]
    check("search body:Raketen", hits == 1, hits)
    for q in ("Nordkoreas", "nordkorea", "Rakete", "Meeres", "Südkorea"):
        light_n = es.count(index=P, query={"match": {"body": q}})["count"]
        minimal_n = es.count(index=P, query={"match": {"body.minimal": q}})["count"]
        print(f"     count {q!r}: light_german={light_n} minimal_german={minimal_n}")
    minimal = es.count(index=P, query={"match": {"body.minimal": "Nordkoreas"}})["count"]
    check("search body.minimal:Nordkoreas", minimal == 1)
    check("keyword normalizer lowercase", es.count(index=P, query={"term": {"tag": "KOREA"}})["count"] == 1)

    t0 = time.time()
    ok, errors = helpers.bulk(es, ({"_index": P, "_id": f"d{i}",
                                    "_source": {"body": f"Dokument {i} über Südkoreas Wirtschaft", "n": i}}
                                   for i in range(1000)), refresh="wait_for")
    check("helpers.bulk 1000 docs", ok == 1000 and not errors, f"{ok} in {time.time() - t0:.2f}s")
    check("count", es.count(index=P)["count"] == 1001, es.count(index=P)["count"])

    for name, call in [
        ("painless (scripted upsert)", lambda: es.update(index=P, id="new", scripted_upsert=True, upsert={},
                                                         script={"source": "ctx._source.n = 5", "lang": "painless"})),
        ("reindex", lambda: es.reindex(source={"index": P}, dest={"index": f"{P}-v2"}, wait_for_completion=True)),
    ]:
        try:
            print(f"info {name}: available ({call().body})")
        except ApiError as e:
            print(f"info {name}: NOT available ({e.meta.status} {str(e)[:120]})")

    es.indices.delete(index=f"{P}-*", ignore_unavailable=True, allow_no_indices=True)
    es.indices.delete_index_template(name=P)
    print(f"{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
