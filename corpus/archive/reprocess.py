"""``corpus reprocess``: the corpus built again from the web archive, by today's code, without the network.

Every archived article page (:mod:`corpus.archive.scan`) is read as the crawl read it: the
same response (headers and content-decoded body from the record), the same page judgement
(:mod:`corpus.pagekind`), the same article and comment building (:mod:`corpus.build`,
:func:`corpus.commentpages.page_comments`, over the comment pages the crawl fetched for it)
and the same pipelines (:class:`corpus.runner.ItemRunner`). Ids come from the outlet's URLs,
so the items replace the ones the crawl wrote; ``crawled_at`` is the record's fetch time and
``archive`` points at the record, as in the crawl. What differs is ``processed_at`` and,
after a code change, ``extractor_version`` and whatever the new code reads differently.

Versions: the same archived page read again (the stored payload digest) is a reprocess (the
fields are updated, the version stays); a page of another fetch whose content differs is a
new version, as in a crawl (:mod:`corpus.search.documents`, :class:`corpus.state.LocalState`).

Scope: without ``rescope`` the crawl's decisions stand: an article the corpus remembers as
out of scope stays a light record (:class:`corpus.items.OffTopic`) and one the corpus holds
stays; an article the corpus knows nothing of is judged by today's terms. With
``rescope`` every article remembered as out of scope is judged again by today's terms, and
one now in scope comes into the corpus with its comments, read from the archive (its light
record leaves ``corpus-offtopic``). An article the corpus holds is never taken out.

Pages are read in ``workers`` processes (all cores: the work is CPU-bound); items are stored
(the local state, Elasticsearch with ``index``, the JSON Lines output) by this process, in the
order of the archive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO
from urllib.parse import urlsplit

from corpus.archive.reader import ArchiveError, read_source, scrapy_response
from corpus.archive.scan import Entry, FileInfo, Task, archive_files, scan
from corpus.items import Article, Comment, OffTopic

logger = logging.getLogger(__name__)

CHUNK = 8  # article pages per work unit sent to a worker process
# fields whose change a summary counts, when the corpus held the article before
COMPARED = ("title", "teaser", "body", "kicker", "section", "authors", "agencies", "published_at", "modified_at",
            "image", "keywords", "countries", "topic_score", "in_scope", "comment_count")


@dataclass
class Options:
    """What a reprocess reads with (sent to the worker processes)."""

    settings: dict[str, Any] = field(default_factory=dict)  # setting overrides (the terms file)


@dataclass
class Result:
    """What one article page gave: its article and comments after the pipelines, or why not."""

    url: str
    pages: int
    run: str  # the crawl run that fetched the page (or its file, for another crawler's archive)
    article: Article | None = None
    comments: list[Comment] = field(default_factory=list)
    skipped: str | None = None  # not an article, not HTML, dropped by a pipeline (the reason)
    error: str | None = None  # the archive could not be read, or the page could not be parsed


# --- reading one article page (in a worker process) ----------------------------------------------------


_options = Options()


def _init(options: Options) -> None:
    global _options
    _options = options
    _runner.cache_clear()


@lru_cache(maxsize=1)
def _runner() -> Any:
    """The processing pipelines, with every article kept and tagged (this process decides the scope), and
    without the dedupe pipeline: a worker sees some of the pages only (this process drops repeats)."""
    from corpus.runner import ItemRunner, project_settings

    base = project_settings(**_options.settings)
    pipelines = {**base.getdict("ITEM_PIPELINES"), "pipelines.dedupe.DedupePipeline": None}
    spider = SimpleNamespace(name="reprocess", scope="all", args=SimpleNamespace(incremental=False))
    return ItemRunner(project_settings(**{**_options.settings, "ITEM_PIPELINES": pipelines}), spider=spider)


@lru_cache(maxsize=64)
def _outlet(info: FileInfo, host: str) -> tuple[Any, Any]:
    """The spider class of a file's outlet (by name, else by the page's host) and its article URL rule."""
    from corpus.discovery import ArticleUrls
    from corpus.extract.article import spider_for, spider_named

    spider = spider_named(info.spider) or spider_for(f"https://{host}/")
    if spider is None:
        return None, None
    origin = info.fetched_base or spider.base_url
    domain = (urlsplit(origin).hostname or host).removeprefix("www.")
    return spider, ArticleUrls(domain, spider.article_path, spider.deny)


def _response(entry: Entry) -> Any:
    """The archived response as Scrapy gave it to the spider: content-decoded, of the class its type says."""
    source = read_source(Path(entry.path).parent, entry.where)
    return scrapy_response(source.url, source.status, source.http_headers, source.body, entry.content_type)


def _warm() -> None:
    """Import and build what reading a page needs (the parsers, the spiders, the pipelines and their terms),
    so that forked workers start with it instead of each doing it again."""
    import scrapy.http  # noqa: F401
    import scrapy.responsetypes  # noqa: F401

    import corpus.commentpages  # noqa: F401
    import corpus.responses  # noqa: F401
    from corpus.extract.article import spider_for

    spider_for("https://www.cicero.de/")
    _runner()


def read_task(task: Task) -> Result:
    """One archived article page and its comment pages, read as the crawl read them."""
    entry, info = task.article, task.info
    try:
        response = _response(entry)
    except ArchiveError as exc:
        return Result(entry.url, task.pages, info.crawl_run or info.path, error=str(exc))
    comment_pages = ((_response(further), further.where) for further in task.comment_pages)
    return read_page(response, info, entry.where, hints=entry.meta, comment_pages=comment_pages,
                     pages=task.pages, source=info.source)


def read_page(response: Any, info: FileInfo, where: dict[str, Any], *, hints: dict[str, Any] | None = None,
              comment_pages: Iterator[tuple[Any, dict[str, Any]]] | None = None, pages: int = 1,
              source: str = "crawl") -> Result:
    """An archived article page (a Scrapy response), and the comment pages the crawl read for it, read as the
    crawl read them: the article and its comments after the processing pipelines, or why there are none.

    Args:
        info: the crawl that archived it (outlet, base URLs, crawl run, whether comments were read).
        where: the item's ``archive`` reference (``fetched_at`` is its fetch time).
        hints: the article page's metadata (a news sitemap's date and title).
        comment_pages: (response, archive reference) of each further comment page, in order.
        source: the items' ``source`` (``crawl``, ``ccnews``, ``wayback``).
    """
    from corpus.build import fetched_time, read_article
    from corpus.commentpages import page_comments
    from corpus.config import CrawlSettings
    from corpus.extract import OutletParser, Page
    from corpus.extract.navigation import CommentReader
    from corpus.outlethealth import OutletHealth
    from corpus.responses import article_page, count_extraction, judge_page
    from corpus.stats import Counts

    result = Result(response.url, pages, info.crawl_run or info.path)
    stats = Counts()  # what the crawl's helpers count; a reprocess summarises results, not these
    try:
        page = article_page(response, stats)
        if page is None:
            result.skipped = "not a readable HTML page"
            return result
        host = urlsplit(response.url).hostname or ""
        spider, urls = _outlet(info, host)
        parser = spider.parser if spider is not None else OutletParser
        outlet = spider.name if spider is not None else (info.spider or host)
        outlet_base = info.outlet_base or (spider.base_url if spider is not None else "")
        fetched_base = info.fetched_base or outlet_base

        def own_url(url: str) -> str:
            if fetched_base != outlet_base and url.startswith(fetched_base):
                return outlet_base + url[len(fetched_base):]
            return url

        read = read_article(page, parser, outlet=outlet, outlet_name=getattr(spider, "outlet_name", None) or None,
                            own_url=own_url, hints=hints, crawled_at=fetched_time(where.get("fetched_at")),
                            crawl_run=info.crawl_run)
        url_is_article = bool(urls is not None and urls(response.url))
        if not judge_page(page, read, url_is_article, None, OutletHealth(), stats):
            result.skipped = "not an article"
            return result
        count_extraction(read, page, stats)
        article = read.article
        article.archive, article.source = where, source
        comments: list[Comment] = []
        if info.comments:
            limit = CrawlSettings.from_settings(_runner().settings).max_comments
            comments, _ = page_comments(read.comments, article, [], outlet=outlet, max_comments=limit,
                                        archive=where, crawl_run=info.crawl_run)
            for more, more_where in comment_pages or ():
                reader = CommentReader(Page(more.url, more.text), parser)
                new, _ = page_comments(reader, article, comments, outlet=outlet, max_comments=limit,
                                       archive=more_where, crawl_run=info.crawl_run)
                if not new:  # the crawl stopped here too (a page that repeats earlier ones)
                    break
                comments += new
        for comment in comments:
            comment.source = source
        article.comment_count = len(comments) if info.comments else None
        outcomes = _runner().run([article, *comments])
    except ArchiveError as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # a page the parsers cannot read: counted and named, never the end of the run
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    first, rest = outcomes[0], outcomes[1:]
    if first.dropped:
        result.skipped = f"dropped: {first.dropped}"
        return result
    result.article = first.item
    result.comments = [o.item for o in rest if not o.dropped]
    return result


def _read_chunk(tasks: list[Task]) -> list[Result]:
    return [read_task(task) for task in tasks]


# --- the run (this process) -------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a reprocess did, for the closing lines."""

    files: int = 0
    pages: int = 0
    articles: int = 0  # into the corpus
    comments: int = 0
    offtopic: int = 0  # light records (out of scope)
    brought_in: int = 0  # out of scope before, in the corpus now (rescope)
    new: int = 0  # articles the corpus did not hold
    unchanged: int = 0
    changed: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    indexed: bool = False
    output: str | None = None
    offtopic_output: str | None = None

    def lines(self) -> list[str]:
        lines = [
            f"reprocessed {self.pages} archived pages from {self.files} WARC file{'s' if self.files != 1 else ''}",
            f"  articles: {self.articles} into the corpus ({self.new} new, {self.changed} changed, {self.unchanged} "
            f"unchanged), {self.comments} comments",
            f"  out of scope: {self.offtopic} light records"
            + (f"; {self.brought_in} brought into the corpus by --rescope" if self.brought_in else ""),
        ]
        if self.fields:
            lines.append("  changed fields: " + ", ".join(f"{k} {v}" for k, v in self.fields.most_common()))
        if self.skipped:
            lines.append("  not written: " + ", ".join(f"{k} {v}" for k, v in self.skipped.most_common()))
        lines.append(f"  errors: {self.errors}" + (" (named in the log above)" if self.errors else ""))
        if self.output:
            lines.append(f"  output: {self.output}")
        if self.offtopic_output:
            lines.append(f"  light records: {self.offtopic_output}")
        if self.indexed:
            lines.append("  indexed into Elasticsearch")
        return lines


