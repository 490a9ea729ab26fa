"""Settings of the corpus crawler, grouped by component.

Every setting can be overridden per run with ``scrapy crawl ... -s NAME=value``;
the ``CORPUS_*`` settings and the politeness settings below can also be set
from the environment variable of the same name (handy for cron and docker).
Each is documented as: type, default, example.
"""

from __future__ import annotations

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


BOT_NAME = "corpus"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Our `crawl` command replaces Scrapy's: same options, plus argument checks and an
# exit status of 1 when no page could be fetched (see corpus/commands/crawl.py).
COMMANDS_MODULE = "corpus.commands"

# --- Output -------------------------------------------------------------------------
# CORPUS_OUTPUT_DIR (str path, default "" = data/ of the project checkout, or the user's data directory
#   for an installed package; see corpus/paths.py): the one data directory. Every file the project writes
#   goes under it unless its own setting says otherwise: the JSON Lines output as
#   <dir>/<spider>/<crawl start, UTC>Z-<random>.jsonl, state.sqlite, crawls.jsonl, deadletter/, and the
#   scheduler's logs/ and schedule/. A relative value is made absolute from the current directory; the
#   crawl prints the absolute directory when it starts. Example: CORPUS_OUTPUT_DIR=/srv/corpus
# The `crawl` command adds this feed when neither -o/-O nor FEEDS name another output
# (Scrapy would otherwise write to both).
CORPUS_OUTPUT_DIR = _env("CORPUS_OUTPUT_DIR", "")
# Feed URIs may use %(run)s: the crawl's start and a random suffix (2026-12-01T14-51-37Z-3f9a1c), so
# two crawls started in the same second never share a file (see corpus/runs.py).
FEED_URI_PARAMS = "corpus.runs.feed_uri_params"
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy's jsonlines format, written without its per-field serialisation (same output, faster).
FEED_EXPORTERS = {"jsonlines": "corpus.exporters.JsonLinesExporter", "jsonl": "corpus.exporters.JsonLinesExporter"}

# --- Scope and topics -----------------------------------------------------------------
# CORPUS_SCOPE (str, "in" | "all", default "in"): default of the spider argument `scope`.
#   Example: -a scope=all
CORPUS_SCOPE = _env("CORPUS_SCOPE", "in")
# CORPUS_TOPIC_TERMS_FILE (str path, default "" = the shipped corpus/topics/terms.toml):
#   country terms used for tagging. Example: CORPUS_TOPIC_TERMS_FILE=./my-terms.toml
CORPUS_TOPIC_TERMS_FILE = _env("CORPUS_TOPIC_TERMS_FILE", "")

# --- Crawl health ---------------------------------------------------------------------
# CORPUS_HEALTH_ENABLED (bool, default True): log a summary at the end of each crawl
#   (items, drops by reason, which extraction layer filled each field) and make
#   `scrapy crawl` exit with status 1 when not a single page could be fetched.
CORPUS_HEALTH_ENABLED = _env_bool("CORPUS_HEALTH_ENABLED", True)

# --- Limits on hostile or broken pages ---------------------------------------------------
# CORPUS_MAX_COMMENTS (int, default 5000): comments kept per article (a page with more is
#   cut there, with a warning and the stat corpus/comments/capped).
CORPUS_MAX_COMMENTS = _env_int("CORPUS_MAX_COMMENTS", 5000)
# Crawl traps: redirects are followed at most 5 times (loops end there); pagination is bounded
#   by the spider argument max_pages (not by DEPTH_LIMIT: a listing's page 30 is 30 links deep);
#   article URLs lose their query (session ids) before they are requested.
REDIRECT_MAX_TIMES = 5
# CORPUS_MAX_LINKS_PER_PAGE (int, default 1000): article links followed from one feed or listing page;
#   the rest are left out with a warning naming the page (stat corpus/links/capped). 0 = no cap.
CORPUS_MAX_LINKS_PER_PAGE = _env_int("CORPUS_MAX_LINKS_PER_PAGE", 1000)
# CORPUS_MAX_SITEMAP_LINKS (int, default 50000, the sitemap protocol's limit per file): article links
#   followed from one sitemap.
CORPUS_MAX_SITEMAP_LINKS = _env_int("CORPUS_MAX_SITEMAP_LINKS", 50_000)
# CORPUS_SITEMAP_MAX_DEPTH (int, default 2): levels of sitemap indexes below the spider's own sitemaps that
#   are followed (index -> index -> sitemap); the child sitemaps of sitemap indexes share one budget per
#   crawl, the spider argument max_pages (newest first when the index gives dates).
CORPUS_SITEMAP_MAX_DEPTH = _env_int("CORPUS_SITEMAP_MAX_DEPTH", 2)

