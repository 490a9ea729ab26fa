"""Run items through the project's pipelines, in settings order, without a crawl."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler, load_object

from corpus import settings as project_settings


def build_pipelines(crawler: Crawler) -> list[Any]:
    """Instances of ITEM_PIPELINES from corpus.settings, ordered; as in Scrapy, NotConfigured ones are left out."""
    ordered = sorted(project_settings.ITEM_PIPELINES.items(), key=lambda kv: kv[1])
    pipelines = []
    for path, _ in ordered:
        try:
            pipelines.append(build_from_crawler(load_object(path), crawler))
        except NotConfigured:
            continue
    return pipelines


def run_pipelines(pipelines: list[Any], items: list[Any]) -> tuple[list[Any], list[tuple[Any, str]]]:
    """Pass ``items`` through ``pipelines``; return (kept items, [(dropped item, reason)])."""
    kept: list[Any] = []
    dropped: list[tuple[Any, str]] = []
    for item in items:
        try:
            for pipeline in pipelines:
                item = pipeline.process_item(item)
        except DropItem as exc:
            dropped.append((item, str(exc)))
        else:
            kept.append(item)
    return kept, dropped