class _Work:
    """The chunks' results in the archive's order: read here (one worker) or in ``workers`` processes.

    The processes are started (forked, so that they begin with what this process imported: the
    parsers, the terms) when this is made, before the event loop, the progress bar or a client
    starts a thread. Iterating gives lists of results, or futures of them.
    """

    def __init__(self, tasks: list[Task], workers: int, options: Options) -> None:
        chunks = [tasks[i:i + CHUNK] for i in range(0, len(tasks), CHUNK)]
        self.options = options
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.pending: deque[concurrent.futures.Future[list[Result]]] = deque()
        self.first: list[Result] | None = None
        _init(options)
        if workers > 1 and chunks:
            # the first chunk is read here: every cache a page fills (compiled patterns, the outlet's parser, the
            # terms) is then filled once, before the fork, instead of once in every worker
            _warm()
            self.first = _read_chunk(chunks.pop(0))
            gc.freeze()  # what the workers inherit is never scanned by their garbage collector
            self.pool = concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"), initializer=_init, initargs=(options,))
            for chunk in chunks[:workers * 3]:  # a few chunks ahead per worker, no more: results wait in memory
                self.pending.append(self.pool.submit(_read_chunk, chunk))
            chunks = chunks[workers * 3:]
        self.chunks = iter(chunks)

    def __iter__(self) -> Iterator[Any]:
        if self.first is not None:
            yield self.first
        if self.pool is None:
            for chunk in self.chunks:
                yield _read_chunk(chunk)
            return
        while self.pending:
            yield self.pending.popleft()
            following = next(self.chunks, None)
            if following is not None:
                self.pending.append(self.pool.submit(_read_chunk, following))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class _Output:
    """A JSON Lines file written as the crawl writes its feed (opened on the first line)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: Any = None
        self._exporter: Any = None
        self.lines = 0

    def write(self, item: Any) -> None:
        if self.path is None:
            return
        if self._exporter is None:
            from corpus.exporters import JsonLinesExporter

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb")  # noqa: SIM115 (closed in close())
            self._exporter = JsonLinesExporter(self._file, encoding="utf-8")
            self._exporter.start_exporting()
        self._exporter.export_item(item)
        self.lines += 1

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._exporter is not None:
            self._exporter.finish_exporting()
            self._file.close()


class _Corpus:
    """What the corpus holds already: the local state, and Elasticsearch when indexing."""

    def __init__(self, local: Any, es_config: Any = None) -> None:
        self.local = local
        self.es: Any = None
        if es_config is not None:
            from elasticsearch import Elasticsearch

            self.es = Elasticsearch(**es_config.client_kwargs())
            self.articles, self.offtopic = es_config.alias("articles"), es_config.alias("offtopic")
        self._warned = False

    def previous(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The compared fields of these articles, and ``dropped`` (the terms digest) for those remembered as
        out of scope."""
        found: dict[str, dict[str, Any]] = {}
        if not ids:
            return found
        for article_id, known in self.local.lookup(ids).items():
            found[article_id] = {"dropped": known.dropped, "content_hash": known.content_hash}
        for article_id, fields in self.local.stored(ids).items():
            found[article_id].update(fields)
        if self.es is not None:
            from elasticsearch import NotFoundError

            try:
                response = self.es.mget(index=self.articles, ids=ids, source_includes=[*COMPARED, "content_hash"])
            except NotFoundError:
                return found  # no articles index yet
            except Exception as exc:  # the articles are still indexed (the pipeline retries), only not compared
                if not self._warned:
                    logger.warning("Elasticsearch did not say what it holds (%s: %s); articles are judged as "
                                   "new to the corpus", type(exc).__name__, exc)
                    self._warned = True
                return found
            for doc in response["docs"]:
                if doc.get("found"):
                    found.setdefault(doc["_id"], {}).update(doc.get("_source", {}), dropped=None)
        return found

    def forget_offtopic(self, ids: list[str]) -> None:
        """Articles now in the corpus: no longer remembered as out of scope, their light records removed."""
        self.local.clear_dropped(ids)
        if self.es is not None:
            operations = [{"delete": {"_index": self.offtopic, "_id": article_id}} for article_id in ids]
            try:
                self.es.bulk(operations=operations, refresh=True)
            except Exception as exc:
                logger.warning("the light records of %d articles brought into the corpus stay in %s (%s: %s)",
                               len(ids), self.offtopic, type(exc).__name__, exc)

    def close(self) -> None:
        if self.es is not None:
            self.es.close()