# --- Incremental crawling --------------------------------------------------------------
# CORPUS_INCREMENTAL (bool, default True): skip article links the corpus already has
#   (looked up in Elasticsearch by id, or in CORPUS_STATE_FILE without it), except articles
#   published within the revisit window. The spider argument `incremental=false` turns it
#   off for one crawl. Example: -s CORPUS_INCREMENTAL=False
CORPUS_INCREMENTAL = _env_bool("CORPUS_INCREMENTAL", True)
# CORPUS_REVISIT_DAYS (float, default 3): articles published this many days back or less are
#   fetched again on every crawl (edits, new comments); an outlet may set its own
#   (`revisit_days` on the spider). Example: -s CORPUS_REVISIT_DAYS=7
CORPUS_REVISIT_DAYS = _env_float("CORPUS_REVISIT_DAYS", 3.0)
# CORPUS_ARCHIVE (bool, default true): write every exchange of a crawl (feeds, sitemaps, listings,
#   article and comment pages, redirects and errors; pages the browser rendered as their rendered HTML)
#   to a web archive, WARC 1.1, one gzip member per record, before anything is parsed. Items carry
#   where their page is (`archive`). Example: CORPUS_ARCHIVE=false scrapy crawl cicero
CORPUS_ARCHIVE = _env_bool("CORPUS_ARCHIVE", True)
# CORPUS_ARCHIVE_DIR (str path, default "" = <CORPUS_OUTPUT_DIR>/archive): where the WARC files go,
#   named <spider>-<UTC start time>-<n>.warc.gz. Example: CORPUS_ARCHIVE_DIR=/srv/corpus/warc
CORPUS_ARCHIVE_DIR = _env("CORPUS_ARCHIVE_DIR", "")
# CORPUS_ARCHIVE_MAX_BYTES (int, default 1073741824 = 1 GiB): a crawl starts a new WARC file once its
#   current one holds this many bytes. Example: -s CORPUS_ARCHIVE_MAX_BYTES=104857600
CORPUS_ARCHIVE_MAX_BYTES = _env_int("CORPUS_ARCHIVE_MAX_BYTES", 1 << 30)
# CORPUS_ARCHIVE_COMPRESSION (int 1-9, default 1): the gzip level of each record. Measured on the real
#   pages of ../shared/eval: level 1 costs 1.8 ms a page and keeps 22% of the bytes, level 6 5 ms
#   and 18.6%, level 9 9 ms and 18.5%. A response whose body the server already compressed
#   (Content-Encoding) is stored as it is (level 0): it would not shrink again.
#   Example: -s CORPUS_ARCHIVE_COMPRESSION=6
CORPUS_ARCHIVE_COMPRESSION = _env_int("CORPUS_ARCHIVE_COMPRESSION", 1)
# CORPUS_ENTITIES_FILE (str path, default "" = the shipped corpus/topics/entities.toml): the people,
#   places and organisations stored as entities.person/place/org on articles and comments, and the
#   search-time synonyms of the Elasticsearch indices. Example: CORPUS_ENTITIES_FILE=./my-entities.toml
CORPUS_ENTITIES_FILE = _env("CORPUS_ENTITIES_FILE", "")
# CORPUS_STORY_THRESHOLD (float 0-1, default 0.5): two bodies are one story (near-duplicates) when
#   the Jaccard similarity of their five-word runs reaches it (estimated from MinHash signatures;
#   copies cut from the end are matched by their openings: corpus/stories). Measured on labelled
#   pairs: bench/stories.py.
CORPUS_STORY_THRESHOLD = float(_env("CORPUS_STORY_THRESHOLD", "0.5"))
# CORPUS_STORY_WINDOW_DAYS (int, default 7): members of one story are published at most this many
#   days apart.
CORPUS_STORY_WINDOW_DAYS = int(_env("CORPUS_STORY_WINDOW_DAYS", "7"))
# CORPUS_STORIES_FILE (str path, default "" = <CORPUS_OUTPUT_DIR>/stories.sqlite): where the stories
#   live without Elasticsearch (with it, in the articles themselves).
CORPUS_STORIES_FILE = _env("CORPUS_STORIES_FILE", "")
# CORPUS_STATE_FILE (str path, default "" = <CORPUS_OUTPUT_DIR>/state.sqlite): the local store
#   of seen articles, their versions and written comments, used when no Elasticsearch is set.
CORPUS_STATE_FILE = _env("CORPUS_STATE_FILE", "")
# JOBDIR (str path, Scrapy's, default unset): keep the crawl's queue and seen requests on disk
#   so that a stopped crawl (Ctrl-C, SIGTERM, a crash) continues where it was when started
#   again with the same JOBDIR. One directory per spider and run series.
#   Example: scrapy crawl cicero -a mode=backfill -a since=2023-01-01 -s JOBDIR=data/jobs/cicero-backfill
#   The queue lives in <JOBDIR>/frontier.sqlite (corpus/frontier.py): it survives even `kill -9`;
#   requests in flight at a kill are fetched again, nothing is lost. Write the feed with -o (append)
#   or the default dated file, not -O: -O replaces the earlier run's output.
SCHEDULER = "corpus.frontier.DurableScheduler"
# tells the frontiers (JOBDIR, Redis) when a request's output has been handled (corpus/done.py)
SPIDER_MIDDLEWARES = {"corpus.done.OutputTrackerMiddleware": 20}
# local feeds whose buffers a checkpoint can flush (corpus/feedstorage.py)
FEED_STORAGES = {"": "corpus.feedstorage.DurableFileStorage", "file": "corpus.feedstorage.DurableFileStorage"}
# CORPUS_JOB_CHECKPOINT (float seconds, default 2): how often the output is made durable (feeds
#   flushed, the Elasticsearch bulk buffer written, the local state committed) and, with JOBDIR,
#   the requests whose items it holds are marked done (corpus/signals.py).
CORPUS_JOB_CHECKPOINT = _env_float("CORPUS_JOB_CHECKPOINT", 2.0)

