"""People, places and organisations: the data file, the matcher, the pipelines and the search synonyms."""

from __future__ import annotations

import asyncio
import io
import json
import re

import pytest

from corpus import cli
from corpus.items import Article, Comment
from corpus.runner import ItemRunner
from corpus.topics.entities import EntityMatcher, default_matcher, entities_data, load_entities, synonym_rules


def test_the_shipped_file_loads_and_every_entity_has_a_wikidata_id_of_its_own():
    entities = entities_data()
    kinds = {kind: sum(e.kind == kind for e in entities) for kind in ("person", "place", "org")}
    assert kinds["person"] >= 30 and kinds["place"] >= 30 and kinds["org"] >= 20, kinds
    ids = [e.wikidata for e in entities]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"Q[1-9]\d*", i) for i in ids)
    names = [e.name for e in entities]
    assert len(names) == len(set(names))
    # the ids that anchor the domain (checked on Wikidata)
    by_name = {e.name: e.wikidata for e in entities}
    assert (by_name["Kim Jong-un"], by_name["Nordkorea"], by_name["Südkorea"], by_name["Russland"]) == \
        ("Q56226", "Q423", "Q884", "Q159")


def test_spellings_inflections_and_whole_words():
    match = default_matcher().match
    found = match("Kim Dschong Uns Raketen und die nordkoreanischen Soldaten in der Oblast Kursk",
                  "Vladivostok empfängt Putins Delegation; Peking schweigt.")
    assert "Kim Jong-un" in found["person"] and "Wladimir Putin" in found["person"]
    assert {"Nordkorea", "Wladiwostok", "Peking"} <= set(found["place"])
    assert match("Ein Kiew-Besuch")["place"] == ["Kiew"]
    assert match("Die Kiewerin und der Chinakohl")["place"] == []  # not whole words
    assert match("Der Besuch von Xi Jin-ping")["person"] == ["Xi Jinping"]


def test_exact_aliases_keep_their_capitalisation():
    entities = load_entities('[[person]]\nname = "Xi Jinping"\nwikidata = "Q15031"\nexact = ["Xi"]\n')
    matcher = EntityMatcher(entities)
    assert matcher.match("Xi reiste nach Moskau")["person"] == ["Xi Jinping"]
    assert matcher.match("Papst Pius XI. und die Kurie")["person"] == []
    assert matcher.match("XI")["person"] == []


def test_a_bad_entities_file_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="wikidata must be an id"):
        load_entities('[[person]]\nname = "Kim Jong-un"\nwikidata = "56226"\n')
    with pytest.raises(ValueError, match="needs a name"):
        load_entities('[[place]]\nwikidata = "Q423"\n')
    with pytest.raises(ValueError, match="unknown tables"):
        load_entities('[[people]]\nname = "X"\nwikidata = "Q1"\n')
    with pytest.raises(ValueError, match="is a form of both"):
        EntityMatcher(load_entities('[[place]]\nname = "Korea"\nwikidata = "Q18097"\n'
                                    '[[place]]\nname = "Nordkorea"\nwikidata = "Q423"\naliases = ["Korea"]\n'))
    bad = tmp_path / "bad.toml"
    bad.write_text("[[person]\n", "utf-8")
    code = cli.main(["tag", "--title", "x", "--entities", str(bad)], stdout=io.StringIO())
    assert code == 2


def test_synonym_rules_come_from_the_same_file():
    rules = synonym_rules(entities_data())
    assert "wladiwostok, vladivostok" in rules
    kim = next(r for r in rules if r.startswith("kim jong-un,"))
    assert "kim dschong un" in kim.split(", ")
    assert all("," not in name for r in rules for name in r.split(", "))


def test_articles_and_comments_carry_their_entities():
    article = Article(id="a1", url="https://www.zeit.de/a1", outlet="zeit", title="Kim trifft Putin",
                      kicker="Wladiwostok", teaser="Kim Jong-un reist nach Russland.",
                      body="Der nordkoreanische Machthaber Kim Jong-un traf Wladimir Putin in Wladiwostok. " * 3,
                      published_at="2024-05-02T10:00:00+02:00")
    comment = Comment(id="c1", article_id="a1", article_url=article.url, outlet="zeit",
                      text="Was will Peking dazu sagen?")
    outcomes = ItemRunner().run([article, comment])
    assert outcomes[0].item.entities["person"] == ["Kim Jong-un", "Wladimir Putin"]
    assert {"Wladiwostok", "Russland", "Nordkorea"} <= set(outcomes[0].item.entities["place"])
    assert outcomes[1].item.entities == {"person": [], "place": ["Peking"], "org": []}