def settings_for(*, index: bool, terms: str | None) -> tuple[Any, dict[str, Any]]:
    """The settings items are read and stored with, and the overrides that make them (for worker processes):
    ``terms`` as the terms file, the Elasticsearch pipeline only with ``index``.

    Raises:
        ValueError: no such terms file, or ``index`` without Elasticsearch configured.
    """
    from corpus.runner import project_settings
    from corpus.search.config import EsConfig

    overrides: dict[str, Any] = {}
    if terms:
        if not Path(terms).is_file():
            raise ValueError(f"--terms {terms}: no such file")
        overrides["CORPUS_TOPIC_TERMS_FILE"] = str(Path(terms).resolve())
    base = project_settings()
    if index and not EsConfig.from_settings(base).enabled:
        raise ValueError("--index needs Elasticsearch: set ELASTICSEARCH_URL (or CORPUS_ES_HOSTS)")
    if not index:  # the JSON Lines output only, even where Elasticsearch is configured
        overrides["ITEM_PIPELINES"] = {**base.getdict("ITEM_PIPELINES"),
                                       "pipelines.elasticsearch.ElasticsearchPipeline": None}
    return project_settings(**overrides), overrides


def reprocess(paths: list[str], *, outlets: set[str] | None = None, since: date | None = None, workers: int = 1,
              output: str | None = None, index: bool = False, rescope: bool = False, terms: str | None = None,
              progress: bool | None = None, err: TextIO | None = None) -> Summary:
    """Read the archived article pages under ``paths`` again and store their items (see the module docstring).

    Raises:
        ValueError: no WARC files, or ``index`` without Elasticsearch configured.
    """
    from tqdm import tqdm

    err = err or sys.stderr
    settings, overrides = settings_for(index=index, terms=terms)
    files = archive_files(paths)
    tasks, counts = scan(files, outlets=outlets, since=since)
    summary = Summary(files=len(files), indexed=index, errors=counts["damaged files"])
    total = sum(task.pages for task in tasks)
    print(f"reprocess: {len(tasks)} article pages ({total} pages with their comment pages) in {len(files)} "
          f"WARC file{'s' if len(files) != 1 else ''}; {max(1, workers)} worker{'s' if workers > 1 else ''}",
          file=err)
    work = _Work(tasks, workers, Options(settings=overrides))

    async def run() -> None:
        store = Store(settings, summary, name="reprocess", rescope=rescope, index=index, output=output)
        bar = tqdm(total=total, unit="page", desc="reprocess", disable=None if progress is None else not progress,
                   file=err)
        await store.open()
        try:
            for chunk in work:
                batch = await asyncio.wrap_future(chunk) if isinstance(chunk, concurrent.futures.Future) else chunk
                await store.add(batch)
                bar.update(sum(result.pages for result in batch))
        finally:
            bar.close()
            await store.close()

    try:
        asyncio.run(run())
    finally:
        work.close()
    return summary


