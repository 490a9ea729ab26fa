"""The link table: every spider's URL decision over the same-site links of its outlet's real pages.

For each page of ../shared/eval (dev and intl) whose publisher has a spider, every link on it to
the outlet's own site goes through the decision a listing gets (``is_article_url``). A link that
looks like an article (a slug of three or more words and an id of five or more digits) and is
still rejected must be a documented decision: an entry of the spider's ``deny`` table, whose
reason the README lists, or one of the rules for every outlet (files). The page's own URL, a real
article, must be accepted.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from corpus.discovery import _folded
from tests.conftest import make_spider
from tests.test_outlets import EVAL_PUBLISHERS

EVAL = Path(__file__).parents[2] / "shared" / "eval"
ROOT = Path(__file__).parents[1]
LOADER = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
_SLUG = re.compile(r"[^\W\d_]+(?:[-_][^\W\d_]+){2,}")
_ID = re.compile(r"\d{5,}")
DOCUMENTED_FOR_ALL = ("a file", "another site", "the home page")


def looks_like_an_article(url: str) -> bool:
    path = _folded(urlsplit(url).path)
    return bool(_SLUG.search(path)) and bool(_ID.search(path))


def pages() -> list[tuple[str, str, Path]]:
    found = []
    for truth in sorted(EVAL.glob("*/truth.jsonl")):
        for line in truth.read_text("utf-8").splitlines():
            record = json.loads(line)
            if record["publisher"] in EVAL_PUBLISHERS:
                found.append((EVAL_PUBLISHERS[record["publisher"]], record["url"], truth.parent / record["file"]))
    return found


def decisions(spider_name: str, url: str, path: Path) -> dict[str, str | None]:
    spider = make_spider(LOADER.load(spider_name))
    html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    links = {urljoin(url, href.strip()).split("#", 1)[0] for href in Selector(text=html).css("a::attr(href)").getall()}
    return {link: spider.article_urls.why_not(link) for link in sorted(links) if link.startswith("http")}


@pytest.mark.skipif(not pages(), reason="../shared/eval is not present beside the repository")
@pytest.mark.parametrize(("spider_name", "url", "path"), pages(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_article_like_link_is_followed_or_a_documented_decision(spider_name, url, path):
    spider = make_spider(LOADER.load(spider_name))
    assert spider.article_urls.why_not(url) is None, f"{url} is a real article page of {spider_name}"
    table = decisions(spider_name, url, path)
    same_site = {link: why for link, why in table.items() if why != "another site"}
    accidents = {link: why for link, why in same_site.items() if looks_like_an_article(link) and why is not None
                 and not why.startswith("deny: ") and why not in DOCUMENTED_FOR_ALL}
    assert accidents == {}, f"{spider_name}: article-like links rejected without a documented reason"
    assert sum(why is None for why in same_site.values()) >= 3  # the page's related links are followed


def test_the_readme_lists_what_each_spider_leaves_out():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("### What the spiders leave out"):]
    section = section[:section.index("\n## ")]
    rows = {line.split("|")[1].strip().strip("`"): line for line in section.splitlines()
            if line.startswith("| `")}
    for name in LOADER.list():
        reasons = LOADER.load(name).deny.values()
        for reason in reasons:
            assert reason in rows.get(name, ""), f"README: the row of {name} lacks {reason!r}"
