"""Near-duplicate stories and agency copy (corpus/stories, pipelines/stories.py, corpus cluster / stories)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from corpus import cli
from corpus.items import Article
from corpus.runner import ItemRunner, project_settings
from corpus.stories import StoryIndex, cluster, member_of
from corpus.stories.minhash import Signature, signature
from corpus.tz import BERLIN
from tests.story_pairs import EVAL, labelled_set, score

SEED = next((Path(__file__).parents[2] / "shared" / "seeds").glob("*.txt"), None) \
    if (Path(__file__).parents[2] / "shared" / "seeds").exists() else None

# two independent texts of our own, long enough to be compared (the eval pages are used where present)
BODY_A = " ".join(
    f"Absatz {n}: Die Delegation aus Pjöngjang traf am Morgen in Wladiwostok ein, wo Gespräche über Energie, "
    f"Häfen und Bahnstrecken geplant waren; Beobachter sprachen von Runde {n} einer langen Annäherung."
    for n in range(12))
BODY_B = " ".join(
    f"Teil {n}: In Seoul berieten Abgeordnete über den Haushalt, die Opposition verlangte Kürzungen bei "
    f"Rüstungsprojekten und mehr Geld für Schulen; die Debatte dauerte bis in die Nacht {n}."
    for n in range(12))


def when(day: int, hour: int = 8) -> str:
    return datetime(2024, 5, day, hour, tzinfo=BERLIN).isoformat()


def record(id_: str, body: str, published: str, agencies=(), authors=("Eine Autorin",), outlet="zeit") -> dict:
    return {"id": id_, "outlet": outlet, "title": id_, "body": body, "published_at": published,
            "agencies": list(agencies), "authors": list(authors)}


def first_half(body: str) -> str:
    words = body.split()
    return " ".join(words[: len(words) // 2])


def test_signatures_travel_as_text_and_short_bodies_have_none():
    sig = signature(BODY_A)
    assert sig is not None and sig.words == len(BODY_A.split())
    back = Signature.decode(sig.encode())
    assert back.shingles == sig.shingles and (back.values == sig.values).all() and (back.lead == sig.lead).all()
    assert signature("Zu kurz, um etwas zu sagen.") is None
    with pytest.raises(ValueError, match="not a story signature"):
        Signature.decode("bm90IGEgc2lnbmF0dXJl")


def test_copies_join_the_original_and_other_texts_do_not():
    out = cluster([record("a", BODY_A, when(2)), record("b", BODY_B, when(2, 9)),
                   record("a-short", first_half(BODY_A), when(2, 11)),
                   record("a-edited", "Neu vorangestellt: ein Satz der Redaktion. " + BODY_A.replace("Morgen", "Abend"),
                          when(3))])
    by = {o["id"]: o for o in out}
    assert by["a-short"]["story_id"] == by["a-edited"]["story_id"] == by["a"]["story_id"] == "a"
    assert by["a-short"]["duplicate_of"] == "a" and by["a"]["duplicate_of"] is None
    assert by["b"]["story_id"] == "b" and by["b"]["similarity"] is None
    assert 0.5 <= by["a-edited"]["similarity"] <= 1.0


def test_an_earlier_article_arriving_later_becomes_the_first_and_the_others_are_told():
    index = StoryIndex()
    late, _ = member_of(record("copy", BODY_A, when(5)))
    index.add(late)
    original, _ = member_of(record("original", BODY_A, when(4)))
    placed, changed = index.add(original)
    assert placed.story_id == "copy" and placed.duplicate_of is None
    assert [(m.id, m.duplicate_of) for m in changed] == [("copy", "original")]


def test_agency_copy_marks_its_whole_story_as_wire_copy():
    index = StoryIndex()
    own, _ = member_of(record("own", BODY_A, when(6)))
    index.add(own)
    assert not index.members["own"].wire_copy
    dpa, _ = member_of(record("dpa", BODY_A + " (dpa)", when(6, 7), agencies=["dpa"], authors=[]))
    placed, changed = index.add(dpa)
    assert placed.wire_copy and [m.id for m in changed] == ["own"] and index.members["own"].wire_copy
    other, _ = member_of(record("other", BODY_B, when(6)))
    assert not index.add(other)[0].wire_copy


def test_an_article_close_to_two_stories_joins_them():
    """The two halves of a text are two stories; the whole text is close to both and makes them one."""
    index = StoryIndex()
    words = BODY_A.split()
    for id_, body in (("front", " ".join(words[:120])), ("back", " ".join(words[120:]))):
        member, _ = member_of(record(id_, body, when(2)))
        index.add(member)
    assert index.members["front"].story_id != index.members["back"].story_id
    whole, _ = member_of(record("whole", BODY_A, when(2, 12)))
    placed, changed = index.add(whole)
    # named after the story whose first member is first (same time: the smaller id)
    assert index.members["front"].story_id == index.members["back"].story_id == placed.story_id == "back"
    assert {m.id for m in changed} == {"front", "back"}
    assert index.members["front"].duplicate_of == "back" and placed.duplicate_of == "back"


def test_the_window_keeps_old_texts_apart_and_reading_again_changes_nothing():
    index = StoryIndex(window_days=7)
    for id_, day in (("may", 1), ("later", 20)):
        member, _ = member_of(record(id_, BODY_A, when(day)))
        index.add(member)
    assert index.members["later"].story_id == "later"
    again, _ = member_of(record("may", BODY_A, when(1)))
    placed, changed = index.add(again)
    assert placed is index.members["may"] and changed == []


def test_labelled_pairs_precision_and_recall():
    """The labelled set of tests/story_pairs.py: 215 real texts and four agency-style copies of each."""
    if not (EVAL / "dev" / "truth.jsonl").exists():
        pytest.skip(f"{EVAL} not present (the eval set lives beside the repository)")
    texts = labelled_set()
    index = StoryIndex()
    for text in texts:
        member, _ = member_of(text.record())
        assert member is not None
        index.add(member)
    result = score(texts, {t.id: index.members[t.id].story_id for t in texts})
    assert result.precision >= 0.95 and result.recall >= 0.90, result


def _article(id_: str, body: str, published: str, **fields) -> Article:
    return Article(id=id_, url=f"https://www.zeit.de/{id_}", outlet="zeit", title=id_, body=body,
                   published_at=published, crawled_at=published, **fields)


def _storage(tmp_path: Path, **settings) -> ItemRunner:
    pipelines = {"pipelines.stories.StoriesPipeline": 550}
    return ItemRunner(project_settings(ITEM_PIPELINES=pipelines, CORPUS_OUTPUT_DIR=str(tmp_path), **settings),
                      storage=True, processing=False)


def test_the_pipeline_keeps_its_stories_in_a_local_file_across_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    monkeypatch.delenv("CORPUS_ES_HOSTS", raising=False)
    first = _storage(tmp_path, CORPUS_ES_HOSTS="")
    outcomes = first.run([_article("a", BODY_A, when(2), authors=["Eine Autorin"]),
                          _article("b", BODY_B, when(2))])
    assert [o.item.story_id for o in outcomes] == ["a", "b"]
    assert outcomes[0].item.story_signature and Signature.decode(outcomes[0].item.story_signature)
    assert (tmp_path / "stories.sqlite").exists()
    # a new process (a restart): the copy finds the story of the run before, agency copy marks it
    second = _storage(tmp_path, CORPUS_ES_HOSTS="")
    (copy,) = second.run([_article("a-dpa", first_half(BODY_A), when(3), agencies=["dpa"])])
    assert (copy.item.story_id, copy.item.duplicate_of, copy.item.wire_copy) == ("a", "a", True)
    assert [u["id"] for u in copy.item.story_updates] == ["a"] and copy.item.story_updates[0]["wire_copy"]


def test_corpus_stories_reads_the_local_file(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    monkeypatch.delenv("CORPUS_ES_HOSTS", raising=False)
    now = datetime.now(BERLIN)
    items = [_article("first", BODY_A, (now - timedelta(days=2)).isoformat(timespec="seconds"),
                      agencies=["dpa"]),
             _article("second", BODY_A + " Ende.", (now - timedelta(days=1)).isoformat(timespec="seconds")),
             _article("alone", BODY_B, (now - timedelta(days=1)).isoformat(timespec="seconds"))]
    items[1].outlet = "welt"
    _storage(tmp_path, CORPUS_ES_HOSTS="").run(items)
    monkeypatch.setenv("CORPUS_ES_HOSTS", "")  # no Elasticsearch for the command either
    monkeypatch.setenv("CORPUS_STORIES_FILE", str(tmp_path / "stories.sqlite"))
    monkeypatch.setattr("corpus.runner._project_settings", lambda: project_settings(
        CORPUS_STORIES_FILE=str(tmp_path / "stories.sqlite")))
    out = io.StringIO()
    assert cli.main(["stories", "--days", "7", "--json"], stdout=out) == 0
    (story,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert story["articles"] == 2 and story["outlets"] == ["welt", "zeit"] and story["wire_copy"] is True
    assert story["first"]["id"] == "first" and story["first"]["outlet"] == "zeit"
    out = io.StringIO()
    assert cli.main(["stories", "--days", "7"], stdout=out) == 0
    assert "2 articles in 2 outlets (welt, zeit), agency copy" in out.getvalue()
    assert "first: zeit" in out.getvalue()


def test_cluster_command_prints_one_line_per_input_line():
    lines = [json.dumps(record("a", BODY_A, when(2))), "kein JSON",
             json.dumps(record("a2", BODY_A + " Mehr dazu später.", when(2, 10), agencies=["AFP"], authors=[])),
             json.dumps({"id": "x", "body": BODY_B}), json.dumps(record("b", BODY_B, when(2)))]
    out = io.StringIO()
    code = cli.main(["cluster", "-"], stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    result = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1 and len(result) == 5
    assert result[0] == {"id": "a", "story_id": "a", "duplicate_of": None, "similarity": result[0]["similarity"],
                         "wire_copy": True}
    assert result[1]["error"].startswith("line 2: not JSON")
    assert (result[2]["story_id"], result[2]["duplicate_of"], result[2]["wire_copy"]) == ("a", "a", True)
    assert result[3]["error"] == 'line 4: no date: "published_at" (or "crawled_at") missing or not ISO 8601'
    assert (result[4]["story_id"], result[4]["wire_copy"]) == ("b", False)


@pytest.mark.elasticsearch
def test_stories_live_in_elasticsearch_and_later_members_update_earlier_ones(es_url, es, prefix, tmp_path):
    """Real node: the story fields are indexed; an earlier publication found later rewrites the others'
    duplicate_of and wire_copy; a new run reads the stories back from the index."""
    settings = {"CORPUS_ES_HOSTS": es_url, "CORPUS_ES_PREFIX": prefix, "CORPUS_OUTPUT_DIR": str(tmp_path)}

    def run(items: list[Article]) -> list:
        pipelines = {"pipelines.stories.StoriesPipeline": 550, "pipelines.elasticsearch.ElasticsearchPipeline": 700}
        runner = ItemRunner(project_settings(ITEM_PIPELINES=pipelines, **settings), storage=True, processing=False)
        return runner.run(items)

    run([_article("copy", BODY_A + " Ende.", when(3)), _article("other", BODY_B, when(3))])
    es.indices.refresh(index=f"{prefix}-articles")  # a later crawl: what the first wrote is searchable
    run([_article("original", BODY_A, when(2), agencies=["dpa"])])  # a new run: reads "copy" back
    es.indices.refresh(index=f"{prefix}-articles")
    docs = {h["_id"]: h["_source"] for h in es.search(index=f"{prefix}-articles", size=10)["hits"]["hits"]}
    shown = {k: (v["story_id"], v["duplicate_of"], v["wire_copy"]) for k, v in docs.items()}
    assert shown == {"copy": ("copy", "original", True), "original": ("copy", None, True),
                     "other": ("other", None, False)}
    assert docs["copy"]["similarity"] >= 0.5 and Signature.decode(docs["copy"]["story_signature"])
    aggs = es.search(index=f"{prefix}-articles", size=0, aggs={"stories": {"cardinality": {"field": "story_id"}}})
    assert aggs["aggregations"]["stories"]["value"] == 2


@pytest.mark.elasticsearch
def test_corpus_stories_reads_elasticsearch(es_url, es, prefix, tmp_path, monkeypatch):
    now = datetime.now(BERLIN)
    settings = {"CORPUS_ES_HOSTS": es_url, "CORPUS_ES_PREFIX": prefix, "CORPUS_OUTPUT_DIR": str(tmp_path)}
    pipelines = {"pipelines.stories.StoriesPipeline": 550, "pipelines.elasticsearch.ElasticsearchPipeline": 700}
    items = [_article(f"a{n}", BODY_A + " Ende." * n, (now - timedelta(hours=5 - n)).isoformat(timespec="seconds"))
             for n in range(3)]
    items[1].outlet = "welt"
    ItemRunner(project_settings(ITEM_PIPELINES=pipelines, **settings), storage=True, processing=False).run(items)
    es.indices.refresh(index=f"{prefix}-articles")
    monkeypatch.setenv("ELASTICSEARCH_URL", es_url)
    monkeypatch.setenv("CORPUS_ES_PREFIX", prefix)
    out = io.StringIO()
    assert cli.main(["stories", "--days", "2", "--json"], stdout=out) == 0
    (story,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (story["story_id"], story["articles"], story["outlets"]) == ("a0", 3, ["welt", "zeit"])
    assert story["first"]["id"] == "a0"


def test_asyncio_is_not_needed_without_elasticsearch(tmp_path, monkeypatch):
    """Without Elasticsearch the pipeline places articles synchronously (as `corpus extract`'s runner needs)."""
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    runner = _storage(tmp_path, CORPUS_ES_HOSTS="")
    pipeline = runner.pipelines[0]
    item = pipeline.process_item(_article("a", BODY_A, when(2)))
    assert not asyncio.iscoroutine(item) and item.story_id == "a"
    pipeline.close_spider()


def test_copies_published_in_the_same_minute_keep_the_first_shown_first():
    """Agency copy auto-published by many outlets shares the minute: a later copy with a smaller id does not make
    every member change (each change is a write to the index)."""
    index = StoryIndex()
    changes = []
    for id_ in ("c", "b", "a"):
        member, _ = member_of(record(id_, BODY_A, when(7)))
        changes.append([m.id for m in index.add(member)[1]])
    assert changes == [[], ["c"], []]  # "c" is told only that it is no longer alone
    assert [index.members[i].duplicate_of for i in "abc"] == ["c", "c", None]


def test_a_story_whose_first_member_was_not_read_keeps_it_first():
    """Members loaded for the days around an article may point to a first member older than those days: a new
    copy points to it too, and the loaded members are not rewritten."""
    from corpus.stories import Member

    index = StoryIndex()
    sig = signature(BODY_A)
    index.load(Member("b", datetime(2024, 5, 9, tzinfo=BERLIN), sig, story_id="a", duplicate_of="a",
                      similarity=0.9, wire_copy=True))
    copy, _ = member_of(record("c", BODY_A, when(10)))
    placed, changed = index.add(copy)
    assert (placed.story_id, placed.duplicate_of, placed.wire_copy) == ("a", "a", True) and changed == []


def test_a_long_backfill_drops_far_stories_and_reads_them_again(tmp_path):
    from corpus.stories.store import LocalStories

    stories = LocalStories(StoryIndex(), tmp_path / "stories.sqlite")
    stories.MAX_MEMBERS = 1  # type: ignore[misc]

    def place(id_: str, body: str, day: datetime) -> object:
        member, _ = member_of(record(id_, body, day.isoformat()))
        stories.ensure(member.when)
        placed, changed = stories.index.add(member)
        stories.save(placed, changed)
        return placed

    may = datetime(2024, 5, 2, 8, tzinfo=BERLIN)
    place("may", BODY_A, may)
    place("autumn", BODY_B, may + timedelta(days=150))
    place("autumn-2", BODY_B + " Nachtrag.", may + timedelta(days=150, hours=2))
    assert "may" not in stories.index.members  # dropped: far from the autumn articles
    back = place("may-copy", BODY_A + " Ende.", may + timedelta(hours=3))  # its days are read again
    assert (back.story_id, back.duplicate_of) == ("may", "may")
    stories.close()
