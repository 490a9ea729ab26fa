"""``corpus cluster -`` and ``corpus stories``: near-duplicate stories from a terminal.

``cluster`` places JSON Lines articles in stories in the order given, as the stories
pipeline does, and prints one line per article with the fields it ends up with.
``stories`` shows the largest stories of the last days: Elasticsearch when it is configured,
else the local stories file the pipeline keeps (``CORPUS_STORIES_FILE``).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from corpus.tz import BERLIN


def add_parsers(sub: Any) -> None:
    cluster = sub.add_parser(
        "cluster", help="near-duplicate stories: corpus cluster - < articles.jsonl",
        description='Reads JSON Lines articles ({"id", "outlet", "title", "body", "published_at", "agencies", '
        '"authors"}; a crawl\'s own output works) from stdin, places them in stories in that order as the crawl '
        'does, and prints one line per input line: {"id", "story_id", "duplicate_of", "similarity", "wire_copy"} '
        '(or {"error": ...} for a line that cannot be read). Exit status 1 when a line failed.')
    cluster.add_argument("source", help='"-" for JSON Lines on stdin')
    cluster.add_argument("--threshold", type=float, help="overlap from which two bodies are one story "
                         "(default CORPUS_STORY_THRESHOLD, 0.5)")
    cluster.add_argument("--window-days", type=int, help="days between members at most (default "
                         "CORPUS_STORY_WINDOW_DAYS, 7)")
    cluster.set_defaults(handler=_cmd_cluster)

    stories = sub.add_parser(
        "stories", help="the largest stories of the last days: corpus stories --days 7",
        description="The stories with the most articles published in the last N days: their size, outlets, "
        "whether they are agency copy, and the first publisher (outlet, time, title). Reads Elasticsearch "
        "when ELASTICSEARCH_URL is set, else the stories file of the data directory.")
    stories.add_argument("--days", type=int, default=7, help="how many days back (default 7)")
    stories.add_argument("-n", "--limit", type=int, default=10, help="how many stories (default 10)")
    stories.add_argument("--min-size", type=int, default=2, help="articles a story needs at least (default 2)")
    stories.add_argument("--json", action="store_true", help="one JSON object per story")
    stories.set_defaults(handler=_cmd_stories)


def _cmd_cluster(args: argparse.Namespace, io: Any) -> int:
    from corpus.cli import BadLine, _results
    from corpus.runner import project_settings
    from corpus.stories import StoryIndex, member_of

    if args.source != "-":
        io.parser.error('cluster: give "-" and the articles as JSON Lines on stdin')
    settings = project_settings()
    threshold = settings.getfloat("CORPUS_STORY_THRESHOLD") if args.threshold is None else args.threshold
    window = settings.getint("CORPUS_STORY_WINDOW_DAYS") if args.window_days is None else args.window_days
    if not 0 < threshold <= 1 or window < 0:
        io.parser.error("cluster: --threshold must be in (0, 1] and --window-days at least 0")
    index = StoryIndex(threshold, window)

    def place(record: dict[str, Any]) -> dict[str, Any]:
        if not record.get("id") or not isinstance(record["id"], str):
            raise BadLine('no "id"')
        if record.get("body") is not None and not isinstance(record["body"], str):
            raise BadLine('"body" is not a string')
        member, _ = member_of(record)
        if member is None:
            raise BadLine('no date: "published_at" (or "crawled_at") missing or not ISO 8601')
        index.add(member)
        return {"id": member.id}

    # every article is placed before any is printed: a later one can change what an earlier one shows
    results = list(_results(io.stdin, place))
    for result, failed in results:
        if not failed:
            result.update(index.members[result["id"]].fields())
        io.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    io.stdout.flush()
    return 1 if any(failed for _, failed in results) else 0


def _cmd_stories(args: argparse.Namespace, io: Any) -> int:
    from corpus.runner import project_settings
    from corpus.search.config import EsConfig

    if args.days < 1 or args.limit < 1:
        io.parser.error("stories: --days and --limit must be at least 1")
    since = datetime.now(BERLIN) - timedelta(days=args.days)
    config = EsConfig.from_env()
    if config.enabled:
        import asyncio

        found, where = asyncio.run(_from_es(config, since, args.limit, args.min_size)), config.alias("articles")
    else:
        settings = project_settings()
        from corpus.paths import data_dir

        path = Path(settings.get("CORPUS_STORIES_FILE") or data_dir(settings.get("CORPUS_OUTPUT_DIR"))
                    / "stories.sqlite")
        if not path.exists():
            sys.stderr.write(f"corpus stories: no stories yet ({path} does not exist: crawl first, or set "
                            "ELASTICSEARCH_URL)\n")
            return 1
        found, where = _from_file(path, since, args.limit, args.min_size), str(path)
    _print(found, where, args, io.stdout)
    return 0


def _story(members: list[dict[str, Any]]) -> dict[str, Any]:
    members.sort(key=lambda m: (m["at"], m["id"]))
    first = members[0]
    return {"story_id": first["story_id"], "articles": len(members),
            "outlets": sorted({m["outlet"] for m in members if m.get("outlet")}),
            "wire_copy": any(m.get("wire_copy") for m in members),
            "first": {k: first.get(k) for k in ("id", "outlet", "at", "title")}}


def _from_file(path: Path, since: datetime, limit: int, min_size: int) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT story_id FROM members WHERE day >= ? GROUP BY story_id HAVING COUNT(*) >= ? "
                          "ORDER BY COUNT(*) DESC, MIN(at) LIMIT ?", (since.date().isoformat(), min_size, limit))
        ids = [row[0] for row in rows]
        by_story: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for story_id, id_, outlet, at, title, wire in db.execute(
                f"SELECT story_id, id, outlet, at, title, wire_copy FROM members WHERE story_id IN "
                f"({','.join('?' * len(ids))}) AND day >= ?", (*ids, since.date().isoformat())):
            by_story[story_id].append({"story_id": story_id, "id": id_, "outlet": outlet, "at": at, "title": title,
                                       "wire_copy": bool(wire)})
    finally:
        db.close()
    return [_story(by_story[i]) for i in ids]


async def _from_es(config: Any, since: datetime, limit: int, min_size: int) -> list[dict[str, Any]]:
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(**config.client_kwargs()) as client:
        response = await client.search(
            index=config.alias("articles"), size=0,
            query={"range": {"published_at": {"gte": since.isoformat()}}},
            aggs={"stories": {"terms": {"field": "story_id", "size": limit, "min_doc_count": min_size},
                              "aggs": {"outlets": {"terms": {"field": "outlet", "size": 50}},
                                       "wire": {"max": {"field": "wire_copy"}},
                                       "first": {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}],
                                                              "_source": ["id", "outlet", "published_at",
                                                                          "title"]}}}}})
    stories = []
    for bucket in response["aggregations"]["stories"]["buckets"]:
        first = bucket["first"]["hits"]["hits"][0]["_source"]
        stories.append({"story_id": bucket["key"], "articles": bucket["doc_count"],
                        "outlets": sorted(b["key"] for b in bucket["outlets"]["buckets"]),
                        "wire_copy": bool(bucket["wire"]["value"]),
                        "first": {"id": first.get("id"), "outlet": first.get("outlet"),
                                  "at": first.get("published_at"), "title": first.get("title")}})
    return stories


def _print(stories: list[dict[str, Any]], where: str, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        for story in stories:
            out.write(json.dumps(story, ensure_ascii=False) + "\n")
        return
    out.write(f"Largest stories published in the last {args.days} days ({where}): {len(stories)}\n")
    for number, story in enumerate(stories, start=1):
        first = story["first"]
        outlets = story["outlets"]
        out.write(f"\n{number}. {story['articles']} articles in {len(outlets)} outlet{'s' * (len(outlets) != 1)} "
                  f"({', '.join(outlets)}){', agency copy' if story['wire_copy'] else ''}\n")
        when = (first["at"] or "")[:16].replace("T", " ")
        out.write(f"   first: {first['outlet']}, {when}: {first['title'] or ''}\n")
        out.write(f"   story_id: {story['story_id']}\n")