# --- Browser rendering (scrapy-playwright; only for spiders or requests that ask, see corpus/browser.py) ---
# CORPUS_CHROMIUM_PATH (str path, default "" = found on the PATH: chromium, chromium-browser,
#   google-chrome): the browser executable. Install with `apt-get install chromium`.
CORPUS_CHROMIUM_PATH = _env("CORPUS_CHROMIUM_PATH", "")
# CORPUS_BROWSER_BLOCK_MEDIA (bool, default True): do not load images, media and fonts.
CORPUS_BROWSER_BLOCK_MEDIA = _env_bool("CORPUS_BROWSER_BLOCK_MEDIA", True)
# CORPUS_BROWSER_CONTEXT_PAGES (int, default 100): replace the browser context after this many
#   pages, so that a long crawl's browser memory stays flat.
CORPUS_BROWSER_CONTEXT_PAGES = _env_int("CORPUS_BROWSER_CONTEXT_PAGES", 100)
# CORPUS_BROWSER_MAX_PAGES (int, default 4): pages open at once per browser context.
CORPUS_BROWSER_MAX_PAGES = _env_int("CORPUS_BROWSER_MAX_PAGES", 4)
# CORPUS_BROWSER_TIMEOUT (int seconds, default 30): navigation timeout of a rendered page.
CORPUS_BROWSER_TIMEOUT = _env_int("CORPUS_BROWSER_TIMEOUT", 30)

