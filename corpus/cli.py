"""The ``corpus`` command: the crawler's entry point from any directory.

``corpus crawl cicero -a mode=backfill`` is ``scrapy crawl`` with this
project's settings, wherever it is run from; ``corpus list`` shows the
spiders. Later sub-commands (Elasticsearch setup, scheduling, Kibana) hang
off the same parser.
"""

from __future__ import annotations

import argparse
import os
import sys


def _scrapy(argv: list[str]) -> int:
    # Works outside the repository too: the settings module is importable once installed.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "corpus.settings")
    from scrapy.cmdline import execute

    try:
        execute(["scrapy", *argv])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    if args.command == "crawl":
        return _scrapy(["crawl", args.spider, *args.scrapy_args])
    if args.command == "list":
        return _scrapy(["list"])
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
