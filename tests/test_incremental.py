"""Incremental crawls without Elasticsearch: seen articles skipped, the revisit window, versions, JOBDIR.

(The same with Elasticsearch as the store is in tests/test_elasticsearch.py.)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from corpus.state import BERLIN, LocalState, SeenFilter
from tests.mockserver import FIXTURES, FixtureServer
from tests.test_crawl_e2e import by_type, crawl, read_jsonl

SEED_PATH = "/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"


class CountingState(LocalState):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.lookups: list[list[str]] = []

    def lookup(self, ids: list[str]):  # type: ignore[no-untyped-def]
        self.lookups.append(list(ids))
        return super().lookup(ids)


def test_seen_filter_batches_caches_and_revisits_recent_articles(tmp_path):
    state = CountingState(tmp_path / "state.sqlite")
    now = datetime(2024, 5, 10, 12, 0, tzinfo=BERLIN)
    state.record_article({"id": "old", "published_at": "2024-04-01T10:00:00+02:00", "content_hash": "a"})
    state.record_article({"id": "recent", "published_at": (now - timedelta(days=2)).isoformat(), "content_hash": "b"})
    state.record_article({"id": "day-only", "published_at": "2024-05-08", "content_hash": "c"})
    seen = SeenFilter(3, local=state, clock=lambda: now)
    assert seen.wanted(["new", "old", "recent", "day-only", "new"]) == {"new", "recent", "day-only"}
    assert state.lookups == [["new", "old", "recent", "day-only"]]  # one query for the page, each id once
    assert seen.wanted(["old", "recent", "other"]) == {"recent", "other"}
    assert state.lookups[1] == ["other"]  # the rest came from the cache
    narrow = SeenFilter(1, local=state, clock=lambda: now)
    assert narrow.wanted(["recent", "day-only"]) == set()


def test_local_versions_keep_what_an_article_said_before(tmp_path):
    state = LocalState(tmp_path / "state.sqlite")
    first = {"id": "a1", "title": "Alt", "teaser": "T", "body": "Erste Fassung.", "content_hash": "h1",
             "crawled_at": "2024-05-01T10:00:00+02:00"}
    assert state.record_article(first) == (1, None)
    assert state.record_article(dict(first, crawled_at="2024-05-01T12:00:00+02:00")) == (1, None)
    version, previous = state.record_article(dict(first, title="Neu", body="Zweite Fassung.", content_hash="h2",
                                                  crawled_at="2024-05-02T10:00:00+02:00"))
    assert version == 2 and previous["title"] == "Alt" and previous["body"] == "Erste Fassung."
    assert [(v["version"], v["title"]) for v in state.versions("a1")] == [(1, "Alt")]
    assert state.new_comment("c1", "a1", "x") and not state.new_comment("c1", "a1", "x")
    assert state.new_comment("c1", "a1", "edited")  # an edited comment is written again


@pytest.mark.e2e
def test_second_crawl_skips_what_it_has_and_revisits_inside_the_window(tmp_path):
    state = {"CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    changed_seed = (FIXTURES / "cicero" / "article_seed.html").read_text("utf-8").replace(
        "Neue Achse Russland-China-Nordkorea?", "Neue Achse Moskau-Peking-Pjöngjang?")
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        base = ["-a", f"base_url={server.base_url}"]
        first = crawl(*base, "-O", str(tmp_path / "1.jsonl"), env=state)
        assert first.returncode == 0, first.stderr[-2000:]
        articles1, comments1 = by_type(read_jsonl(tmp_path / "1.jsonl"))
        assert len(articles1) == 3 and len(comments1) == 11 and {a["version"] for a in articles1} == {1}
        fetched = len(server.requests)

        # the fixture articles are from 2023: outside a 3-day window, so nothing is fetched again
        second = crawl(*base, "-O", str(tmp_path / "2.jsonl"), env=state)
        assert second.returncode == 0, second.stderr[-2000:]
        assert read_jsonl(tmp_path / "2.jsonl") == []
        assert not any(p.startswith("/aussenpolitik/") for p in server.requests[fetched:])
        # every link skipped (also the out-of-scope Ukraine article, remembered from the first crawl)
        assert "'corpus/seen/skipped'" in second.stderr and "'corpus/seen/new'" not in second.stderr

        # a window reaching back to them: fetched again; the edited one gets version 2, old comments stay out
        server.overrides[SEED_PATH] = (200, changed_seed.replace("https://www.cicero.de", server.base_url).encode(),
                                       "text/html; charset=utf-8")
        third = crawl(*base, "-O", str(tmp_path / "3.jsonl"), env={**state, "CORPUS_REVISIT_DAYS": "100000"})
        assert third.returncode == 0, third.stderr[-2000:]
    articles3, comments3 = by_type(read_jsonl(tmp_path / "3.jsonl"))
    assert comments3 == []  # every comment was written by the first crawl
    versions = {a["title"]: (a["version"], a["id"]) for a in articles3}
    assert versions["Neue Achse Moskau-Peking-Pjöngjang?"][0] == 2
    assert {v for v, _ in versions.values()} == {1, 2}
    seed_id = versions["Neue Achse Moskau-Peking-Pjöngjang?"][1]
    history = LocalState(tmp_path / "state.sqlite").versions(seed_id)
    assert [(h["version"], h["title"]) for h in history] == [(1, "Neue Achse Russland-China-Nordkorea?")]


@pytest.mark.e2e
def test_a_stopped_backfill_continues_from_its_jobdir(tmp_path):
    jobdir = tmp_path / "job"
    # one request at a time: the stop falls between pages (what is in flight at a stop is the
    # subject of the reliability tests)
    backfill = ["-a", "mode=backfill", "-a", "since=2022-01-01", "-a", "incremental=false", "-a", "scope=all",
                "-s", "CONCURRENT_REQUESTS=1"]
    args = [*backfill, "-s", f"JOBDIR={jobdir}"]
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        full = crawl("-a", f"base_url={server.base_url}", *backfill, "-O", str(tmp_path / "full.jsonl"))
        assert full.returncode == 0, full.stderr[-2000:]
        # stopped early (as by Ctrl-C): after the first items the crawl closes, its queue stays in JOBDIR
        part1 = crawl("-a", f"base_url={server.base_url}", *args, "-s", "CLOSESPIDER_ITEMCOUNT=3",
                      "-O", str(tmp_path / "part1.jsonl"))
        assert "closespider_itemcount" in part1.stderr
        before = len(server.requests)
        part2 = crawl("-a", f"base_url={server.base_url}", *args, "-O", str(tmp_path / "part2.jsonl"))
        assert part2.returncode == 0, part2.stderr[-2000:]
        resumed_paths = server.requests[before:]

    def ids(path: Path) -> list[tuple[str, str]]:
        return [(i["item_type"], i["id"]) for i in read_jsonl(path)]

    first, second = ids(tmp_path / "part1.jsonl"), ids(tmp_path / "part2.jsonl")
    everything = ids(tmp_path / "full.jsonl")
    assert first and second
    assert set(first) | set(second) == set(everything)  # nothing lost
    assert not set(first) & set(second)  # nothing twice
    assert len(first) + len(second) == len(everything)
    # the resumed crawl continued its queue: the listing pages it had already read were not fetched again
    assert "/aussenpolitik" not in resumed_paths


@pytest.mark.e2e
def test_second_crawl_fetches_only_recent_and_new_articles_and_keeps_versions(tmp_path):
    from tests import incremental_site as site

    state = {"CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        site.before(server)
        first = crawl("-a", f"base_url={server.base_url}", "-O", str(tmp_path / "1.jsonl"), env=state)
        assert first.returncode == 0, first.stderr[-2000:]
        articles1, comments1 = by_type(read_jsonl(tmp_path / "1.jsonl"))
        assert len(articles1) == 3 and len(comments1) == 11
        site.after(server)
        start = len(server.requests)
        second = crawl("-a", f"base_url={server.base_url}", "-O", str(tmp_path / "2.jsonl"), env=state)
        assert second.returncode == 0, second.stderr[-2000:]
        fetched = [p.split("#")[0] for p in server.requests[start:]]
    # listing pages, the article inside the window (with its comment page) and the new one; nothing else
    articles_fetched = {p for p in fetched if p.startswith("/aussenpolitik/")}
    assert articles_fetched == {site.KOREA_PATH, f"{site.KOREA_PATH}?page=1", site.NEW_PATH}
    assert "'corpus/seen/new': 1" in second.stderr and "'corpus/seen/revisit'" in second.stderr
    assert "'corpus/seen/skipped'" in second.stderr
    articles2, comments2 = by_type(read_jsonl(tmp_path / "2.jsonl"))
    by_title = {a["title"]: a for a in articles2}
    assert set(by_title) == {"Seoul sucht die vorsichtige Annäherung an Peking",
                             "Eine Brücke zwischen Nordkorea und Russland"}
    korea = by_title["Seoul sucht die vorsichtige Annäherung an Peking"]
    assert korea["version"] == 2 and korea["modified_at"]
    assert by_title["Eine Brücke zwischen Nordkorea und Russland"]["version"] == 1
    assert [c["comment_id"] for c in comments2] == [site.NEW_COMMENT_ID]  # the one new comment, no repeats
    history = LocalState(tmp_path / "state.sqlite").versions(korea["id"])
    assert len(history) == 1 and history[0]["version"] == 1 and "Nach Jahren der Verstimmung" in history[0]["teaser"]


UKRAINE_TITLE = "Stillstand im Frost vor Charkiw"


@pytest.mark.e2e
def test_widening_the_scope_brings_back_what_the_old_scope_dropped_as_a_first_version(tmp_path):
    """scope=in drops the Ukraine article and remembers it; scope=all must fetch it again (not skip it as known),
    and keep it as version 1: the page never changed."""
    state = {"CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        base = ["-a", f"base_url={server.base_url}"]
        first = crawl(*base, "-O", str(tmp_path / "1.jsonl"), env=state)
        assert first.returncode == 0, first.stderr[-2000:]
        assert UKRAINE_TITLE not in {a["title"] for a in by_type(read_jsonl(tmp_path / "1.jsonl"))[0]}
        again = crawl(*base, "-O", str(tmp_path / "again.jsonl"), env=state)  # the same scope: still skipped
        assert again.returncode == 0, again.stderr[-2000:]
        assert read_jsonl(tmp_path / "again.jsonl") == []
        wider = crawl(*base, "-a", "scope=all", "-O", str(tmp_path / "all.jsonl"), env=state)
        assert wider.returncode == 0, wider.stderr[-2000:]
    articles, comments = by_type(read_jsonl(tmp_path / "all.jsonl"))
    (ukraine,) = [a for a in articles if a["title"] == UKRAINE_TITLE]
    assert ukraine["in_scope"] is False
    assert ukraine["version"] == 1 and ukraine["modified_at"] is None  # not an edit: the first kept version
    assert [c["article_id"] for c in comments] == [ukraine["id"]]  # and its comment, dropped with it before
    assert "'corpus/seen/rescoped'" in wider.stderr  # (once per page that links it)


@pytest.mark.e2e
def test_incremental_false_writes_a_complete_file_after_earlier_crawls(tmp_path):
    """A crawl told not to be incremental writes everything it finds, also comments earlier runs wrote elsewhere."""
    state = {"CORPUS_STATE_FILE": str(tmp_path / "state.sqlite")}
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        base = ["-a", f"base_url={server.base_url}"]
        first = crawl(*base, "-O", str(tmp_path / "1.jsonl"), env=state)
        assert first.returncode == 0, first.stderr[-2000:]
        complete = crawl(*base, "-a", "incremental=false", "-O", str(tmp_path / "complete.jsonl"), env=state)
        assert complete.returncode == 0, complete.stderr[-2000:]
    first_ids = sorted((i["item_type"], i["id"]) for i in read_jsonl(tmp_path / "1.jsonl"))
    complete_ids = sorted((i["item_type"], i["id"]) for i in read_jsonl(tmp_path / "complete.jsonl"))
    assert complete_ids == first_ids and len(first_ids) == 14  # 3 articles and all 11 comments, again


def test_an_article_once_dropped_is_a_first_version_when_kept(tmp_path):
    state = LocalState(tmp_path / "state.sqlite")
    item = {"id": "u1", "outlet": "cicero", "url": "https://x/u1", "title": "Ukraine", "body": "Text",
            "content_hash": "h1", "crawled_at": "2024-05-01T10:00:00+02:00"}
    state.record_seen(item, terms="t1")
    assert state.lookup(["u1"])["u1"].dropped == "t1"
    version, previous = state.record_article(dict(item, crawled_at="2024-05-02T10:00:00+02:00"))
    assert (version, previous) == (1, None)
    assert state.lookup(["u1"])["u1"].dropped is None
    assert state.versions("u1") == []


def test_last_seen_never_moves_back_and_an_older_record_is_no_new_version(tmp_path):
    state = LocalState(tmp_path / "state.sqlite")
    newer = {"id": "a", "title": "Neu", "body": "B", "content_hash": "h2", "crawled_at": "2024-05-02T10:00:00+02:00"}
    assert state.record_article(newer) == (1, None)
    older = dict(newer, title="Alt", content_hash="h1", crawled_at="2024-05-01T10:00:00+02:00")
    assert state.record_article(older) == (1, None)  # an older observation does not replace the newer one
    row = state.db.execute("SELECT first_seen_at, last_seen_at, title FROM articles WHERE id = 'a'").fetchone()
    assert row == ("2024-05-01T10:00:00+02:00", "2024-05-02T10:00:00+02:00", "Neu")
