"""The crawler's own settings, read in one typed place.

Every ``CORPUS_*`` setting is declared, documented and given its default once, in
:mod:`corpus.settings` (from the environment, or ``-s NAME=value``); :class:`CrawlSettings`
reads them with their types, and the code asks it instead of reading settings by name with a
default of its own. Elasticsearch's settings are read the same way by
:class:`corpus.search.config.EsConfig`. ``tests/test_docs.py`` checks that the README names
every setting and every spider argument.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from corpus import settings as project_settings
from corpus.outlethealth import Thresholds


def default(name: str) -> Any:
    """A setting's default: its value in :mod:`corpus.settings` (the only place it is written)."""
    return getattr(project_settings, name)


def read(settings: Any, name: str, kind: type) -> Any:
    """One setting with its type; the project's default when ``settings`` lacks it."""
    if settings is None or settings.get(name) is None:
        value = default(name)
        return kind(value) if kind is not str or value is not None else value
    getter = {bool: settings.getbool, int: settings.getint, float: settings.getfloat}.get(kind)
    return getter(name) if getter else settings.get(name)


@dataclass(frozen=True)
class CrawlSettings:
    """The ``CORPUS_*`` settings outside Elasticsearch; field ``x`` is setting ``CORPUS_X``."""

    output_dir: str
    scope: str
    topic_terms_file: str
    entities_file: str
    story_threshold: float
    story_window_days: int
    stories_file: str
    health_enabled: bool
    max_comments: int
    max_links_per_page: int
    max_sitemap_links: int
    sitemap_max_depth: int
    incremental: bool
    revisit_days: float
    state_file: str
    archive: bool
    archive_dir: str
    archive_max_bytes: int
    archive_compression: int
    job_checkpoint: float
    chromium_path: str
    browser_block_media: bool
    browser_context_pages: int
    browser_max_pages: int
    browser_timeout: int
    redis_url: str
    redis_crawl: str
    run_id: str
    job: str
    record_file: str
    retry_after_max: float
    health_runs: int
    health_min_runs: int
    health_min_pages: int
    health_article_drop: float
    health_fill_drop: float

    def thresholds(self) -> Thresholds:
        """The outlet-health thresholds (:mod:`corpus.outlethealth`)."""
        return Thresholds(self.health_runs, self.health_min_runs, self.health_min_pages, self.health_article_drop,
                          self.health_fill_drop)

    @classmethod
    def from_settings(cls, settings: Any) -> CrawlSettings:
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        types = {"str": str, "bool": bool, "int": int, "float": float}
        return cls(**{name: read(settings, f"CORPUS_{name.upper()}", types[str(kind)])
                      for name, kind in kinds.items()})

    @classmethod
    def names(cls) -> list[str]:
        """The setting names, ``CORPUS_OUTPUT_DIR`` ..."""
        return [f"CORPUS_{f.name.upper()}" for f in dataclasses.fields(cls)]
