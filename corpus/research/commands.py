"""``corpus search``, ``corpus count``, ``corpus export`` and ``corpus cite``: the corpus from a terminal.

Each reads Elasticsearch when ``ELASTICSEARCH_URL`` is set, else the JSON Lines files of the
data directory (``--source`` chooses, ``--input FILE...`` names files), with the same filters.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from corpus.research.export import Format
from corpus.research.query import COUNTRIES, Filters, QueryError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def add_filters(parser: argparse.ArgumentParser, query: bool = True) -> None:
    if query:
        parser.add_argument("-q", "--query", help='full-text query, e.g. \'Kim AND Putin\', \'"Kim Jong-un"\' '
                            "(Lucene syntax with Elasticsearch; words and \"phrases\" without it)")
    parser.add_argument("--outlet", type=_list, default=[], help="spider names, comma-separated (cicero,zeit)")
    parser.add_argument("--country", type=_list, default=[],
                        help=f"country tags, comma-separated, any of them ({','.join(COUNTRIES)})")
    parser.add_argument("--since", type=_date, help="published on or after this day (YYYY-MM-DD, Berlin time)")
    parser.add_argument("--until", type=_date, help="published on or before this day")
    parser.add_argument("--scope", choices=("in", "out", "all"), default="in",
                        help="in: articles the scope classifier kept as Korea–Russia–China (default); out; all")
    parser.add_argument("--source", choices=("auto", "es", "files"), default="auto",
                        help="auto (default): Elasticsearch when ELASTICSEARCH_URL is set, else the data directory's "
                        "JSON Lines files")
    parser.add_argument("--input", nargs="+", metavar="FILE", help="read these JSON Lines files instead")


def add_parsers(sub: Any) -> None:
    search = sub.add_parser(
        "search", help='full-text search: corpus search "Kim Jong-un" --country KP,RU',
        description="Prints the best matches (Elasticsearch: by relevance with the German analyser; files: newest "
        "first): date, outlet, title, URL. --json prints one JSON object per hit.")
    search.add_argument("query", nargs="?", help="the query (see --query of the other commands)")
    add_filters(search, query=False)
    search.add_argument("-n", "--size", type=int, default=20, help="hits to print (default 20)")
    search.add_argument("--json", action="store_true", help="JSON Lines: id, title, outlet, published_at, url ...")
    search.set_defaults(handler=lambda args, io: run(args, io.stdout))

    count = sub.add_parser(
        "count", help="articles per period and country/outlet/author: corpus count --by week,country",
        description="Prints CSV: one row per combination of the --by keys with its number of articles. An "
        "article tagged with two countries counts for each; weeks start on Monday (Europe/Berlin). Articles "
        "whose date is too coarse for the period (a month-only date has no week) are left out and counted on "
        "stderr.")
    count.add_argument("--by", required=True,
                       help="a period (day, week, month, year) and/or country, outlet, author, agency, section, "
                       "pair; comma-separated")
    add_filters(count)
    count.add_argument("-o", "--output", help="CSV file (default: standard output)")
    count.set_defaults(handler=lambda args, io: run(args, io.stdout))

    export = sub.add_parser(
        "export", help="one row per article (or comment) as CSV, Parquet or JSON Lines",
        description="One row per article, the newest version of each, with dates pandas and R read "
        "(published_utc, published_date, published_precision) and provenance columns (source, crawl_run, "
        "fetched_at, archive, software_version, terms_digest). docs/fields.md describes every column.")
    add_filters(export)
    export.add_argument("-o", "--output", required=True, help="the file to write")
    export.add_argument("--format", choices=("csv", "parquet", "jsonl"),
                        help="default: from the file's suffix (.csv, .parquet, .jsonl)")
    export.add_argument("--items", choices=("articles", "comments"), default="articles",
                        help="articles (default) or reader comments (filtered by their article's countries)")
    export.set_defaults(handler=lambda args, io: run(args, io.stdout))

    source = sub.add_parser(
        "show-source", help="the archived page an article or comment was built from: corpus show-source ID|URL",
        description="Prints the page as it was fetched (the body from the web archive, its payload digest "
        "checked), or writes it to a file with -o. The item's `archive` field says where it is.")
    source.add_argument("item", help="the article's or comment's id, or the article's URL")
    source.add_argument("-o", "--output", type=Path, help="write the page here instead of printing it")
    source.add_argument("--headers", action="store_true", help="print the HTTP status and headers first")
    source.add_argument("--archive-dir", help="the WARC files' directory (default: CORPUS_ARCHIVE_DIR, else "
                        "<CORPUS_OUTPUT_DIR>/archive)")
    source.add_argument("--source", choices=("auto", "es", "files"), default="auto")
    source.add_argument("--input", nargs="+", metavar="FILE", help="read these JSON Lines files instead")
    source.set_defaults(handler=lambda args, io: run(args, io.stdout))

    cite = sub.add_parser(
        "cite", help="a citation of one article: corpus cite ID|URL [--format bibtex]",
        description="Prints a reference (outlet, authors, title, date, URL, accessed date) with the corpus's own "
        "reference (article id, version, crawl run, archive record).")
    cite.add_argument("article", help="the article's id, or its URL")
    cite.add_argument("--format", choices=("text", "bibtex", "csl"), default="text")
    cite.add_argument("--source", choices=("auto", "es", "files"), default="auto")
    cite.add_argument("--input", nargs="+", metavar="FILE", help="read these JSON Lines files instead")
    cite.set_defaults(handler=lambda args, io: run(args, io.stdout))


def _filters(args: argparse.Namespace, query: str | None) -> Filters:
    return Filters(query=query, outlets=args.outlet, countries=args.country, since=args.since,
                   until=args.until, scope=args.scope)


def _store(args: argparse.Namespace) -> Any:
    from corpus.research.store import open_store

    return open_store(args.source, args.input)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run one of the four commands; ``ValueError`` (bad input) and ``EsUnavailable`` propagate to the caller."""
    try:
        return _COMMANDS[args.command](args, out)
    except QueryError:
        raise
    except Exception as exc:  # Elasticsearch's own errors, in one line
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        from corpus.cli import EsUnavailable
        from corpus.search.indexer import refusal_reason

        if isinstance(exc, ApiError):
            if exc.status_code == 400:
                raise QueryError(f"Elasticsearch refused the query: {refusal_reason(exc)}") from None
            if exc.status_code == 404:
                raise EsUnavailable("the corpus indices are not there (run a crawl, or: corpus es setup)") from None
            raise EsUnavailable(f"Elasticsearch answered HTTP {exc.status_code}: {refusal_reason(exc)}") from None
        if isinstance(exc, TransportError):
            raise EsUnavailable(f"cannot reach Elasticsearch: {type(exc).__name__}: {exc.message}") from None
        raise