# --- Distributed crawling (scrapy-redis; see corpus/distributed.py) ----------------------
# CORPUS_REDIS_URL (str, default "" = off): Redis for a frontier shared by several crawler
#   processes or machines: they never fetch a URL twice, and a dead worker's requests are
#   taken over. Without it nothing about Redis is loaded. Example: CORPUS_REDIS_URL=redis://redis:6379/0
CORPUS_REDIS_URL = _env("CORPUS_REDIS_URL", "")
# CORPUS_REDIS_CRAWL (str, default "" = the spider's name): the name of the shared crawl; all
#   workers of one crawl use the same. Example: -s CORPUS_REDIS_CRAWL=cicero-backfill-2024
CORPUS_REDIS_CRAWL = _env("CORPUS_REDIS_CRAWL", "")

# --- Outlet health (corpus/outlethealth.py): a run is "degraded" when it falls below the outlet's usual
# CORPUS_HEALTH_RUNS (int, default 10): earlier runs (same spider and mode) the median is taken over.
CORPUS_HEALTH_RUNS = _env_int("CORPUS_HEALTH_RUNS", 10)
# CORPUS_HEALTH_MIN_RUNS (int, default 3): rates are judged only after this many earlier runs.
CORPUS_HEALTH_MIN_RUNS = _env_int("CORPUS_HEALTH_MIN_RUNS", 3)
# CORPUS_HEALTH_MIN_PAGES (int, default 5): a run with fewer article pages is not judged on rates.
CORPUS_HEALTH_MIN_PAGES = _env_int("CORPUS_HEALTH_MIN_PAGES", 5)
# CORPUS_HEALTH_ARTICLE_DROP (float points, default 20): articles per fetched page this far below the median.
CORPUS_HEALTH_ARTICLE_DROP = _env_float("CORPUS_HEALTH_ARTICLE_DROP", 20.0)
# CORPUS_HEALTH_FILL_DROP (float points, default 20): a field's fill rate this far below the median.
#   Example: -s CORPUS_HEALTH_FILL_DROP=10 (stricter)
CORPUS_HEALTH_FILL_DROP = _env_float("CORPUS_HEALTH_FILL_DROP", 20.0)

# --- Scheduled runs (set by `corpus schedule` on each crawl it starts; not for hand use) ---
# CORPUS_RUN_ID (str): the run's id, used as the id of its record in corpus-crawls.
# CORPUS_JOB (str): the schedule job the run belongs to.
# CORPUS_RECORD_FILE (str path): write the crawl record here; the scheduler adds the exit
#   status and stores it (Elasticsearch or crawls.jsonl).
CORPUS_RUN_ID = ""
CORPUS_JOB = ""
CORPUS_RECORD_FILE = ""

