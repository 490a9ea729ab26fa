"""Shared fixtures: fixture pages as Scrapy responses, spiders on a test crawler, the local server."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from corpus import settings as project_settings
from spiders.cicero import CiceroSpider
from tests.mockserver import FixtureServer
from tests.pipelines import build_pipelines

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_urls(outlet: str) -> dict[str, str]:
    return json.loads((FIXTURES / outlet / "meta.json").read_text("utf-8"))


def fixture_response(outlet: str, name: str, request: Request | None = None) -> HtmlResponse:
    """The fixture file as the response to its URL (from meta.json)."""
    url = fixture_urls(outlet)[name]
    body = (FIXTURES / outlet / name).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=request or Request(url))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS picked it a moment ago)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_spider(spider_cls: type = CiceroSpider, **kwargs: Any) -> Any:
    """A spider bound to a test crawler with the project's settings (stats included)."""
    settings = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    settings["CORPUS_ES_HOSTS"] = ""  # parser and pipeline tests stop before indexing (see test_elasticsearch.py)
    settings["CORPUS_INCREMENTAL"] = False  # discovery tests see every link (tests/test_incremental.py has the filter)
    # a fresh local state per spider: nothing is "already written" from an earlier test
    settings["CORPUS_STATE_FILE"] = os.path.join(tempfile.mkdtemp(prefix="corpus-state-"), "state.sqlite")
    settings.update(kwargs.pop("_settings", {}))
    crawler = get_crawler(spider_cls, settings)
    spider = crawler._create_spider(**kwargs)
    crawler.spider = spider
    return spider


@pytest.fixture
def cicero_spider() -> Any:
    return make_spider(CiceroSpider)


@pytest.fixture
def pipelines(cicero_spider: Any) -> list[Any]:
    return build_pipelines(cicero_spider.crawler)


@pytest.fixture
def cicero_server() -> Iterator[FixtureServer]:
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        yield server


# --- the real Elasticsearch node (ELASTICSEARCH_URL; `make test` starts one) -------------------------

@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: `make test` starts a node, or run `make es-up` first")
    return url


@pytest.fixture
def es(es_url: str) -> Iterator[Any]:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def prefix(es: Any) -> Iterator[str]:
    """An alias prefix of the test's own; its indices and templates are removed afterwards."""
    import uuid

    name = f"corpustest-{uuid.uuid4().hex[:8]}"
    yield name
    es.indices.delete(index=f"{name}-*", ignore_unavailable=True, allow_no_indices=True)
    from corpus.search.templates import KINDS

    for kind in KINDS:
        es.options(ignore_status=404).indices.delete_index_template(name=f"{name}-{kind}")
