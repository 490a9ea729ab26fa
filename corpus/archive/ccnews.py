"""``corpus backfill ccnews``: the outlets' articles from Common Crawl's news crawl, month by month.

CC-NEWS publishes, for every month since August 2016, a listing of its WARC files at
``<base>/crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz`` (one path per line, relative to the data
host). Each listed file is streamed (never stored whole: a file is about 1 GB) and read record
by record with warcio; the response records of the outlets' hosts are read as a crawl reads a
page (:func:`corpus.archive.reprocess.read_page`: page judgement, the outlet's parser, the
pipelines) and stored with the same ids as live crawls, so a live copy and a CC-NEWS copy of
an article are one document (the older fetch only moves ``first_seen_at`` back). Each record
kept is copied into the project's own web archive (``<archive dir>/ccnews-*.warc.gz``), so
``corpus show-source`` and ``corpus reprocess`` work on it; its ``archive`` reference also names
the CC-NEWS file and offset (``source_file``, ``source_offset``), and its ``source`` is ``ccnews``.

A backfill is resumable: a file counts as done once its items are written (the outputs
flushed, Elasticsearch's buffer sent), and is listed in ``<data>/backfill/ccnews-done.txt``;
a stopped backfill (Ctrl-C, a kill) continues with the files not done. Files are read in
``workers`` processes, which are also the concurrent downloads (a few: the data host is
shared); every request is retried with back-off, honouring ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import io
import logging
import multiprocessing
import os
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

from corpus.archive.reprocess import Options, Result, Store, Summary, _init, _warm, read_page, settings_for
from corpus.archive.scan import FileInfo

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
FIRST_MONTH = (2016, 8)  # CC-NEWS starts in August 2016
USER_AGENT = "corpus-crawler (CC-NEWS backfill; https://commoncrawl.org/terms-of-use)"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def months(start: str, end: str) -> list[tuple[int, int]]:
    """The months from ``start`` to ``end`` (``YYYY-MM``), both included.

    Raises:
        ValueError: a value that is no month, a range that runs backwards, or one before CC-NEWS began.
    """
    bounds = []
    for name, value in (("--from", start), ("--to", end)):
        match = _MONTH.match(value or "")
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{name} {value!r}: give a month as YYYY-MM (e.g. 2023-09)")
        bounds.append((int(match.group(1)), int(match.group(2))))
    first, last = bounds
    if last < first:
        raise ValueError(f"--to {end} is before --from {start}")
    if first < FIRST_MONTH:
        raise ValueError(f"--from {start}: CC-NEWS begins in {FIRST_MONTH[0]}-{FIRST_MONTH[1]:02d}")
    result = []
    year, month = first
    while (year, month) <= last:
        result.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def http_client(retries: int = 5, backoff: float = 2.0, timeout: float = 60.0) -> Any:
    """An urllib3 pool that retries what a busy data host answers (429, 5xx, dropped connections) with
    exponential back-off, honouring ``Retry-After``."""
    import urllib3

    retry = urllib3.Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                          backoff_max=120, status_forcelist=(429, 500, 502, 503, 504), allowed_methods=["GET"],
                          respect_retry_after_header=True, raise_on_status=True)
    return urllib3.PoolManager(num_pools=4, maxsize=2, retries=retry,
                               timeout=urllib3.Timeout(connect=min(30.0, timeout), read=timeout),
                               headers={"User-Agent": USER_AGENT})


def warc_paths(http: Any, base_url: str, wanted: list[tuple[int, int]]) -> list[str]:
    """The WARC files of the months, in the listings' order.

    Raises:
        ValueError: a month whose listing is not there (not published yet), or a host that does not answer.
    """
    import urllib3

    paths: list[str] = []
    for year, month in wanted:
        url = urljoin(base_url, f"crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz")
        try:
            response = http.request("GET", url)
        except urllib3.exceptions.HTTPError as exc:
            raise ValueError(f"cannot read the CC-NEWS listing {url}: {exc}") from None
        if response.status == 404:
            raise ValueError(f"CC-NEWS has no listing for {year}-{month:02d} ({url}: 404); is the month published?")
        if response.status != 200:
            raise ValueError(f"CC-NEWS listing {url}: HTTP {response.status}")
        try:
            text = gzip.decompress(response.data).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"CC-NEWS listing {url} is not a gzipped list of paths: {exc}") from None
        paths.extend(line.strip() for line in text.splitlines() if line.strip().endswith((".warc.gz", ".warc")))
    return paths


class Done:
    """The CC-NEWS files a backfill has finished: ``<data>/backfill/ccnews-done.txt``, one path a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.paths: set[str] = set()
        if path.is_file():
            self.paths = {line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()}

    def add(self, warc_path: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(warc_path + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.paths.add(warc_path)


# --- one WARC file (in a worker process) -----------------------------------------------------------------


@dataclass
class FileResult:
    """What one CC-NEWS file gave."""

    path: str
    results: list[Result] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # the file could not be read to its end (what came before is kept)
    # the download failed (not the data): the file is not done, and the next run reads it again
    retry: bool = False


@dataclass
class Job:
    """What a worker needs to read files: the data host, the outlets wanted, where to copy records."""

    base_url: str
    outlets: set[str] | None
    archive_dir: str | None  # None: no copies (CORPUS_ARCHIVE=false)
    max_bytes: int = 1 << 30
    compression: int = 1
    options: Options = field(default_factory=Options)


_job: Job | None = None
_http: Any = None
_writer: Any = None


def _start(job: Job) -> None:
    """A worker process: its settings, its HTTP pool, Ctrl-C left to the main process."""
    global _job, _http, _writer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init(job.options)
    _job, _http, _writer = job, http_client(), None


def _archive() -> Any:
    global _writer
    if _writer is None and _job is not None and _job.archive_dir:
        from corpus.archive.writer import ArchiveWriter

        _writer = ArchiveWriter(_job.archive_dir, f"ccnews-{os.getpid()}", _job.max_bytes, info={
            "isPartOf": "ccnews", "description": "response records of Common Crawl's CC-NEWS kept by "
            "corpus backfill ccnews", "corpus-source": "ccnews"}, compression=_job.compression)
    return _writer


def _spider(url: str) -> Any:
    from corpus.extract.article import spider_for

    spider = spider_for(url)
    if spider is None or (_job is not None and _job.outlets is not None and spider.name not in _job.outlets):
        return None
    return spider


def read_file(path: str, attempts: int = 3) -> FileResult:
    """Stream one CC-NEWS file and read the pages of the outlets in it.

    A download that breaks off is started again (``attempts`` times in all); a file whose data is
    damaged keeps what came before the damage.
    """
    import urllib3

    assert _job is not None
    url = urljoin(_job.base_url, path)
    for attempt in range(1, attempts + 1):
        result = FileResult(path)
        try:
            response = _http.request("GET", url, preload_content=False)
        except urllib3.exceptions.HTTPError as exc:
            result.error, result.retry = f"cannot fetch {url}: {exc}", True
            return result
        try:
            if response.status != 200:
                result.error, result.retry = f"{url}: HTTP {response.status}", True
                return result
            # large reads: warcio asks for small pieces, each a call through urllib3 otherwise (auto_close off:
            # urllib3's documented setting for wrapping a response in io.BufferedReader, which reads to the end)
            response.auto_close = False
            _read_records(io.BufferedReader(response, 1 << 20), path, result)
            return result
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError, ConnectionError) as exc:
            if attempt == attempts:
                result.error, result.retry = f"{url}: the download broke off {attempts} times ({exc})", True
                return result
            logger.warning("%s: the download broke off (%s); starting it again", url, exc)
            time.sleep(min(60.0, 2.0 ** attempt))
        except Exception as exc:  # warcio's errors for damaged data: what came before it is kept
            result.error = f"{url}: damaged after {result.counts['records']} records ({type(exc).__name__}: {exc})"
            return result
        finally:
            response.release_conn()
    return result  # not reached


def _read_records(stream: Any, path: str, result: FileResult) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from corpus.archive.reader import decoded_body, matches_digest, scrapy_response
    from corpus.archive.scan import is_html_page

    counts = result.counts
    records = ArchiveIterator(stream)
    for record in records:
        counts["records"] += 1
        if record.rec_type != "response" or record.http_headers is None:
            continue
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        spider = _spider(url)
        if spider is None:
            continue
        counts["outlet records"] += 1
        status = record.http_headers.get_statuscode()
        if status != "200" or not is_html_page(status, record.http_headers.get_header("Content-Type")):
            counts["not an HTML page (redirect, error, other type)"] += 1
            continue
        if record.rec_headers.get_header("WARC-Truncated"):
            counts["cut off by the crawler (WARC-Truncated)"] += 1
            continue
        payload = record.raw_stream.read()
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if digest and not matches_digest(digest, payload):  # a record cut off (the file ends inside it) or damaged
            raise ValueError(f"record {record.rec_headers.get_header('WARC-Record-ID')} of {url} does not match "
                             f"its digest {digest}")
        records.read_to_end(record)
        offset = records.get_record_offset()
        body = decoded_body(payload, record.http_headers.get_header("Content-Encoding"))
        response = scrapy_response(url, 200, record.http_headers.headers, body)
        writer = _archive()
        if writer is not None:
            where = writer.write_copy(record, payload).as_dict()
        else:
            where = {"record_id": record.rec_headers.get_header("WARC-Record-ID"),
                     "fetched_at": record.rec_headers.get_header("WARC-Date")}
        where.update(source_file=path, source_offset=offset)
        info = FileInfo(path, spider=spider.name, outlet_base=spider.base_url, crawl_run=f"ccnews:{path}")
        result.results.append(read_page(response, info, where, source="ccnews"))


# --- the backfill (this process) -------------------------------------------------------------------------


@dataclass
class BackfillSummary(Summary):
    files_done: int = 0
    files_left: int = 0
    files_failed: int = 0
    records: int = 0
    stopped: bool = False

    def lines(self) -> list[str]:
        head = (f"CC-NEWS backfill {'stopped' if self.stopped else 'finished'}: {self.files_done} files read "
                f"({self.records} records), {self.files_failed} with errors, {self.files_left} left")
        lines = [head, *super().lines()[1:]]
        if self.files_left:
            lines.append("  the same command again continues with the files not done")
        return lines


def backfill(start: str, end: str, *, outlets: set[str] | None = None, base_url: str = DEFAULT_BASE_URL,
             workers: int = 2, output: str | None = None, index: bool = False, max_files: int | None = None,
             progress: bool | None = None, err: TextIO | None = None) -> BackfillSummary:
    """Read the months' CC-NEWS files (see the module docstring).

    Raises:
        ValueError: bad months, a listing that is not there, ``index`` without Elasticsearch.
    """
    from tqdm import tqdm

    from corpus.archive.middleware import archive_dir
    from corpus.config import CrawlSettings
    from corpus.paths import data_dir

    err = err or sys.stderr
    wanted = months(start, end)
    if not urlsplit(base_url).scheme:
        raise ValueError(f"--base-url {base_url!r}: give an http(s) URL")
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    settings, overrides = settings_for(index=index, terms=None)
    config = CrawlSettings.from_settings(settings)
    done = Done(data_dir(settings.get("CORPUS_OUTPUT_DIR")) / "backfill" / "ccnews-done.txt")
    listed = warc_paths(http_client(), base_url, wanted)
    todo = [path for path in listed if path not in done.paths]
    if max_files is not None:
        todo = todo[:max_files]
    summary = BackfillSummary(files=len(todo), indexed=index)
    summary.files_left = len(todo)
    print(f"CC-NEWS {start} to {end}: {len(listed)} files listed, {len(done.paths & set(listed))} done before, "
          f"{len(todo)} to read now with {workers} worker{'s' if workers != 1 else ''} from {base_url}", file=err)
    job = Job(base_url, outlets, archive_dir(config) if config.archive else None, config.archive_max_bytes,
              config.archive_compression, Options(settings=overrides))
    _init(job.options)
    _warm()  # the workers are forked with the parsers, spiders and terms loaded
    gc.freeze()  # what the workers inherit is never scanned by their garbage collector
    pool = multiprocessing.get_context("fork").Pool(max(1, workers), initializer=_start, initargs=(job,))
    bar = tqdm(total=len(todo), unit="file", desc="CC-NEWS", disable=None if progress is None else not progress,
               file=err)
    with asyncio.Runner() as loop:
        store = Store(settings, summary, name="ccnews", rescope=False, index=index, output=output)
        loop.run(store.open())
        try:
            for result in pool.imap_unordered(read_file, todo):
                summary.records += result.counts["records"]
                for reason, count in result.counts.items():
                    if reason not in ("records", "outlet records"):
                        summary.skipped[reason] += count
                loop.run(store.add(result.results))
                loop.run(store.checkpoint())  # the file's items are written: only then is it done
                if result.error:
                    summary.files_failed += 1
                    logger.error("%s%s", result.error, "; the next run reads it again" if result.retry else "")
                if result.retry:  # a download that failed: what it gave is written, the file is read again
                    continue
                done.add(result.path)
                summary.files_done += 1
                summary.files_left -= 1
                bar.update(1)
                bar.set_postfix(articles=summary.articles, offtopic=summary.offtopic)
            pool.close()
        except KeyboardInterrupt:
            summary.stopped = True
            print("\nstopped: the files read so far are written; the same command again continues with the rest",
                  file=err)
        finally:
            pool.terminate()  # files half read are read again next time
            pool.join()
            bar.close()
            loop.run(store.close())
    return summary


def add_parser(sub: Any) -> None:
    """``corpus backfill ccnews``."""
    backfill_cmd = sub.add_parser("backfill", help="history from public archives: corpus backfill ccnews ...")
    kinds = backfill_cmd.add_subparsers(dest="backfill_source", required=True, metavar="SOURCE")
    cmd = kinds.add_parser(
        "ccnews",
        help="the outlets' articles from Common Crawl's CC-NEWS: corpus backfill ccnews --from 2023-09 --to 2023-09",
        description="Streams every CC-NEWS WARC file of the months (listed in crawl-data/CC-NEWS/YYYY/MM/"
        "warc.paths.gz under --base-url) and keeps the outlets' article pages: read by the outlet's parser, "
        "through the crawl's pipelines, with the same ids as live crawls (source: ccnews). Resumable: files "
        "already done are skipped (<data>/backfill/ccnews-done.txt).",
    )
    cmd.add_argument("--from", dest="start", required=True, metavar="YYYY-MM", help="first month")
    cmd.add_argument("--to", dest="end", required=True, metavar="YYYY-MM", help="last month (included)")
    cmd.add_argument("--outlets", help="only these outlets (spider names, comma-separated; default: all)")
    cmd.add_argument("--base-url", default=DEFAULT_BASE_URL,
                     help=f"the data host (default {DEFAULT_BASE_URL}; a mirror or a local copy for tests)")
    cmd.add_argument("--workers", type=int, default=2,
                     help="files read at once, each its own download (default 2; keep it small: the host is shared)")
    cmd.add_argument("-o", "--output", help="JSON Lines file (default: <data>/ccnews/<run>.jsonl unless --index)")
    cmd.add_argument("--index", action="store_true", help="index into Elasticsearch (ELASTICSEARCH_URL)")
    cmd.add_argument("--max-files", type=int, help="read at most this many files now (the rest on the next run)")
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar (it shows only on a terminal)")
    cmd.set_defaults(handler=_command)


def _command(args: Any, io: Any) -> int:
    from corpus.archive.reprocess import parse_outlets

    if args.workers < 1:
        raise ValueError("--workers must be 1 or more")
    summary = backfill(args.start, args.end, outlets=parse_outlets(args.outlets), base_url=args.base_url,
                       workers=args.workers, output=args.output, index=args.index, max_files=args.max_files,
                       progress=False if args.no_progress else None)
    for line in summary.lines():
        print(line, file=io.stdout)
    if summary.stopped:
        return 130
    # a file with an error still gives what came before it; only a backfill that could read nothing failed
    return 1 if summary.files_failed and not summary.records else 0
