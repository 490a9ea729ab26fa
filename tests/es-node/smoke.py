"""End-to-end smoke check of the test node with the project's Python client.

    .venv/bin/python tests/es-node/smoke.py [http://127.0.0.1:9200]

Exits non-zero if a required feature fails; prints what the optional ones (painless,
reindex) do. Creates and deletes indices named es-node-smoke-*. The synonyms_path check
writes a rules file into the node's config directory ($ES_CONFIG, default es.sh's
/tmp/corpus-es-PORT/config) and is skipped when there is none.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

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


# The project's search-time synonyms: the German chain with synonym_graph right after lowercase; documents are
# indexed with the same chain without it.
SYNONYM_RULES = ["wladiwostok, vladivostok", "kim jong un, kim dschong un, kim jong-un"]
GERMAN_CHAIN = ["lowercase", "german_stop", "german_normalization", "german_minimal_stem"]
SYNONYM_ANALYSIS = {
    "filter": {
        **ANALYSIS["filter"],
        "german_synonyms": {"type": "synonym_graph", "synonyms": SYNONYM_RULES},
        "german_synonyms_old": {"type": "synonym", "synonyms": SYNONYM_RULES},
    },
    "analyzer": {
        "german_index": {"type": "custom", "tokenizer": "standard", "filter": GERMAN_CHAIN},
        "german_search": {"type": "custom", "tokenizer": "standard",
                          "filter": ["lowercase", "german_synonyms", *GERMAN_CHAIN[1:]]},
        "german_search_old": {"type": "custom", "tokenizer": "standard",
                              "filter": ["lowercase", "german_synonyms_old", *GERMAN_CHAIN[1:]]},
    },
}


def config_dir() -> Path | None:
    """The node's config directory (for synonyms_path): $ES_CONFIG, else es.sh's default state directory."""
    if os.environ.get("ES_CONFIG"):
        return Path(os.environ["ES_CONFIG"])
    port = urlparse(URL).port or 9200
    d = Path(f"/tmp/corpus-es-{port}/config")
    return d if d.is_dir() and os.access(d, os.W_OK) else None


def synonym_checks(es: Elasticsearch, check) -> None:
    idx = f"{P}-synonyms"
    es.indices.create(index=idx, settings={"number_of_shards": 1, "number_of_replicas": 0,
                                           "analysis": SYNONYM_ANALYSIS},
                      mappings={"properties": {"body": {"type": "text", "analyzer": "german_index",
                                                        "search_analyzer": "german_search",
                                                        "fields": {"old": {"type": "text", "analyzer": "german_index",
                                                                           "search_analyzer": "german_search_old"}}}}})
    es.index(index=idx, id="wladiwostok", document={"body": "Putin traf in Wladiwostok ein"})
    es.index(index=idx, id="kim", document={"body": "Kim Dschong Un testet Raketen"}, refresh="wait_for")

    def ids(field: str, q: str, **opts: str) -> list[str]:
        hits = es.search(index=idx, query={"match": {field: {"query": q, **opts}}})["hits"]["hits"]
        return sorted(h["_id"] for h in hits)

    for field in ("body", "body.old"):
        kind = "synonym_graph" if field == "body" else "synonym"
        check(f"{kind}: match {field}:Vladivostok finds 'Wladiwostok'", ids(field, "Vladivostok") == ["wladiwostok"],
              ids(field, "Vladivostok"))
        check(f"{kind}: match {field}:'Kim Jong-un' finds 'Kim Dschong Un' (multi-word)",
              ids(field, "Kim Jong-un") == ["kim"], ids(field, "Kim Jong-un"))
        check(f"{kind}: match {field}:'Kim Jong-un' operator:and finds 'Kim Dschong Un'",
              ids(field, "Kim Jong-un", operator="and") == ["kim"], ids(field, "Kim Jong-un", operator="and"))
        check(f"{kind}: match {field}:Pjöngjang finds nothing", ids(field, "Pjöngjang") == [], ids(field, "Pjöngjang"))
    check("synonym_graph: match_phrase body:'Kim Jong-un' finds 'Kim Dschong Un'",
          [h["_id"] for h in es.search(index=idx, query={"match_phrase": {"body": "Kim Jong-un"}})["hits"]["hits"]]
          == ["kim"])
    control = [ids("body", "Kim Jong-un", operator="and", analyzer="german_index"),
               ids("body", "Vladivostok", analyzer="german_index")]
    check("control: the same queries without synonyms find nothing", control == [[], []], control)
    toks = es.indices.analyze(index=idx, analyzer="german_search", text="Vladivostok")["tokens"]
    check("synonym_graph: _analyze Vladivostok gives both at position 0",
          sorted((t["token"], t["position"]) for t in toks) == [("vladivostok", 0), ("wladiwostok", 0)],
          [(t["token"], t["position"]) for t in toks])
    toks = es.indices.analyze(index=idx, analyzer="german_search", text="Kim Jong-un")["tokens"]
    check("synonym_graph: _analyze 'Kim Jong-un' has a multi-position path (positionLength)",
          "dschong" in [t["token"] for t in toks] and any(t.get("positionLength", 1) > 1 for t in toks),
          [(t["token"], t["position"], t.get("positionLength", 1)) for t in toks])

    # Rules are parsed with the chain before the filter: here german_stop removes "der", so the rule "der => the"
    # cannot be parsed. Without lenient the index is refused (400); with lenient the rule is skipped.
    def bad_index(name: str, lenient: bool | None):
        syn = {"type": "synonym_graph", "synonyms": ["der => the", "wladiwostok, vladivostok"]}
        if lenient is not None:
            syn["lenient"] = lenient
        return es.indices.create(index=f"{P}-{name}", settings={"analysis": {
            "filter": {"german_stop": ANALYSIS["filter"]["german_stop"], "syn": syn},
            "analyzer": {"a": {"type": "custom", "tokenizer": "standard",
                               "filter": ["lowercase", "german_stop", "syn"]}}}})

    try:
        bad_index("strict", None)
        check("synonym_graph: rule eliminated by the chain, lenient unset -> 400", False, "index was created")
    except ApiError as e:
        text = str(e.body)
        check("synonym_graph: rule eliminated by the chain, lenient unset -> 400",
              e.meta.status == 400 and "failed to build synonyms" in text and "der was completely eliminated" in text,
              f"{e.meta.status} {text[:200]}")
    try:
        bad_index("lenient", True)
        toks = [t["token"] for t in es.indices.analyze(index=f"{P}-lenient", analyzer="a",
                                                       text="der Vladivostok")["tokens"]]
        check("synonym_graph: lenient:true skips the bad rule, keeps the others",
              sorted(toks) == ["vladivostok", "wladiwostok"], toks)
    except ApiError as e:
        check("synonym_graph: lenient:true skips the bad rule, keeps the others", False, f"{e.meta.status} {e.body}")

    conf = config_dir()
    if conf is None:
        print("info synonyms_path: skipped (set ES_CONFIG to the node's config directory)")
        return
    rules = conf / "analysis" / "es-node-smoke-synonyms.txt"
    rules.parent.mkdir(exist_ok=True)
    rules.write_text("# comment\nwladiwostok, vladivostok\n", encoding="utf-8")
    rules.chmod(0o644)
    try:
        es.indices.create(index=f"{P}-path", settings={"analysis": {
            "filter": {"syn": {"type": "synonym_graph", "synonyms_path": "analysis/es-node-smoke-synonyms.txt"}},
            "analyzer": {"a": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "syn"]}}}})
        toks = [t["token"] for t in es.indices.analyze(index=f"{P}-path", analyzer="a", text="Vladivostok")["tokens"]]
        check("synonym_graph: synonyms_path (relative to the config dir)",
              sorted(toks) == ["vladivostok", "wladiwostok"], toks)
    finally:
        rules.unlink()


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

    synonym_checks(es, check)

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