def test_tag_command_prints_the_entities():
    line = json.dumps({"title": "Schoigu in Pjöngjang", "body": "Das Treffen in Pyongyang dauerte."})
    out = io.StringIO()
    assert cli.main(["tag", "-"], stdin=io.StringIO(line + "\n"), stdout=out) == 0
    assert json.loads(out.getvalue())["entities"]["place"] == ["Pjöngjang"]


@pytest.mark.elasticsearch
def test_a_search_for_one_spelling_finds_the_others(es, prefix, es_url):
    """Real node: the search analyzer's synonyms come from the entities file."""
    from elasticsearch import AsyncElasticsearch

    from corpus.search.config import EsConfig
    from corpus.search.setup import setup

    config = EsConfig(hosts=[es_url], prefix=prefix)

    async def run_setup() -> list[str]:
        async with AsyncElasticsearch(es_url) as client:
            return await setup(client, config)

    asyncio.run(run_setup())
    alias = f"{prefix}-articles"
    docs = {"w": "Putin empfing die Gäste in Wladiwostok.", "k": "Kim Dschong Un ließ Raketen testen.",
            "p": "In Pjöngjang wurde gefeiert."}
    for id_, body in docs.items():
        es.index(index=alias, id=id_, document={"item_type": "article", "id": id_, "body": body}, refresh=True)

    def hits(query: str) -> set[str]:
        found = es.search(index=alias, query={"match_phrase": {"body": query}})["hits"]["hits"]
        return {h["_id"] for h in found}

    assert hits("Vladivostok") == {"w"}
    assert hits("Kim Jong-un") == {"k"} == hits("Kim Jong Un")
    assert hits("Pyongyang") == {"p"}
    assert hits("Seoul") == set()
    # a query string as Kibana sends it
    found = es.search(index=alias, query={"query_string": {"query": "Vladivostok", "default_field": "body"}})
    assert {h["_id"] for h in found["hits"]["hits"]} == {"w"}


@pytest.mark.elasticsearch
def test_setup_brings_new_synonyms_to_a_live_index(es, prefix, es_url, monkeypatch):
    """An index made before the synonyms (or with older ones) gets them from `setup`, its documents kept."""
    from elasticsearch import AsyncElasticsearch

    from corpus.search import templates
    from corpus.search.config import EsConfig
    from corpus.search.setup import setup

    config = EsConfig(hosts=[es_url], prefix=prefix)

    async def run_setup() -> list[str]:
        async with AsyncElasticsearch(es_url) as client:
            return await setup(client, config)

    real = templates.entity_synonyms
    monkeypatch.setattr(templates, "entity_synonyms", lambda path=None: ["nordkorea, north korea"])
    asyncio.run(run_setup())
    alias = f"{prefix}-articles"
    es.index(index=alias, id="w", document={"item_type": "article", "id": "w", "body": "Ankunft in Wladiwostok"},
             refresh=True)
    assert es.search(index=alias, query={"match": {"body": "Vladivostok"}})["hits"]["total"]["value"] == 0
    monkeypatch.setattr(templates, "entity_synonyms", real)
    changes = asyncio.run(run_setup())
    assert f"updated the search analysis (entity synonyms) of {prefix}-articles-v1" in changes
    assert es.search(index=alias, query={"match": {"body": "Vladivostok"}})["hits"]["total"]["value"] == 1
    assert not any("analysis" in change for change in asyncio.run(run_setup()))  # idempotent


def test_the_synonyms_follow_the_file_in_the_templates():
    from corpus.search.templates import index_template

    body = index_template("corpus", "articles", synonyms=["a, b"])
    analysis = body["template"]["settings"]["analysis"]
    assert analysis["filter"]["entity_synonyms"]["synonyms"] == ["a, b"]
    assert body["template"]["mappings"]["properties"]["body"]["search_analyzer"] == "german_search"
    shipped = index_template("corpus", "articles")["template"]["settings"]["analysis"]
    assert shipped["filter"]["entity_synonyms"]["synonyms"] == synonym_rules(entities_data())
