"""Pages rendered by a real browser: scrapy-playwright with Debian's Chromium, only where asked.

Plain HTTP stays the default. A spider asks for a browser with its ``browser``
class attribute (``True``: its listing, article and comment pages;
``"listings"``: listing pages only; ``"meta"``: only requests whose meta has
``browser=True``); a request asks with ``meta={"browser": True}``. Only then
are scrapy-playwright's download handlers installed, so crawls that need no
browser start none.

- The browser is Chromium from the system (``apt-get install chromium``), found
  on the PATH or at ``CORPUS_CHROMIUM_PATH``; Playwright's own browser download
  is never used. Launched headless, without the sandbox when running as root,
  with background networking, sync, extensions and component updates off (no
  traffic beyond the crawled site).
- Images, media and fonts are not loaded (``CORPUS_BROWSER_BLOCK_MEDIA``);
  pages are closed after use; at most ``CORPUS_BROWSER_MAX_PAGES`` pages per
  context and two contexts at a time.
- Memory: Chromium grows with the pages a context has seen, so the browser
  context is replaced every ``CORPUS_BROWSER_CONTEXT_PAGES`` pages (the old one
  is closed as soon as its last page is done); ``bench/browser_memory.py``
  measures this over 1,000 pages.
- Consent walls: a spider's ``consent_click`` (a CSS selector clicked when
  present) and ``consent_cookies`` (cookies sent with every request) run
  before extraction. Nothing is circumvented beyond accepting the dialog.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING, Any

from corpus.config import CrawlSettings

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_QUIET_ARGS = (
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-extensions", "--disable-sync", "--metrics-recording-only", "--no-first-run",
    "--mute-audio", "--disable-dev-shm-usage", "--disable-features=Translate,MediaRouter",
)


class BrowserUnavailable(RuntimeError):
    """No Chromium executable: says how to install one."""


def chromium_path(settings: BaseSettings) -> str:
    """The Chromium executable: ``CORPUS_CHROMIUM_PATH``, else the first found on the PATH."""
    configured = settings.get("CORPUS_CHROMIUM_PATH")
    if configured:
        if not os.access(configured, os.X_OK):
            raise BrowserUnavailable(f"CORPUS_CHROMIUM_PATH={configured} is not an executable file")
        return configured
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        "no Chromium found for pages that need a browser: install it (apt-get install chromium) "
        "or set CORPUS_CHROMIUM_PATH to its executable"
    )


def launch_options(settings: BaseSettings) -> dict[str, Any]:
    args = list(_QUIET_ARGS)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if root:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    # Playwright turns the sandbox off unless asked (chromium_sandbox): as any other user it stays on (the
    # crawler image turns it off through Debian's /etc/chromium.d: docker/chromium-no-sandbox)
    return {"executable_path": chromium_path(settings), "headless": True, "args": args, "chromium_sandbox": not root}


def playwright_settings(settings: BaseSettings) -> dict[str, Any]:
    """The scrapy-playwright settings for a crawl that may render pages."""
    config = CrawlSettings.from_settings(settings)
    values: dict[str, Any] = {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(settings),
        "PLAYWRIGHT_MAX_CONTEXTS": 2,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": config.browser_max_pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": config.browser_timeout * 1000,
    }
    if config.browser_block_media:
        values["PLAYWRIGHT_ABORT_REQUEST"] = "corpus.browser.abort_media"
    return values


def abort_media(request: Any) -> bool:
    """Playwright request filter: no images, media or fonts (they change no text)."""
    return request.resource_type in ("image", "media", "font")


async def click_if_present(page: Any, selector: str, timeout_ms: int = 3000) -> None:
    """Click the consent button when the page shows one; go on when it does not."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.locator(selector).first.click(timeout=timeout_ms)
    except PlaywrightTimeout:
        return


async def wait_for(page: Any, selector: str, timeout_ms: int = 5000) -> None:
    """Wait for content inserted by scripts; go on (and let extraction report) when it never comes."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeout:
        return


class BrowserMiddleware:
    """Routes the requests that need a browser to scrapy-playwright, in contexts replaced every N pages."""

    HTML_CALLBACKS = ("parse_listing", "parse_article", "parse_comment_page")

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.per_context = max(1, CrawlSettings.from_settings(crawler.settings).browser_context_pages)
        self.pages = 0
        self.generation = 0
        self.in_flight: Counter[int] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserMiddleware:
        return cls(crawler)

    def wants_browser(self, request: Request) -> bool:
        if "browser" in request.meta:
            return bool(request.meta["browser"])
        mode = getattr(self.crawler.spider, "browser", False)
        callback = getattr(request.callback, "__name__", "")
        if mode is True:
            return callback in self.HTML_CALLBACKS
        return mode == "listings" and callback == "parse_listing"

    def process_request(self, request: Request, spider: Any = None) -> None:
        cookies = getattr(self.crawler.spider, "consent_cookies", None)
        if cookies and isinstance(request.cookies, dict):
            request.cookies = {**cookies, **request.cookies}
        if request.meta.get("playwright") is not None or not self.wants_browser(request):
            return None
        from scrapy_playwright.page import PageMethod

        spider = self.crawler.spider
        generation = self.pages // self.per_context
        self.pages += 1
        if generation != self.generation:
            previous, self.generation = self.generation, generation
            self._maybe_close(previous)
        self.in_flight[generation] += 1
        methods = []
        consent = getattr(spider, "consent_click", None)
        if consent:
            methods.append(PageMethod(partial(click_if_present, selector=consent)))
        wait = getattr(spider, "browser_wait_for", None)
        if wait:
            methods.append(PageMethod(partial(wait_for, selector=wait)))
        methods.append(PageMethod("wait_for_load_state", "networkidle"))
        request.meta.update(playwright=True, playwright_context=f"corpus-{generation}",
                            playwright_page_methods=methods, corpus_browser_generation=generation)
        self.crawler.stats.inc_value("corpus/browser/requests")
        return None

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        self._done(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self._done(request)
        return None

    def _done(self, request: Request) -> None:
        generation = request.meta.get("corpus_browser_generation")
        if generation is None:
            return
        self.in_flight[generation] -= 1
        if generation != self.generation:
            self._maybe_close(generation)

    def _maybe_close(self, generation: int) -> None:
        """Close a replaced context once its last page is done (frees Chromium's memory)."""
        if self.in_flight[generation] > 0:
            return
        self.in_flight.pop(generation, None)
        handler = self._handler()
        wrapper = handler.context_wrappers.get(f"corpus-{generation}") if handler else None
        if wrapper is None:
            return
        self.crawler.stats.inc_value("corpus/browser/contexts_closed")
        logger.debug("closing browser context corpus-%d after %d pages", generation, self.per_context)
        asyncio.ensure_future(wrapper.context.close())

    def _handler(self) -> Any:
        handlers = getattr(getattr(self.crawler.engine, "downloader", None), "handlers", None)
        loaded = getattr(handlers, "_handlers", {}) if handlers else {}
        return next((h for h in loaded.values() if hasattr(h, "context_wrappers")), None)