class Store:
    """Where read pages go: the scope decision (see the module docstring), the storage pipelines (the local
    state; Elasticsearch with ``index``), the JSON Lines output and the light records' file.

    Args:
        name: the job (``reprocess``, ``ccnews``): the default output is ``<data>/<name>/<run>.jsonl``,
            the light records go to ``<data>/offtopic/<name>/<run>.jsonl``.
        output: the JSON Lines file (default: the one above unless ``index``).
    """

    def __init__(self, settings: Any, summary: Summary, *, name: str, rescope: bool, index: bool,
                 output: str | None) -> None:
        from corpus.paths import data_dir
        from corpus.runner import ItemRunner
        from corpus.runs import new_run_name
        from corpus.search.config import EsConfig
        from corpus.state import local_state

        run = new_run_name()
        data = data_dir(settings.get("CORPUS_OUTPUT_DIR"))
        self.out_path = Path(output) if output else (None if index else data / name / f"{run}.jsonl")
        self.offtopic_path = data / "offtopic" / name / f"{run}.jsonl"
        self.summary, self.rescope = summary, rescope
        spider = SimpleNamespace(name=name, scope="in", args=SimpleNamespace(incremental=False))
        self.storage = ItemRunner(settings, spider=spider, storage=True, processing=False)
        self.corpus = _Corpus(local_state(settings), EsConfig.from_settings(settings) if index else None)
        self.output, self.offtopic = _Output(self.out_path), _Output(self.offtopic_path)
        self.brought_in: list[str] = []
        self.seen: set[tuple[str, str, str]] = set()  # (crawl run, item type, id): a crawl wrote each item once

    async def open(self) -> None:
        await self.storage.open()

    async def add(self, batch: list[Result]) -> None:
        """Store the results of some pages, in order."""
        previous = self.corpus.previous([r.article.id for r in batch if r.article is not None and r.article.id])
        for result in batch:
            self.summary.pages += result.pages
            if result.article is not None:
                key = (result.run, "article", result.article.id or "")
                if key in self.seen:  # the crawl fetched it twice and wrote it once (its dedupe pipeline)
                    self.summary.skipped["repeated in its crawl"] += 1
                    continue
                self.seen.add(key)
            await self._one(result, previous)

    async def checkpoint(self) -> None:
        """Everything added so far is written: the outputs flushed, Elasticsearch's buffer sent, the state committed."""
        for output in (self.output, self.offtopic):
            output.flush()
        for pipeline in self.storage.pipelines:
            checkpoint = getattr(pipeline, "checkpoint", None)
            if checkpoint is not None:
                done = checkpoint()
                if asyncio.iscoroutine(done):
                    await done

    async def close(self) -> None:
        try:
            if self.brought_in:  # before the close, which commits the local state
                self.corpus.forget_offtopic(self.brought_in)
        finally:
            await self.storage.close()
            self.corpus.close()
            self.output.close()
            self.offtopic.close()
        self.summary.output = str(self.out_path) if self.out_path is not None and self.output.lines else None
        self.summary.offtopic_output = str(self.offtopic_path) if self.offtopic.lines else None

    async def _one(self, result: Result, previous: dict[str, dict[str, Any]]) -> None:
        summary = self.summary
        if result.error:
            summary.errors += 1
            logger.error("%s: %s", result.url, result.error)
            return
        if result.article is None:
            summary.skipped[result.skipped or "not written"] += 1
            return
        article = result.article
        before = previous.get(article.id or "")
        dropped = before is not None and before.get("dropped") is not None
        if before is None or (dropped and self.rescope):
            keep = bool(article.in_scope)  # today's terms decide
        else:
            keep = not dropped  # the earlier decision stands
        if not keep:
            outcome = await self.storage.process(OffTopic.of(article))
            if not outcome.dropped:
                self.offtopic.write(outcome.item)
                summary.offtopic += 1
            return
        if dropped:
            self.brought_in.append(article.id or "")
            summary.brought_in += 1
            before = None
        if before is None:
            summary.new += 1
        else:
            changed = [name for name in COMPARED if name in before and before[name] != getattr(article, name)]
            summary.fields.update(changed)
            if changed:
                summary.changed += 1
            else:
                summary.unchanged += 1
        for item in (article, *result.comments):
            outcome = await self.storage.process(item)
            if outcome.dropped:
                continue
            self.output.write(outcome.item)
            if isinstance(item, Article):
                summary.articles += 1
            else:
                summary.comments += 1


