"""The ``corpus`` command: the crawler's entry point from any directory.

* ``corpus crawl cicero -a mode=backfill`` is ``scrapy crawl`` with this
  project's settings, wherever it is run from; ``corpus list`` shows the spiders.
* ``corpus parse-date``, ``corpus parse-byline`` and ``corpus tag`` run the
  normalisers the pipelines use, on one value or on JSON Lines from stdin
  (``-``), so an analyst can check a value by hand. Each input line gives
  exactly one output line; a line that cannot be used (not UTF-8, not JSON,
  nested too deeply, a number where text belongs) gives an ``error`` line naming
  its number instead of stopping the stream.
* ``corpus extract`` reads a saved page as a crawl reads a response (size bound,
  declared encoding, repairs); ``corpus index`` indexes a JSON Lines file through
  the crawl's indexer; ``corpus dedupe`` keeps one line per item of JSON Lines
  files; ``corpus es setup|status``; ``corpus schedule``; ``corpus kibana import``.
* ``corpus search``, ``count``, ``export`` and ``cite`` read the corpus for research
  (:mod:`corpus.research`).

Bad input is one clear line on stderr (exit status 2); Elasticsearch that is down
or refusing is one line too (exit status 1); never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def _string(value: Any, name: str) -> str | None:
    """``value`` when it is text (or missing); a clear ``ValueError`` for a number, a list, an object."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{name} must be a string, not {type(value).__name__}")


def date_json(text: Any, reference: Any = None) -> dict[str, Any]:
    """``{"value", "precision"}`` (plus ``reason`` when there is no value) for one date string."""
    from corpus.normalize.dates import parse_date_verbose

    value, reason = parse_date_verbose(_string(text, "text"), _reference(_string(reference, "reference")))
    if value is None:
        return {"value": None, "precision": None, "reason": reason}
    return {"value": value.isoformat(), "precision": value.precision}


def byline_json(text: Any) -> dict[str, Any]:
    """``{"authors", "agencies"}`` for one byline."""
    from corpus.normalize.bylines import parse_byline

    byline = parse_byline(_string(text, "text"))
    return {"authors": byline.authors, "agencies": byline.agencies}


def tag_json(title: Any, teaser: Any = None, body: Any = None, terms: str | None = None,
             kicker: Any = None, entities: str | None = None) -> dict[str, Any]:
    """``{"countries", "pairs", "topic_score", "in_scope", "entities"}`` for one text, tagged as the crawl tags it."""
    from corpus.topics import default_tagger
    from corpus.topics.entities import default_matcher

    texts = (_string(kicker, "kicker"), _string(title, "title"), _string(teaser, "teaser"), _string(body, "body"))
    result = default_tagger(terms).tag_article(*texts)
    return {"countries": result.countries, "pairs": result.pairs,
            "topic_score": result.topic_score, "in_scope": result.in_scope,
            "entities": default_matcher(entities).match(*texts)}


class BadLine(ValueError):
    """A line of JSON Lines input that cannot be read: not UTF-8, not JSON, nested too deeply."""


def _lines(stream: Any) -> Iterator[tuple[int, str | BadLine]]:
    """Numbered lines of a text or binary stream, decoded one by one.

    A line that is not valid UTF-8 comes as a :class:`BadLine` instead of ending the whole
    stream (a text stream under a strict UTF-8 locale would raise on it). Blank lines are skipped.
    """
    source = getattr(stream, "buffer", stream)  # the bytes under sys.stdin: decoded here, line by line
    for number, raw in enumerate(source, start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start:exc.start + 1]
                yield number, BadLine(f"not valid UTF-8 (byte 0x{bad.hex()} at position {exc.start})")
                continue
        else:
            line = raw
        if line.strip():
            yield number, line


def _load(line: str) -> Any:
    """One JSON value with every string made valid Unicode; :class:`BadLine` for what cannot be read."""
    from corpus.normalize.text import scrub

    try:
        return scrub(json.loads(line))
    except RecursionError:
        raise BadLine("nested too deeply to read (JSON deeper than Python's parser follows)") from None
    except ValueError as exc:
        raise BadLine(f"not JSON ({exc})") from None


