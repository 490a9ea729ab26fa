"""The ``corpus`` command: the crawler's entry point from any directory.

* ``corpus crawl cicero -a mode=backfill`` is ``scrapy crawl`` with this
  project's settings, wherever it is run from; ``corpus list`` shows the spiders.
* ``corpus parse-date``, ``corpus parse-byline`` and ``corpus tag`` run the
  normalisers the pipelines use, on one value or on JSON Lines from stdin
  (``-``), so an analyst can check a value by hand. Each input line gives
  exactly one output line; a line that is not valid JSON gives an ``error``
  line instead of stopping the stream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TextIO


def _scrapy(argv: list[str]) -> int:
    # Works outside the repository too: the settings module is importable once installed.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "corpus.settings")
    from scrapy.cmdline import execute

    try:
        execute(["scrapy", *argv])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _reference(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"reference must be ISO 8601, e.g. 2024-03-15T12:00:00+01:00, not {value!r}") from None


def date_json(text: str | None, reference: str | None = None) -> dict[str, Any]:
    """``{"value", "precision"}`` (plus ``reason`` when there is no value) for one date string."""
    from corpus.normalize.dates import parse_date_verbose

    value, reason = parse_date_verbose(text, _reference(reference))
    if value is None:
        return {"value": None, "precision": None, "reason": reason}
    return {"value": value.isoformat(), "precision": value.precision}


def byline_json(text: str | None) -> dict[str, Any]:
    """``{"authors", "agencies"}`` for one byline."""
    from corpus.normalize.bylines import parse_byline

    byline = parse_byline(text)
    return {"authors": byline.authors, "agencies": byline.agencies}


def tag_json(title: str | None, teaser: str | None = None, body: str | None = None,
             terms: str | None = None) -> dict[str, Any]:
    """``{"countries", "pairs", "topic_score", "in_scope"}`` for one text."""
    from corpus.topics import default_tagger

    result = default_tagger(terms).tag(title, teaser, body)
    return {"countries": result.countries, "pairs": result.pairs,
            "topic_score": result.topic_score, "in_scope": result.in_scope}


def _stream(lines: Iterable[str], out: TextIO, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Apply ``handle`` to every JSON line; one output line per non-blank input line."""
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record: Any = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            result = handle(record)
        except (ValueError, TypeError, KeyError, OSError) as exc:
            failures += 1
            result = {"error": f"line {number}: {type(exc).__name__}: {exc}"}
            if isinstance(record, dict):  # keep the keys that tell the caller which input failed
                result = {k: record[k] for k in ("file", "url") if k in record} | result
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return 1 if failures else 0


def _es_config() -> Any:
    from corpus.search.config import EsConfig

    config = EsConfig.from_env()
    if not config.enabled:
        raise ValueError("no Elasticsearch configured: set ELASTICSEARCH_URL (e.g. http://127.0.0.1:9200)")
    return config


async def _es_setup() -> int:
    from elasticsearch import AsyncElasticsearch

    from corpus.search.setup import setup

    config = _es_config()
    async with AsyncElasticsearch(**config.client_kwargs()) as client:
        changes = await setup(client, config)
    for change in changes:
        print(change)
    if not changes:
        print(f"nothing to change: templates, indices and aliases are up to date at {config.describe()}")
    return 0


async def _es_status() -> int:
    from elasticsearch import AsyncElasticsearch

    from corpus.search.setup import status

    config = _es_config()
    async with AsyncElasticsearch(**config.client_kwargs()) as client:
        result = await status(client, config)
    print(f"cluster {result['cluster']}: {result['health']}")
    for alias, info in result["indices"].items():
        where = ", ".join(info["indices"]) or "missing (run: corpus es setup)"
        count = "-" if info["count"] is None else f"{info['count']:,}"
        print(f"  {alias:20} {count:>10} docs  -> {where}")
    return 0