def parse_outlets(value: str | None) -> set[str] | None:
    """``spiegel,zeit`` -> the spider names (``ValueError`` naming what is no outlet)."""
    if not value:
        return None
    from corpus.extract.article import spider_named

    names = {part.strip() for part in value.split(",") if part.strip()}
    unknown = sorted(name for name in names if spider_named(name) is None)
    if unknown:
        raise ValueError(f"--outlets: no spider named {', '.join(unknown)}")
    return names




def add_parser(sub: Any) -> None:
    """``corpus reprocess``."""
    import os

    cmd = sub.add_parser(
        "reprocess",
        help="build the corpus again from the web archive with today's parsers: corpus reprocess data/archive",
        description="Reads every archived article page (and the comment pages the crawl fetched for it) under PATH "
        "(WARC files, or folders of them; default: the archive directory) again, without the network, with "
        "today's parsers and pipelines, into JSON Lines (-o, default <data>/reprocess/<run>.jsonl) and/or "
        "Elasticsearch (--index). Ids stay the same; the same archived page read again is a reprocess, not a new "
        "version. Articles out of scope become light records (<data>/offtopic/reprocess/, corpus-offtopic).",
    )
    cmd.add_argument("paths", nargs="*", metavar="PATH", help="WARC files or folders (default: the archive directory)")
    cmd.add_argument("--outlets", help="only these outlets (spider names, comma-separated)")
    cmd.add_argument("--since", type=date.fromisoformat, help="only pages fetched on or after this day (YYYY-MM-DD)")
    cmd.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                     help="processes reading pages (default: one per core)")
    cmd.add_argument("-o", "--output", help="JSON Lines file of the articles and comments")
    cmd.add_argument("--index", action="store_true", help="index into Elasticsearch (ELASTICSEARCH_URL)")
    cmd.add_argument("--rescope", action="store_true",
                     help="judge the articles that were out of scope again with today's terms; those now in scope "
                     "come into the corpus with their comments")
    cmd.add_argument("--terms", help="terms file to tag with (default: CORPUS_TOPIC_TERMS_FILE, else the shipped one)")
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar (it shows only on a terminal anyway)")
    cmd.set_defaults(handler=_command)


def _command(args: Any, io: Any) -> int:
    from corpus.archive.middleware import archive_dir

    if args.workers < 1:
        raise ValueError("--workers must be 1 or more")
    paths = args.paths or [archive_dir()]
    summary = reprocess(paths, outlets=parse_outlets(args.outlets), since=args.since, workers=args.workers,
                        output=args.output, index=args.index, rescope=args.rescope, terms=args.terms,
                        progress=False if args.no_progress else None)
    for line in summary.lines():
        print(line, file=io.stdout)
    return 1 if summary.errors and not (summary.articles or summary.offtopic) else 0