def _results(lines: Any, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    """``handle`` applied to every JSON line: its result, or ``{"error": "line N: ..."}``, and whether it failed."""
    for number, line in _lines(lines):
        record: Any = None
        try:
            if isinstance(line, BadLine):
                raise line
            record = _load(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            yield handle(record), False
        except (ValueError, TypeError, KeyError, OSError, RecursionError) as exc:
            kind = "" if isinstance(exc, BadLine) else f"{type(exc).__name__}: "
            if isinstance(exc, RecursionError):
                exc, kind = BadLine("nested too deeply to process"), ""
            result = {"error": f"line {number}: {kind}{exc}"}
            if isinstance(record, dict):  # keep the keys that tell the caller which input failed
                result = {k: record[k] for k in ("file", "url") if isinstance(record.get(k), str)} | result
            yield result, True


def _stream(lines: Any, out: TextIO, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Apply ``handle`` to every JSON line; one output line per non-blank input line."""
    failures = 0
    for result, failed in _results(lines, handle):
        failures += failed
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return 1 if failures else 0


def _es_config() -> Any:
    from corpus.search.config import EsConfig

    config = EsConfig.from_env()
    if not config.enabled:
        raise ValueError("no Elasticsearch configured: set ELASTICSEARCH_URL (e.g. http://127.0.0.1:9200)")
    return config


class EsUnavailable(RuntimeError):
    """Elasticsearch could not be asked (down, refusing): the message says what happened, in one line."""


async def _es_call(config: Any, call: Callable[[Any], Any]) -> Any:
    """Run ``call(client)``; connection problems and refusals become one-line :class:`EsUnavailable`."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError, AsyncElasticsearch

    from corpus.search.indexer import refusal_reason

    try:
        async with AsyncElasticsearch(**config.client_kwargs()) as client:
            return await call(client)
    except ApiError as exc:
        raise EsUnavailable(f"Elasticsearch at {config.describe()} answered HTTP {exc.status_code}: "
                            f"{refusal_reason(exc)}") from None
    except TransportError as exc:
        raise EsUnavailable(f"cannot reach Elasticsearch at {config.describe()}: {type(exc).__name__}: "
                            f"{exc.message}") from None


async def _es_setup() -> int:
    from corpus.search.setup import setup

    config = _es_config()
    changes = await _es_call(config, lambda client: setup(client, config))
    for change in changes:
        print(change)
    if not changes:
        print(f"nothing to change: templates, indices and aliases are up to date at {config.describe()}")
    return 0


async def _es_status() -> int:
    from corpus.search.setup import status

    config = _es_config()
    result = await _es_call(config, lambda client: status(client, config))
    print(f"cluster {result['cluster']}: {result['health']}")
    for alias, info in result["indices"].items():
        where = ", ".join(info["indices"]) or "missing (run: corpus es setup)"
        count = "-" if info["count"] is None else f"{info['count']:,}"
        print(f"  {alias:20} {count:>10} docs  -> {where}")
    return 0


async def _index_file(path: str, deadletter: str | None) -> int:
    """Index a crawl's JSON Lines output or a dead-letter file through the pipeline's indexer.

    Every line that can be read is indexed; a line that cannot (not UTF-8, not JSON, nested
    too deeply) is named on stderr with its number; an item Elasticsearch cannot take goes to
    the dead-letter file. Exit status 1 when anything was left out.
    """
    from pathlib import Path

    from corpus.runs import new_run_name
    from corpus.search.indexer import DeadLetter, Indexer

    config = _es_config()
    source = Path(path)
    if not source.exists():
        raise ValueError(f"no such file: {path}")
    target = Path(deadletter) if deadletter else Path(config.deadletter_dir) / "index" / f"{new_run_name()}.jsonl"
    if target.exists() and target.resolve() == source.resolve():
        raise ValueError(f"the dead-letter file {target} is the input: give another --deadletter (writing what "
                         "fails back into the file being read would never end)")
    indexer = Indexer(config, DeadLetter(target))
    problem = await indexer.check()
    if problem and not problem.startswith("cannot read the cluster health"):
        await indexer.client.close()
        raise EsUnavailable(f"Elasticsearch at {config.describe()} is not usable: {problem}")
    skipped = invalid = 0
    with source.open("rb") as f:
        for number, line in _lines(f):
            try:
                if isinstance(line, BadLine):
                    raise line
                item = _load(line)
            except BadLine as exc:
                invalid += 1
                print(f"{path}: line {number}: {exc}; skipped", file=sys.stderr)
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
        print(f"{skipped} lines were not articles or comments, {invalid} could not be read", file=sys.stderr)
    return 1 if indexer.deadletter.count or invalid else 0


def _dedupe(paths: list[str], output: str | None, out: TextIO) -> int:
    """Keep the last line of every item (``item_type`` and ``id``) of JSON Lines files, in the order written.

    Two passes over the files, so memory holds ids, not items. Lines without an id are kept as they
    are; lines that cannot be read are named on stderr and left out (exit status 1).
    """
    last: dict[tuple[str, str], tuple[int, int]] = {}
    unreadable: set[tuple[int, int]] = set()
    total = 0
    for index, path in enumerate(paths):
        with open(path, "rb") as f:
            for number, line in _lines(f):
                total += 1
                try:
                    if isinstance(line, BadLine):
                        raise line
                    item = _load(line)
                except BadLine as exc:
                    unreadable.add((index, number))
                    print(f"{path}: line {number}: {exc}; left out", file=sys.stderr)
                    continue
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    last[(str(item.get("item_type")), item["id"])] = (index, number)
    kept = 0
    target = open(output, "w", encoding="utf-8") if output and output != "-" else out  # noqa: SIM115
    try:
        for index, path in enumerate(paths):
            with open(path, "rb") as f:
                for number, line in _lines(f):
                    if isinstance(line, BadLine) or (index, number) in unreadable:
                        continue
                    item = _load(line)
                    if isinstance(item, dict) and isinstance(item.get("id"), str) and \
                            last.get((str(item.get("item_type")), item["id"])) != (index, number):
                        continue
                    target.write(line if line.endswith("\n") else line + "\n")
                    kept += 1
    finally:
        if target is not out:
            target.close()
    repeats = total - kept - len(unreadable)
    print(f"{kept} items written, {repeats} repeat{'' if repeats == 1 else 's'} dropped"
          + (f", {len(unreadable)} lines could not be read" if unreadable else ""), file=sys.stderr)
    return 1 if unreadable else 0


def extract_json(file: str, url: str, reference: str | None = None) -> dict[str, Any]:
    """The extracted, normalised article of one saved page (plain or gzipped HTML)."""
    from corpus.extract.article import extract_article, read_html

    if not file:
        raise ValueError("a file is needed")
    if not url:
        raise ValueError("a URL is needed (it chooses the outlet's parser and resolves links)")
    return extract_article(read_html(file), url, _reference(reference))


def _print(result: dict[str, Any]) -> int:
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _kibana_import(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.kibana import KibanaError, KibanaTarget, import_objects, report, saved_objects, to_ndjson
    from corpus.search.config import EsConfig

    target = KibanaTarget(args.kibana_url, space=args.space, api_key=args.api_key, username=args.user,
                          password=args.password, verify_certs=not args.insecure)
    if args.insecure:
        print("corpus kibana: warning: TLS certificate verification is off (--insecure)", file=sys.stderr)
    if args.file:
        data = open(args.file, "rb").read()
    else:  # the objects for the aliases this installation indexes into (CORPUS_ES_PREFIX)
        data = to_ndjson(saved_objects(EsConfig.from_env().prefix)).encode()

    def say(message: str) -> None:
        print(f"corpus kibana: {message}", file=sys.stderr)

    try:
        result = asyncio.run(import_objects(target, data, timeout=args.timeout, overwrite=args.overwrite, say=say))
    except KibanaError as exc:
        print(f"corpus kibana: error: {exc}", file=sys.stderr)
        return 1
    return report(result, out, overwrite=args.overwrite)


def _schedule(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.paths import data_dir, schedule_file
    from corpus.schedule import BERLIN, Cron, Scheduler, format_duration, load_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    data = data_dir(args.data_dir)
    jobs = load_jobs(schedule_file(args.file))
    if not args.list:
        logging.getLogger("corpus.schedule").info("Data directory: %s", data)
    scheduler = Scheduler(jobs, data, kill_grace=args.kill_grace, max_parallel=args.max_parallel,
                          stagger=args.stagger, catch_up=args.catch_up)
    if args.list:
        now = datetime.now(BERLIN)
        due = {job.name for job, _ in scheduler.due(now)}
        for job in scheduler.jobs:
            upcoming = Cron(job.cron).next_after(now).strftime("%Y-%m-%d %H:%M %Z")
            if scheduler.waits_for_first_run(job):
                state = f"first run at {upcoming} (a backfill that never ran; --catch-up runs it now)"
            else:
                state = f"due now, then {upcoming}" if job.name in due else upcoming
            extra = " ".join(f"{k}={v}" for k, v in job.args.items())
            timeout = f" timeout={format_duration(job.timeout)}" if job.timeout else ""
            out.write(f"{job.name:<22} {job.spider:<13} {job.cron:<15} next: {state}{timeout} {extra}".rstrip() + "\n")
        return 0
    if args.once:
        return scheduler.run_once()
    return scheduler.run_forever()


@dataclass
class Io:
    """What a command reads and writes, and the parser (for usage errors)."""

    stdin: TextIO
    stdout: TextIO
    parser: argparse.ArgumentParser


def _cmd_extract(args: argparse.Namespace, io: Io) -> int:
    if args.batch == "-":
        return _stream(io.stdin, io.stdout, lambda r: {"file": r.get("file"), **extract_json(
            _string(r.get("file"), "file") or "", _string(r.get("url"), "url") or "",
            _string(r.get("reference"), "reference") or args.reference)})
    if args.batch is not None or not args.file:
        io.parser.error("extract: give FILE --url URL, or --batch - (JSON Lines on stdin)")
    return _print(extract_json(args.file, args.url or "", args.reference))


def _cmd_parse_date(args: argparse.Namespace, io: Io) -> int:
    if args.text == "-":
        return _stream(io.stdin, io.stdout, lambda r: date_json(r.get("text"), r.get("reference") or args.reference))
    return _print(date_json(args.text, args.reference))


def _cmd_parse_byline(args: argparse.Namespace, io: Io) -> int:
    if args.text == "-":
        return _stream(io.stdin, io.stdout, lambda r: byline_json(r.get("text")))
    return _print(byline_json(args.text))


def _cmd_tag(args: argparse.Namespace, io: Io) -> int:
    from corpus.runner import project_settings
    from corpus.topics import default_tagger
    from corpus.topics.entities import default_matcher

    args.entities = args.entities or project_settings().get("CORPUS_ENTITIES_FILE") or None
    default_tagger(args.terms)  # a bad terms or entities file is one error at the start, not one per line
    default_matcher(args.entities)
    if args.source == "-":
        return _stream(io.stdin, io.stdout, lambda r: tag_json(
            r.get("title"), r.get("teaser"), r.get("body"), args.terms, r.get("kicker"), args.entities))
    if args.source is not None or not (args.title or args.teaser or args.body or args.kicker):
        io.parser.error('tag: give "-" (JSON Lines on stdin) or --kicker/--title/--teaser/--body')
    return _print(tag_json(args.title, args.teaser, args.body, args.terms, args.kicker, args.entities))


def build_parser() -> argparse.ArgumentParser:
    """Every sub-command with its arguments; each names its handler with ``set_defaults(handler=...)``."""
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
    crawl.set_defaults(handler=lambda args, io: _scrapy(["crawl", args.spider, *args.scrapy_args]))
    sub.add_parser("list", help="list the spiders").set_defaults(handler=lambda args, io: _scrapy(["list"]))

    date = sub.add_parser(
        "parse-date",
        help="parse a German date: corpus parse-date 'Do., 7. September 2023 - 10:40'",
        description='Prints {"value": ..., "precision": "minute"|"day"|"month"|null}. With "-", reads '
        'JSON Lines {"text": ..., "reference": ...} from stdin. Relative dates ("vor 3 Stunden") '
        "need a reference time (when the page was fetched); without one they give null.",
    )
    date.add_argument("text", help='the date as printed, or "-" for JSON Lines on stdin')
    date.add_argument("--reference", help="ISO 8601 fetch time for relative dates")
    date.set_defaults(handler=_cmd_parse_date)

    byline = sub.add_parser(
        "parse-byline",
        help="split a byline: corpus parse-byline 'VON FELIX LILL UND ANNA BERGMANN'",
        description='Prints {"authors": [...], "agencies": [...]}. With "-", reads JSON Lines '
        '{"text": ...} from stdin.',
    )
    byline.add_argument("text", help='the byline as printed, or "-" for JSON Lines on stdin')
    byline.set_defaults(handler=_cmd_parse_byline)

    tag = sub.add_parser(
        "tag",
        help="country tags and scope: corpus tag - < articles.jsonl",
        description='With "-", reads JSON Lines {"kicker": ..., "title": ..., "teaser": ..., "body": ...} from '
        'stdin (a crawl\'s own output works) and prints {"countries", "pairs", "topic_score", "in_scope", "entities"} '
        'per line (entities: canonical names by kind: person, place, org), '
        "the same the crawl gives; or pass --kicker/--title/--teaser/--body.",
    )
    tag.add_argument("source", nargs="?", help='"-" for JSON Lines on stdin')
    tag.add_argument("--kicker", help="the line above the headline (Dachzeile); tagged with the title, as in a crawl")
    tag.add_argument("--title")
    tag.add_argument("--teaser")
    tag.add_argument("--body")
    tag.add_argument("--terms", help="terms file (default: the shipped corpus/topics/terms.toml)")
    tag.add_argument("--entities", help="entities file (default: CORPUS_ENTITIES_FILE or the shipped "
                     "corpus/topics/entities.toml)")
    tag.set_defaults(handler=_cmd_tag)

    ext = sub.add_parser(
        "extract",
        help="extract an article from a saved page: corpus extract page.html --url URL",
        description="Prints the article a crawl would write for the page (every field of docs/fields.md, "
        "built and normalised by the crawl's own code and pipelines) with the page's reader comments "
        '(comments), and teaser_printed. With --batch -, reads JSON Lines {"file": ..., "url": ...} from '
        "stdin and writes one line per input with the same file key. Gzipped HTML is accepted.",
    )
    ext.add_argument("file", nargs="?", help="saved HTML page (.html or .html.gz)")
    ext.add_argument("--url", help="the URL the page was fetched from")
    ext.add_argument("--reference", help="ISO 8601 fetch time, for relative dates")
    ext.add_argument("--batch", metavar="-", help='"-": JSON Lines {"file", "url"[, "reference"]} on stdin')
    ext.set_defaults(handler=_cmd_extract)

    es = sub.add_parser("es", help="Elasticsearch: setup, status (address from ELASTICSEARCH_URL)")
    es_sub = es.add_subparsers(dest="es_command", required=True, metavar="ES_COMMAND")
    es_sub.add_parser("setup", help="create or update index templates, indices and aliases (idempotent)"
                      ).set_defaults(handler=lambda args, io: asyncio.run(_es_setup()))
    es_sub.add_parser("status", help="cluster health and documents per index"
                      ).set_defaults(handler=lambda args, io: asyncio.run(_es_status()))
    from corpus.archive import ccnews, prune, reprocess

    prune.add_parser(sub)
    reprocess.add_parser(sub)
    ccnews.add_parser(sub)
    index = sub.add_parser(
        "index",
        help="index a JSON Lines file (crawl output or dead-letter file) into Elasticsearch",
        description="Indexes the articles and comments of FILE through the same code as the crawl's "
        "pipeline (updates, never duplicates). What cannot be indexed goes to a dead-letter file.",
    )
    index.add_argument("file")
    index.add_argument("--deadletter", help="dead-letter file (default: under CORPUS_ES_DEADLETTER_DIR/index/)")
    index.set_defaults(handler=lambda args, io: asyncio.run(_index_file(args.file, args.deadletter)))

    dedupe = sub.add_parser(
        "dedupe",
        help="one line per item: corpus dedupe data/cicero/*.jsonl -o cicero.jsonl",
        description="JSON Lines output is written at least once: after a kill, a page finished after the last "
        "checkpoint appears in the outputs of both runs. This keeps the last line of every item (same "
        "item_type and id) across the files, in the order written; lines that cannot be read are named and "
        "left out. (`corpus index` needs no dedupe: ids make it update, not duplicate.)",
    )
    dedupe.add_argument("files", nargs="+", help="JSON Lines files (crawl outputs)")
    dedupe.add_argument("-o", "--output", help="where to write (default: standard output)")
    dedupe.set_defaults(handler=lambda args, io: _dedupe(args.files, args.output, io.stdout))

    from corpus.research import commands as research
    from corpus.stories import commands as stories

    research.add_parsers(sub)
    stories.add_parsers(sub)

    from corpus import doctor

    doctor.add_parser(sub)

    sched = sub.add_parser(
        "schedule",
        help="run crawls on their cron times from a schedule file (foreground service)",
        description="Starts each job of the schedule file (default: schedules.toml) on its cron times, "
        "Europe/Berlin, one `scrapy crawl` process per run; never two runs of a job at once; a run over "
        "its timeout gets SIGINT, then SIGTERM. Every run is recorded in corpus-crawls (or "
        "<data>/crawls.jsonl) and logs to <data>/logs/<job>/.",
    )
    sched.add_argument("--file", default=None,
                       help="schedule file (default: schedules.toml here, else the project's own)")
    sched.add_argument("--data-dir", default=None,
                       help="the data directory of the scheduler and its crawls: outputs, state, logs, locks "
                       "(default: $CORPUS_OUTPUT_DIR, else data/ of the project)")
    sched.add_argument("--max-parallel", type=int, default=4,
                       help="crawls running at once; further due jobs wait (default 4)")
    sched.add_argument("--stagger", type=float, default=60.0,
                       help="seconds between the first runs of jobs that never ran (default 60; 0: as many at once "
                       "as --max-parallel allows)")
    sched.add_argument("--catch-up", action="store_true",
                       help="run backfill jobs that never ran at once too (default: they wait for their first "
                       "cron time)")
    sched.add_argument("--kill-grace", type=float, default=30.0,
                       help="seconds between SIGINT, SIGTERM and SIGKILL for a run over its timeout")
    mode = sched.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run the jobs that are due now, wait for them, exit")
    mode.add_argument("--list", action="store_true", help="print each job with its next run time")
    sched.set_defaults(handler=lambda args, io: _schedule(args, io.stdout))

    kib = sub.add_parser("kibana", help="Kibana: import the data views, searches and dashboard")
    kib_sub = kib.add_subparsers(dest="kibana_command", required=True, metavar="KIBANA_COMMAND")
    imp = kib_sub.add_parser(
        "import",
        help="import corpus/kibana/saved_objects.ndjson through Kibana's saved objects API",
        description="Waits for Kibana to answer /api/status with 'available' or 'degraded' (a degraded Kibana "
        "takes imports; the level is printed), imports the saved objects, retrying what passes (no connection, "
        "HTTP 429, 5xx) with back-off, and prints one line per object: ok, kept (it exists and is left as it is: "
        "analysts' edits survive; --overwrite replaces it), or the error Kibana gave. Credentials also come "
        "from KIBANA_API_KEY or KIBANA_USERNAME/KIBANA_PASSWORD (preferred: arguments show in the process list).",
    )
    imp.add_argument("--kibana-url", default=os.environ.get("KIBANA_URL", "http://localhost:5601"),
                     help="default: $KIBANA_URL or http://localhost:5601")
    who = imp.add_mutually_exclusive_group()
    who.add_argument("--api-key", default=os.environ.get("KIBANA_API_KEY") or None, help="base64 API key")
    who.add_argument("--user", default=os.environ.get("KIBANA_USERNAME") or None)
    imp.add_argument("--password", default=os.environ.get("KIBANA_PASSWORD") or None)
    imp.add_argument("--space", help="Kibana space id (default: the default space)")
    imp.add_argument("--file", default=None,
                     help="NDJSON file (default: the saved objects for the aliases of CORPUS_ES_PREFIX, 'corpus' by "
                     "default: the same as corpus/kibana/saved_objects.ndjson)")
    imp.add_argument("--overwrite", action="store_true",
                     help="replace objects that already exist (default: keep them, with any edits made in Kibana)")
    imp.add_argument("--timeout", type=float, default=120.0,
                     help="seconds to wait for Kibana to be ready and for the import to go through, retries included")
    imp.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate (logs a warning)")
    imp.set_defaults(handler=lambda args, io: _kibana_import(args, io.stdout))
    return parser


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    io = Io(stdin or sys.stdin, stdout or sys.stdout, parser)
    try:
        return int(args.handler(args, io))
    except EsUnavailable as exc:
        print(f"corpus {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError, ConnectionError) as exc:
        print(f"corpus {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