async def _index_file(path: str, deadletter: str | None) -> int:
    """Index a crawl's JSON Lines output or a dead-letter file through the pipeline's indexer."""
    from pathlib import Path

    from corpus.search.indexer import DeadLetter, Indexer

    config = _es_config()
    source = Path(path)
    if not source.exists():
        raise ValueError(f"no such file: {path}")
    from corpus.runs import new_run_name

    target = Path(deadletter) if deadletter else Path(config.deadletter_dir) / "index" / f"{new_run_name()}.jsonl"
    indexer = Indexer(config, DeadLetter(target))
    problem = await indexer.check()
    if problem:
        await indexer.client.close()
        raise ValueError(f"Elasticsearch at {config.describe()} is not usable: {problem}")
    skipped = invalid = 0
    with source.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                invalid += 1
                print(f"line {number}: not JSON ({exc}); skipped", file=sys.stderr)
                continue
            if not isinstance(item, dict) or item.get("item_type") not in ("article", "comment"):
                skipped += 1
                continue
            item.pop("_deadletter", None)
            await indexer.add(item)
    await indexer.close()
    print(f"{indexer.indexed} indexed, {indexer.failed} rejected, {indexer.deadletter.count} to {target}"
          if indexer.deadletter.count else f"{indexer.indexed} indexed, 0 rejected")
    if skipped or invalid:
        print(f"{skipped} lines were not articles or comments, {invalid} were not JSON", file=sys.stderr)
    return 1 if indexer.deadletter.count or invalid else 0


def extract_json(file: str, url: str, reference: str | None = None) -> dict[str, Any]:
    """The extracted, normalised article of one saved page (plain or gzipped HTML)."""
    from corpus.extract.article import extract_article, read_html

    if not url:
        raise ValueError("a URL is needed (it chooses the outlet's parser and resolves links)")
    return extract_article(read_html(file), url, _reference(reference))


