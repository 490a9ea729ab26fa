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
import json
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
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            result = handle(record)
        except (ValueError, TypeError) as exc:
            failures += 1
            result = {"error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return 1 if failures else 0


def _print(result: dict[str, Any]) -> int:
    print(json.dumps(result, ensure_ascii=False))
    return 0


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
        "data/<spider>/<start>.jsonl.",
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

    args = parser.parse_args(argv)
    try:
        if args.command == "crawl":
            return _scrapy(["crawl", args.spider, *args.scrapy_args])
        if args.command == "list":
            return _scrapy(["list"])
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
    except (ValueError, OSError) as exc:
        print(f"corpus {args.command}: error: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
