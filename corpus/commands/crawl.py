"""``scrapy crawl``, with argument checks and a failing exit status when nothing was fetched.

Scrapy's own command exits 0 even when every request failed, so a cron job
or CI cannot tell a crawl without network from a quiet day. This one:

* validates the spider arguments first and stops with a usage error naming
  the bad argument (``-a mode=sideways``) instead of a traceback;
* writes JSON Lines to ``<CORPUS_OUTPUT_DIR>/<spider>/<run>.jsonl`` (the crawl's start and a
  random suffix, :mod:`corpus.runs`)
  unless the user names an output (``-o``/``-O`` or the FEEDS setting); the light records of
  articles judged out of scope (:class:`corpus.items.OffTopic`) go to
  ``<CORPUS_OUTPUT_DIR>/offtopic/<spider>/<run>.jsonl``, never into the articles' output;
* exits with status 1 when :mod:`corpus.health` recorded that not a single
  page could be fetched, or when another crawl uses the same ``JOBDIR``.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from corpus.health import crawl_failure
from corpus.paths import data_dir

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)



CORPUS_ITEMS = ["corpus.items.Article", "corpus.items.Comment"]


def default_feed(output_dir: str) -> dict[str, dict[str, object]]:
    """The FEEDS entry of the default JSON Lines output."""
    return {
        f"{output_dir.rstrip('/')}/%(name)s/%(run)s.jsonl": {
            "format": "jsonlines",
            "encoding": "utf8",
            "store_empty": False,
            "item_classes": CORPUS_ITEMS,
        }
    }


def with_offtopic_feed(feeds: dict[str, dict[str, object]], output_dir: str) -> dict[str, dict[str, object]]:
    """``feeds`` holding articles and comments only (unless a feed says which items it takes), and the feed
    of the light records of out-of-scope articles under ``<output_dir>/offtopic/``."""
    result = {uri: ({**options, "item_classes": CORPUS_ITEMS}
                    if not options.get("item_classes") and not options.get("item_filter") else dict(options))
              for uri, options in feeds.items()}
    result[f"{output_dir.rstrip('/')}/offtopic/%(name)s/%(run)s.jsonl"] = {
        "format": "jsonlines", "encoding": "utf8", "store_empty": False,
        "item_classes": ["corpus.items.OffTopic"]}
    return result


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        data = data_dir(self.settings.get("CORPUS_OUTPUT_DIR"))
        # every component reads the same absolute directory, whatever directory the crawl runs in
        self.settings.set("CORPUS_OUTPUT_DIR", str(data), priority="cmdline")
        feeds = self.settings.getdict("FEEDS")
        if not feeds:
            self.settings.set("FEEDS", with_offtopic_feed(default_feed(str(data)), str(data)), priority="project")
        else:
            priority = self.settings.getpriority("FEEDS") or 0
            self.settings.set("FEEDS", with_offtopic_feed(feeds, str(data)), priority=priority)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. scrapy crawl cicero")
        assert self.crawler_process
        name = args[0]
        try:
            spider_cls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            raise UsageError(
                f"no spider named {name!r}; available: "
                f"{', '.join(self.crawler_process.spider_loader.list())}"
            ) from None
        check = getattr(spider_cls, "check_args", None)
        if check is not None:
            try:
                check(opts.spargs)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        assert self.settings is not None
        if getattr(spider_cls, "browser", False):
            from corpus.browser import BrowserUnavailable, chromium_path

            try:
                chromium_path(self.settings)
            except BrowserUnavailable as exc:
                raise UsageError(f"spider {name!r} renders pages in a browser: {exc}") from None
        jobdir = self.settings.get("JOBDIR")
        if jobdir:
            from corpus.frontier import JobdirInUse, lock_jobdir

            try:
                lock_jobdir(jobdir)  # held until this process ends
            except JobdirInUse as exc:
                print(f"error: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        logger.info("Data directory: %s", self.settings.get("CORPUS_OUTPUT_DIR"))
        crawler = self.crawler_process.create_crawler(spider_cls)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        failure = crawl_failure(crawler.stats.get_stats()) if crawler.stats else None
        if failure:
            print(f"error: {failure}", file=sys.stderr)
            self.exitcode = 1