def _print(result: dict[str, Any]) -> int:
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _kibana_import(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.kibana import NDJSON, KibanaError, KibanaTarget, import_objects, report

    target = KibanaTarget(args.kibana_url, space=args.space, api_key=args.api_key, username=args.user,
                          password=args.password, verify_certs=not args.insecure)
    if args.insecure:
        print("corpus kibana: warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
    data = open(args.file or NDJSON, "rb").read()
    try:
        result = asyncio.run(import_objects(target, data, timeout=args.timeout))
    except KibanaError as exc:
        print(f"corpus kibana: error: {exc}", file=sys.stderr)
        return 1
    return report(result, out)


def _schedule(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.schedule import BERLIN, Cron, Scheduler, format_duration, load_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    scheduler = Scheduler(load_jobs(args.file), args.data_dir, kill_grace=args.kill_grace,
                          max_parallel=args.max_parallel)
    if args.list:
        now = datetime.now(BERLIN)
        due = {job.name for job, _ in scheduler.due(now)}
        for job in scheduler.jobs:
            upcoming = Cron(job.cron).next_after(now).strftime("%Y-%m-%d %H:%M %Z")
            state = f"due now, then {upcoming}" if job.name in due else upcoming
            extra = " ".join(f"{k}={v}" for k, v in job.args.items())
            timeout = f" timeout={format_duration(job.timeout)}" if job.timeout else ""
            out.write(f"{job.name:<22} {job.spider:<13} {job.cron:<15} next: {state}{timeout} {extra}".rstrip() + "\n")
        return 0
    if args.once:
        return scheduler.run_once()
    return scheduler.run_forever()


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    parser = argparse.ArgumentParser(
        prog="corpus", description="German news about Korea, Russia and China: crawl and index."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    crawl = sub.add_parser(
        "crawl",
        help="run one outlet's spider (same options as `scrapy crawl`)",
        description="Run a spider: corpus crawl cicero [-a mode=backfill -a since=2023-01-01] "
        "[-O out.jsonl] [-s SETTING=value]. Without -o/-O items go to "
        "data/<spider>/<start>Z-<random>.jsonl.",
    )
    crawl.add_argument("spider")
    crawl.add_argument("scrapy_args", nargs=argparse.REMAINDER, help="passed on to scrapy crawl")
    sub.add_parser("list", help="list the spiders")

    date = sub.add_parser(
        "parse-date",
        help="parse a German date: corpus parse-date 'Do., 7. September 2023 - 10:40'",
        description='Prints {"value": ..., "precision": "minute"|"day"|"month"|null}. With "-", reads '
        'JSON Lines {"text": ..., "reference": ...} from stdin. Relative dates ("vor 3 Stunden") '
        "need a reference time (when the page was fetched); without one they give null.",
    )
    date.add_argument("text", help='the date as printed, or "-" for JSON Lines on stdin')
    date.add_argument("--reference", help="ISO 8601 fetch time for relative dates")

    byline = sub.add_parser(
        "parse-byline",
        help="split a byline: corpus parse-byline 'VON FELIX LILL UND ANNA BERGMANN'",
        description='Prints {"authors": [...], "agencies": [...]}. With "-", reads JSON Lines '
        '{"text": ...} from stdin.',
    )
    byline.add_argument("text", help='the byline as printed, or "-" for JSON Lines on stdin')

    tag = sub.add_parser(
        "tag",
        help="country tags and scope: corpus tag - < articles.jsonl",
        description='With "-", reads JSON Lines {"title": ..., "teaser": ..., "body": ...} from stdin and '
        'prints {"countries", "pairs", "topic_score", "in_scope"} per line; or pass --title/--teaser/--body.',
    )
    tag.add_argument("source", nargs="?", help='"-" for JSON Lines on stdin')
    tag.add_argument("--title")
    tag.add_argument("--teaser")
    tag.add_argument("--body")
    tag.add_argument("--terms", help="terms file (default: the shipped corpus/topics/terms.toml)")

    ext = sub.add_parser(
        "extract",
        help="extract an article from a saved page: corpus extract page.html --url URL",
        description="Prints one JSON object (title, kicker, teaser, authors, agencies, published_at, "
        "published_precision, modified_at, section, keywords, image, paywalled, language, body). With "
        '--batch -, reads JSON Lines {"file": ..., "url": ...} from stdin and writes one line per input '
        "with the same file key. Gzipped HTML is accepted. Same code as the spiders.",
    )
    ext.add_argument("file", nargs="?", help="saved HTML page (.html or .html.gz)")
    ext.add_argument("--url", help="the URL the page was fetched from")
    ext.add_argument("--reference", help="ISO 8601 fetch time, for relative dates")
    ext.add_argument("--batch", metavar="-", help='"-": JSON Lines {"file", "url"[, "reference"]} on stdin')

    es = sub.add_parser("es", help="Elasticsearch: setup, status (address from ELASTICSEARCH_URL)")
    es_sub = es.add_subparsers(dest="es_command", required=True, metavar="ES_COMMAND")
    es_sub.add_parser("setup", help="create or update index templates, indices and aliases (idempotent)")
    es_sub.add_parser("status", help="cluster health and documents per index")
    index = sub.add_parser(
        "index",
        help="index a JSON Lines file (crawl output or dead-letter file) into Elasticsearch",
        description="Indexes the articles and comments of FILE through the same code as the crawl's "
        "pipeline (updates, never duplicates). What cannot be indexed goes to a dead-letter file.",
    )
    index.add_argument("file")
    index.add_argument("--deadletter", help="dead-letter file (default: under CORPUS_ES_DEADLETTER_DIR/index/)")

    sched = sub.add_parser(
        "schedule",
        help="run crawls on their cron times from a schedule file (foreground service)",
        description="Starts each job of the schedule file (default: schedules.toml) on its cron times, "
        "Europe/Berlin, one `scrapy crawl` process per run; never two runs of a job at once; a run over "
        "its timeout gets SIGINT, then SIGTERM. Every run is recorded in corpus-crawls (or "
        "<data>/crawls.jsonl) and logs to <data>/logs/<job>/.",
    )
    sched.add_argument("--file", default="schedules.toml", help="schedule file (default: schedules.toml)")
    sched.add_argument("--data-dir", default=os.environ.get("CORPUS_OUTPUT_DIR", "data"),
                       help="locks, state, logs and the local run log (default: data or $CORPUS_OUTPUT_DIR)")
    sched.add_argument("--max-parallel", type=int, default=4,
                       help="crawls running at once; further due jobs wait (default 4)")
    sched.add_argument("--kill-grace", type=float, default=30.0,
                       help="seconds between SIGINT, SIGTERM and SIGKILL for a run over its timeout")
    mode = sched.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run the jobs that are due now, wait for them, exit")
    mode.add_argument("--list", action="store_true", help="print each job with its next run time")

    kib = sub.add_parser("kibana", help="Kibana: import the data views, searches and dashboard")
    kib_sub = kib.add_subparsers(dest="kibana_command", required=True, metavar="KIBANA_COMMAND")
    imp = kib_sub.add_parser(
        "import",
        help="import corpus/kibana/saved_objects.ndjson through Kibana's saved objects API (overwrite)",
        description="Waits for Kibana to be ready, imports the saved objects with overwrite, and prints one "
        "line per object (ok, or the error Kibana gave). Credentials also come from KIBANA_API_KEY or "
        "KIBANA_USERNAME/KIBANA_PASSWORD (preferred: arguments show in the process list).",
    )
    imp.add_argument("--kibana-url", default=os.environ.get("KIBANA_URL", "http://localhost:5601"),
                     help="default: $KIBANA_URL or http://localhost:5601")
    who = imp.add_mutually_exclusive_group()
    who.add_argument("--api-key", default=os.environ.get("KIBANA_API_KEY") or None, help="base64 API key")
    who.add_argument("--user", default=os.environ.get("KIBANA_USERNAME") or None)
    imp.add_argument("--password", default=os.environ.get("KIBANA_PASSWORD") or None)
    imp.add_argument("--space", help="Kibana space id (default: the default space)")
    imp.add_argument("--file", default=None, help="NDJSON file (default: corpus/kibana/saved_objects.ndjson)")
    imp.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for Kibana to be ready")
    imp.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate (logs a warning)")

    args = parser.parse_args(argv)
    try:
        if args.command == "kibana":
            return _kibana_import(args, stdout)
        if args.command == "schedule":
            return _schedule(args, stdout)
        if args.command == "es":
            return asyncio.run(_es_setup() if args.es_command == "setup" else _es_status())
        if args.command == "index":
            return asyncio.run(_index_file(args.file, args.deadletter))
        if args.command == "crawl":
            return _scrapy(["crawl", args.spider, *args.scrapy_args])
        if args.command == "list":
            return _scrapy(["list"])
        if args.command == "extract":
            if args.batch == "-":
                return _stream(stdin, stdout, lambda r: {"file": r.get("file"), **extract_json(
                    r["file"], r.get("url") or "", r.get("reference") or args.reference)})
            if args.batch is not None or not args.file:
                parser.error('extract: give FILE --url URL, or --batch - (JSON Lines on stdin)')
            return _print(extract_json(args.file, args.url or "", args.reference))
        if args.command == "parse-date":
            if args.text == "-":
                return _stream(stdin, stdout, lambda r: date_json(
                    r.get("text"), r.get("reference") or args.reference))
            return _print(date_json(args.text, args.reference))
        if args.command == "parse-byline":
            if args.text == "-":
                return _stream(stdin, stdout, lambda r: byline_json(r.get("text")))
            return _print(byline_json(args.text))
        if args.command == "tag":
            if args.source == "-":
                return _stream(stdin, stdout, lambda r: tag_json(
                    r.get("title"), r.get("teaser"), r.get("body"), args.terms))
            if args.source is not None or not (args.title or args.teaser or args.body):
                parser.error('tag: give "-" (JSON Lines on stdin) or --title/--teaser/--body')
            return _print(tag_json(args.title, args.teaser, args.body, args.terms))
    except (ValueError, OSError, ConnectionError) as exc:
        print(f"corpus {args.command}: error: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