# --- Elasticsearch ------------------------------------------------------------------
# Indexing is on when an address is given; without one, only the JSON Lines feed is written.
# CORPUS_ES_HOSTS (list, default from env ELASTICSEARCH_URL, else empty = off): node URLs.
#   Example: ELASTICSEARCH_URL=http://127.0.0.1:9200  or  -s CORPUS_ES_HOSTS=https://es1:9200,https://es2:9200
CORPUS_ES_HOSTS = _env("CORPUS_ES_HOSTS", os.environ.get("ELASTICSEARCH_URL", ""))
# CORPUS_ES_API_KEY (str, default ""): API key (base64 "id:key"); preferred over user/password.
CORPUS_ES_API_KEY = _env("CORPUS_ES_API_KEY", "")
# CORPUS_ES_USERNAME / CORPUS_ES_PASSWORD (str, default ""): basic auth. Example: CORPUS_ES_USERNAME=elastic
CORPUS_ES_USERNAME = _env("CORPUS_ES_USERNAME", "")
CORPUS_ES_PASSWORD = _env("CORPUS_ES_PASSWORD", "")
# CORPUS_ES_CA_CERTS (str path, default ""): CA certificate for TLS. Example: /etc/es/http_ca.crt
CORPUS_ES_CA_CERTS = _env("CORPUS_ES_CA_CERTS", "")
# CORPUS_ES_VERIFY_CERTS (bool, default True): verify TLS certificates. Only turn off for a test node.
CORPUS_ES_VERIFY_CERTS = _env_bool("CORPUS_ES_VERIFY_CERTS", True)
# CORPUS_ES_PREFIX (str, default "corpus"): alias prefix: corpus-articles, corpus-comments, corpus-crawls.
CORPUS_ES_PREFIX = _env("CORPUS_ES_PREFIX", "corpus")
# CORPUS_ES_CHUNK_SIZE (int, default 500): items per bulk request.
CORPUS_ES_CHUNK_SIZE = _env_int("CORPUS_ES_CHUNK_SIZE", 500)
# CORPUS_ES_CHUNK_BYTES (int bytes, default 10 MiB): a bulk request is also sent when its documents reach
#   this size (Elasticsearch refuses bodies over http.max_content_length, 100 MB by default, with 413;
#   a refused request is split in halves until what it cannot take is alone). Example: 5242880
CORPUS_ES_CHUNK_BYTES = _env_int("CORPUS_ES_CHUNK_BYTES", 10 * 1024 * 1024)
# CORPUS_ES_FLUSH_INTERVAL (float seconds, default 5): write what is buffered at least this often.
CORPUS_ES_FLUSH_INTERVAL = _env_float("CORPUS_ES_FLUSH_INTERVAL", 5.0)
# CORPUS_ES_TIMEOUT (float seconds, default 30): per request.
CORPUS_ES_TIMEOUT = _env_float("CORPUS_ES_TIMEOUT", 30.0)
# CORPUS_ES_MAX_RETRIES (int, default 5) and CORPUS_ES_RETRY_BACKOFF (float s, default 1, doubling,
#   capped by CORPUS_ES_MAX_BACKOFF = 30): retries of a batch before it goes to the dead-letter file.
CORPUS_ES_MAX_RETRIES = _env_int("CORPUS_ES_MAX_RETRIES", 5)
CORPUS_ES_RETRY_BACKOFF = _env_float("CORPUS_ES_RETRY_BACKOFF", 1.0)
CORPUS_ES_MAX_BACKOFF = _env_float("CORPUS_ES_MAX_BACKOFF", 30.0)
# CORPUS_ES_OUTAGE_PAUSE (float seconds, default 30): after a batch went to the dead-letter file because
#   Elasticsearch was unreachable, send batches straight there for this long before trying again.
CORPUS_ES_OUTAGE_PAUSE = _env_float("CORPUS_ES_OUTAGE_PAUSE", 30.0)
# CORPUS_ES_DEADLETTER_DIR (str, default "" = <CORPUS_OUTPUT_DIR>/deadletter): items that could not be indexed, as
#   <dir>/<spider>/<run>.jsonl (the same name as the crawl's output); `corpus index FILE` indexes them later.
CORPUS_ES_DEADLETTER_DIR = _env("CORPUS_ES_DEADLETTER_DIR", "")

