"""The README documents every setting and every spider argument (a new one without a line fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from corpus import settings as project_settings
from corpus.config import CrawlSettings
from corpus.crawlargs import CrawlArgs

README = (Path(__file__).parents[1] / "README.md").read_text("utf-8")


def test_every_corpus_setting_is_in_the_readme():
    declared = {name for name in dir(project_settings) if name.startswith("CORPUS_")}
    # the scheduler sets these three on the crawls it starts; they are not for hand use
    internal = {"CORPUS_RUN_ID", "CORPUS_JOB", "CORPUS_RECORD_FILE"}
    missing = sorted(name for name in declared - internal if f"`{name}`" not in README and f"{name}`" not in README)
    assert missing == [], f"settings without a line in the README: {missing}"


def test_every_crawl_setting_is_read_by_the_typed_reader():
    declared = {name for name in dir(project_settings) if name.startswith("CORPUS_") and "_ES_" not in name}
    assert declared == set(CrawlSettings.names())  # one typed place reads them all


def test_every_spider_argument_is_in_the_readme_table():
    table = README[README.index("### Spider arguments"):]
    table = table[:table.index("\n\n", table.index("|---"))]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert documented == set(CrawlArgs.model_fields)


def test_the_readme_starts_with_the_two_set_up_commands():
    block = README.split("```", 2)[1]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make crawl", "make test"]