def _search(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    hits = store.search(_filters(args, args.query), args.size)
    for hit in hits:
        if args.json:
            keep = ("id", "title", "kicker", "outlet", "published_at", "url", "canonical_url", "countries", "authors",
                    "in_scope", "score")
            out.write(json.dumps({k: hit.get(k) for k in keep}, ensure_ascii=False) + "\n")
        else:
            day = (hit.get("published_at") or "")[:10] or "undated"
            url = hit.get("canonical_url") or hit.get("url")
            out.write(f"{day:<10}  {hit.get('outlet', ''):<12} {hit.get('title')}\n{'':24}{url}\n")
    if not args.json:
        print(f"{len(hits)} shown ({store.description})", file=sys.stderr)
    return 0


def _count(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.research.store import parse_by

    by = parse_by(args.by)
    store = _store(args)
    rows, left_out = store.count(_filters(args, args.query), by)
    target = open(args.output, "w", encoding="utf-8", newline="") if args.output else out  # noqa: SIM115
    try:
        writer = csv.writer(target)
        writer.writerow([*by, "articles"])
        for record in rows:
            writer.writerow(["" if v is None else v for v in record])
    finally:
        if target is not out:
            target.close()
    note = f"; {left_out} articles left out (no date precise enough for the period)" if left_out else ""
    print(f"{sum(r[-1] for r in rows)} counted in {len(rows)} rows ({store.description}){note}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace, out: TextIO) -> int:
    from tqdm import tqdm

    from corpus.research.export import row, write

    path = Path(args.output)
    fmt: Format | None = args.format or _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise QueryError(f"give --format (csv, parquet or jsonl); {path.name!r} does not say which")
    comments = args.items == "comments"
    store = _store(args)
    filters = _filters(args, args.query)
    total = store.total(filters, comments)
    with tqdm(total=total, unit=" rows", desc=f"export {path.name}", disable=not sys.stderr.isatty(),
              file=sys.stderr) as progress:
        def rows() -> Any:
            for item in store.items(filters, comments):
                progress.update(1)
                yield row(item, comments)

        written = write(rows(), path, fmt, comments)
    print(f"{written} {args.items} written to {path} ({fmt}; {store.description})", file=sys.stderr)
    return 0


_SUFFIXES: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _lookup(store: Any, given: str) -> dict[str, Any] | None:
    """The article or comment with id ``given``, or the article at URL ``given``."""
    from corpus.normalize.urls import canonicalize_url, url_id

    return store.get(url_id(canonicalize_url(given)) if "://" in given else given)


def _cite(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.research.cite import FORMATS

    store = _store(args)
    article = _lookup(store, args.article)
    if article is None or article.get("item_type", "article") != "article":
        raise QueryError(f"no article {args.article!r} in {store.description}")
    out.write(FORMATS[args.format](article) + "\n")
    return 0


def _show_source(args: argparse.Namespace, out: TextIO) -> int:
    from corpus.archive.middleware import archive_dir
    from corpus.archive.reader import ArchiveError, read_source

    store = _store(args)
    item = _lookup(store, args.item)
    if item is None:
        raise QueryError(f"no article or comment {args.item!r} in {store.description}")
    where = item.get("archive")
    if not isinstance(where, dict):
        raise QueryError(f"{args.item}: no archived page (crawled with CORPUS_ARCHIVE=false, or before the "
                         "web archive was kept)")
    directory = args.archive_dir or archive_dir()
    try:
        source = read_source(directory, where)
    except ArchiveError as exc:
        raise QueryError(str(exc)) from None
    head = ""
    if args.headers:
        lines = [f"{source.record_type} {source.url} fetched {source.fetched_at}"]
        if source.status:
            lines.append(f"HTTP {source.status}")
        lines += [f"{name}: {value}" for name, value in source.http_headers]
        head = "\n".join(lines) + "\n\n"
    if args.output:
        args.output.write_bytes(source.body)
        out.write(f"{head}wrote {len(source.body):,} bytes of {source.url} (fetched {source.fetched_at}) "
                  f"to {args.output}\n")
        return 0
    out.write(head)
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        buffer.write(source.body)
        buffer.flush()
    else:  # a text stream only (tests): the page's bytes as UTF-8 text
        out.write(source.body.decode("utf-8", errors="replace"))
    return 0


_COMMANDS = {"search": _search, "count": _count, "export": _export, "cite": _cite, "show-source": _show_source}