# --- Politeness -----------------------------------------------------------------------
# DOWNLOAD_SLOTS (Scrapy's): the Wayback Machine (mode=wayback) gets two requests at once at most and a
#   second between them; its Retry-After is honoured (corpus/backoff.py).
DOWNLOAD_SLOTS = {"web.archive.org": {"concurrency": 2, "delay": 1.0}}
# ROBOTSTXT_OBEY (bool, default True): honour robots.txt.
ROBOTSTXT_OBEY = True
# USER_AGENT (str): who we are. Example: CORPUS_USER_AGENT="corpus-crawler (+mailto:me@example.org)"
USER_AGENT = _env(
    "CORPUS_USER_AGENT", "corpus-crawler/0.1 (research crawler for German news; +https://example.org/corpus)"
)
# DOWNLOAD_DELAY (float seconds, default 1.0): pause between requests to one site.
DOWNLOAD_DELAY = _env_float("CORPUS_DOWNLOAD_DELAY", 1.0)
# CONCURRENT_REQUESTS_PER_DOMAIN (int, default 2).
CONCURRENT_REQUESTS_PER_DOMAIN = _env_int("CORPUS_CONCURRENT_REQUESTS_PER_DOMAIN", 2)
# AUTOTHROTTLE_ENABLED (bool, default True): slow down when the site slows down.
AUTOTHROTTLE_ENABLED = _env_bool("CORPUS_AUTOTHROTTLE_ENABLED", True)
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# DOWNLOAD_TIMEOUT (int seconds, default 30).
DOWNLOAD_TIMEOUT = _env_int("CORPUS_DOWNLOAD_TIMEOUT", 30)
# DOWNLOAD_MAXSIZE (int bytes, default 10 MiB): larger responses are dropped.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's remote-control HTTP endpoint stays off: nothing here should listen on a port.
REMOTE_CONTROL_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "de-DE,de;q=0.9,en;q=0.5",
}

# --- Pipelines (gaps of 100 leave room; Elasticsearch comes after dedupe) -------------
ITEM_PIPELINES = {
    "pipelines.validation.ValidationPipeline": 100,
    "pipelines.text.CleanTextPipeline": 200,
    "pipelines.dates.DatesPipeline": 300,
    "pipelines.authors.AuthorsPipeline": 400,
    "pipelines.topics.TopicsPipeline": 500,
    "pipelines.stories.StoriesPipeline": 550,  # near-duplicate stories and agency copy (corpus/stories)
    "pipelines.dedupe.DedupePipeline": 600,
    "pipelines.state.StatePipeline": 650,  # versions and seen comments, only without Elasticsearch
    "pipelines.elasticsearch.ElasticsearchPipeline": 700,  # only when CORPUS_ES_HOSTS is set
}

# The browser middleware routes only requests that ask for a browser to scrapy-playwright and
# adds a spider's consent cookies (before Scrapy's cookies middleware at 700).
DOWNLOADER_MIDDLEWARES = {
    # next to the download handler: every exchange as it arrived (corpus/archive/middleware.py)
    "corpus.archive.middleware.ArchiveMiddleware": 950,
    "corpus.browser.BrowserMiddleware": 550,
    # sees 429/503 answers before Scrapy's retry middleware (550): honours Retry-After per site
    "corpus.backoff.RetryAfterMiddleware": 560,
}
# CORPUS_RETRY_AFTER_MAX (float seconds, default 600): the longest Retry-After honoured.
CORPUS_RETRY_AFTER_MAX = _env_float("CORPUS_RETRY_AFTER_MAX", 600.0)

EXTENSIONS = {
    "corpus.health.CrawlHealth": 500,
    "corpus.crawlrecord.CrawlRecord": 600,
    "corpus.signals.Checkpoints": 700,  # without JOBDIR (the frontier makes its own)
}

# --- Logging --------------------------------------------------------------------------
# LOG_LEVEL (str, default INFO). Example: -s LOG_LEVEL=DEBUG or CORPUS_LOG_LEVEL=DEBUG
LOG_LEVEL = _env("CORPUS_LOG_LEVEL", "INFO")
# Dropped items are logged as "Dropped: <reason> <url>", not with the whole item.
LOG_FORMATTER = "corpus.health.QuietLogFormatter"

# --- Engine ---------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# CONCURRENT_ITEMS (int, Scrapy's default 100): items of one response in the pipelines at once.
#   Scrapy starts that many worker tasks for every response, however few items it has; a page
#   gives an article and a few comments, and the pipelines seldom wait, so 8 suffice
#   (measured with bench/crawl.py: 100 tasks per page were a tenth of the crawler's time).
CONCURRENT_ITEMS = _env_int("CORPUS_CONCURRENT_ITEMS", 8)
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
