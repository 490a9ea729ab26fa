"""The parser contract, for every outlet: public methods are fields, and each returns its field's type.

A misspelt field method (``autors``) used to be ignored without a word, and ``authors`` returned a
string in one outlet and a list in another. Every outlet's parser, and the shared layers, are run
here on the outlet's fixture pages and on the real pages of ``../shared/eval`` (when present).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from corpus.extract import OutletParser, Page
from corpus.extract.layers import FIELD_TYPES, GenericLayer, JsonLdLayer, Layer, MetaLayer
from tests.conftest import FIXTURES

EVAL = Path(__file__).parents[2] / "shared" / "eval"
LOADER = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
PARSERS = {name: LOADER.load(name).parser for name in sorted(LOADER.list())}
LAYER_API = {"get", "name"}  # what every layer has besides its fields


def contract_problems(cls: type[Layer]) -> list[str]:
    """Public methods of a parser that are no field (a typo is silently never called)."""
    public = {n for n in dir(cls) if not n.startswith("_") and not n.isupper() and n not in LAYER_API}
    return sorted(f"{cls.__name__}.{n} is not a field (FIELD_TYPES)" for n in public - set(FIELD_TYPES)
                  if callable(getattr(cls, n)))


def type_problems(layer: Layer) -> list[str]:
    """Field methods whose value is not their field's type (lists must hold strings)."""
    problems = []
    for name, expected in FIELD_TYPES.items():
        method = getattr(layer, name, None)
        if not callable(method):
            continue
        value = method()
        if value is None:
            continue
        if not isinstance(value, expected) or (expected is list and not all(isinstance(v, str) for v in value)):
            problems.append(f"{type(layer).__name__}.{name} gave {type(value).__name__} {str(value)[:60]!r}, "
                            f"not {expected.__name__}")
    return problems


def outlet_pages(outlet: str) -> list[Page]:
    pages = []
    meta = json.loads((FIXTURES / outlet / "meta.json").read_text("utf-8"))
    for name, url in meta.items():
        if name.endswith(".html"):
            pages.append(Page(url, (FIXTURES / outlet / name).read_text("utf-8")))
    host = LOADER.load(outlet).base_url.split("://", 1)[1].removeprefix("www.")
    for truth in EVAL.glob("*/truth.jsonl"):
        for line in truth.read_text("utf-8").splitlines():
            record = json.loads(line)
            if host in record["url"]:
                html = gzip.decompress((truth.parent / record["file"]).read_bytes()).decode("utf-8", "replace")
                pages.append(Page(record["url"], html))
    return pages


@pytest.mark.parametrize("outlet", sorted(PARSERS))
def test_every_public_parser_method_is_a_field(outlet):
    assert contract_problems(PARSERS[outlet]) == []


@pytest.mark.parametrize("outlet", sorted(PARSERS))
def test_every_field_method_returns_its_type_on_real_pages(outlet):
    pages = outlet_pages(outlet)
    assert pages
    for page in pages:
        assert type_problems(PARSERS[outlet](page)) == [], page.url


def test_the_shared_layers_return_their_types_on_every_eval_page():
    truths = list(EVAL.glob("*/truth.jsonl"))
    if not truths:
        pytest.skip(f"the evaluation set {EVAL} is not there")
    for truth in truths:
        for line in truth.read_text("utf-8").splitlines()[:60]:
            record = json.loads(line)
            html = gzip.decompress((truth.parent / record["file"]).read_bytes()).decode("utf-8", "replace")
            page = Page(record["url"], html)
            for layer in (JsonLdLayer(page), MetaLayer(page), GenericLayer(page)):
                assert contract_problems(type(layer)) == []
                assert type_problems(layer) == [], record["url"]


def test_the_checks_catch_a_misspelt_field_and_a_wrong_type():
    class Broken(OutletParser):
        def autors(self) -> list[str]:  # a typo: never called
            return ["Felix Lill"]

        def authors(self) -> Any:  # a byline where a list of names belongs
            return "VON FELIX LILL"

    assert contract_problems(Broken) == ["Broken.autors is not a field (FIELD_TYPES)"]
    problems = type_problems(Broken(Page("https://example.org/a", "<html><body><p>x</p></body></html>")))
    assert problems == ["Broken.authors gave str 'VON FELIX LILL', not list"]
    with pytest.raises(KeyError):
        Broken(Page("https://example.org/a", "<html></html>")).get("autors")
