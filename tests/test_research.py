"""The researcher's commands: search, count, export, cite; from JSON Lines and from the real Elasticsearch node.

One backfill of the Cicero fixture site (every article kept, tagged, out of scope too) is written
both to a JSON Lines file and to the test node, so that every answer can be given twice and compared.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.mockserver import FixtureServer

ROOT = Path(__file__).parents[1]
SEED_URL = "https://www.cicero.de/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(data directory, JSON Lines output, env for Elasticsearch or None)."""
    work = tmp_path_factory.mktemp("research")
    es_url = os.environ.get("ELASTICSEARCH_URL")
    prefix = f"corpustest-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    env.update({"CORPUS_OUTPUT_DIR": str(work / "data"), "CORPUS_ES_PREFIX": prefix})
    if es_url:
        env["ELASTICSEARCH_URL"] = es_url
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}",
             "-a", "mode=backfill", "-a", "since=2020-01-01", "-a", "scope=all", "-a", "incremental=false",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    (output,) = (work / "data" / "cicero").glob("*.jsonl")
    files_env = {k: v for k, v in env.items() if k != "ELASTICSEARCH_URL"}
    yield work, output, files_env, (env if es_url else None)
    if es_url:
        from elasticsearch import Elasticsearch

        es = Elasticsearch(es_url)
        es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        for kind in ("articles", "comments", "crawls", "articles-history"):
            es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{kind}")
        es.close()


def corpus_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def es_env(corpus) -> dict:
    if corpus[3] is None:
        pytest.skip("ELASTICSEARCH_URL is not set: `make test` starts a node, or run `make es-up` first")
    return corpus[3]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_count_by_week_and_country_from_files(corpus):
    _, _, env, _ = corpus
    result = corpus_cli(env, "count", "--by", "week,country", "--scope", "all")
    assert result.returncode == 0, result.stderr
    rows = csv_rows(result.stdout)
    assert rows[0] == ["week", "country", "articles"]
    table = {(week, country): int(n) for week, country, n in rows[1:]}
    # the seed article (6 September 2023, a Wednesday): its week begins on Monday the 4th
    assert table[("2023-09-04", "KP")] == 1 and table[("2023-09-04", "RU")] == 1
    assert all(Counter(w for w, _ in table)[w] >= 1 for w, _ in table)
    assert "counted" in result.stderr and "1 JSON Lines file" in result.stderr


def test_count_is_the_same_from_elasticsearch_and_from_files(corpus):
    env = es_env(corpus)
    _, _, files_env, _ = corpus
    for by in ("week,country", "month,outlet", "author", "year,pair", "day"):
        from_es = corpus_cli(env, "count", "--by", by, "--scope", "all", "--source", "es")
        from_files = corpus_cli(files_env, "count", "--by", by, "--scope", "all")
        assert from_es.returncode == 0 and from_files.returncode == 0, from_es.stderr + from_files.stderr
        assert from_es.stdout == from_files.stdout, by
        assert "Elasticsearch" in from_es.stderr
    # and with filters
    args = ("count", "--by", "week", "--country", "KP", "--since", "2023-01-01", "--until", "2024-02-14",
            "--query", "Kim")
    assert corpus_cli(env, *args).stdout == corpus_cli(files_env, *args).stdout


def _weekly_from_export(frame) -> list[list[str]]:
    """Weeks (Monday, Berlin) by country from an export, as pandas users would compute them."""
    import pandas as pd

    frame = frame[frame["published_date"].notna() & (frame["published_date"] != "")]
    weeks = pd.to_datetime(frame["published_date"]).dt.to_period("W-SUN").dt.start_time.dt.strftime("%Y-%m-%d")
    exploded = frame.assign(week=weeks).explode("countries")
    counts = exploded.groupby(["week", "countries"]).size()
    return [["week", "country", "articles"]] + [[w, c, str(n)] for (w, c), n in sorted(counts.items())]


@pytest.mark.parametrize("source", ["files", "es"])
def test_exports_read_by_pandas_give_the_same_weekly_counts_as_count(corpus, tmp_path, source):
    import pandas as pd

    env = es_env(corpus) if source == "es" else corpus[2]
    extra = ["--source", "es"] if source == "es" else []
    counted = csv_rows(corpus_cli(env, "count", "--by", "week,country", "--scope", "all", *extra).stdout)
    parquet, table = tmp_path / "a.parquet", tmp_path / "a.csv"
    for path in (parquet, table):
        result = corpus_cli(env, "export", "--scope", "all", "-o", str(path), *extra)
        assert result.returncode == 0, result.stderr
    from_parquet = pd.read_parquet(parquet)
    from_csv = pd.read_csv(table, dtype=str, keep_default_na=False)
    from_csv["countries"] = from_csv["countries"].map(lambda v: [c for c in v.split("; ") if c])
    assert _weekly_from_export(from_parquet) == counted
    assert _weekly_from_export(from_csv) == counted
    assert len(from_parquet) == len(from_csv) == len(set(from_parquet["id"]))  # one row per article
    assert str(from_parquet["published_utc"].dtype).startswith("datetime64") and \
        str(from_parquet["published_utc"].dt.tz) == "UTC"
    seed = from_parquet[from_parquet["canonical_url"] == SEED_URL].iloc[0]
    assert seed["published_precision"] == "day" and seed["published_date"] == "2023-09-06"
    assert str(seed["published_utc"]) == "2023-09-05 22:00:00+00:00"  # 00:00 in Berlin
    assert list(seed["authors"]) == ["Felix Lill"] and seed["source"] == "crawl"
    assert seed["crawl_run"] and seed["software_version"] and seed["terms_digest"] and seed["fetched_at"]


def test_export_keeps_the_newest_version_of_an_item_and_exports_comments(corpus, tmp_path):
    _, output, env, _ = corpus
    items = [json.loads(line) for line in output.read_text().splitlines()]
    seed = next(i for i in items if i.get("canonical_url") == SEED_URL)
    older = dict(seed, version=1, title="Alte Fassung", crawled_at="2020-01-01T00:00:00+01:00")
    newer = dict(seed, version=2, title="Neue Fassung")
    twice = tmp_path / "twice.jsonl"
    twice.write_text("\n".join(json.dumps(x) for x in (*items, newer, older)) + "\n")
    out = tmp_path / "rows.jsonl"
    assert corpus_cli(env, "export", "--input", str(twice), "--scope", "all", "-o", str(out)).returncode == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["title"] for r in rows if r["id"] == seed["id"]] == ["Neue Fassung"]
    assert len(rows) == len({i["id"] for i in items if i["item_type"] == "article"})
    comments = tmp_path / "comments.csv"
    result = corpus_cli(env, "export", "--input", str(output), "--items", "comments", "--country", "KP",
                        "-o", str(comments))
    assert result.returncode == 0, result.stderr
    header, *data = csv_rows(comments.read_text())
    assert header[:3] == ["id", "article_id", "article_url"] and data
    assert all("KP" in r[header.index("article_countries")] for r in data)


def test_search_from_files_and_from_elasticsearch(corpus):
    _, _, files_env, _ = corpus
    hits = corpus_cli(files_env, "search", '"Kim Jong-un"', "--json")
    found = [json.loads(line) for line in hits.stdout.splitlines()]
    assert SEED_URL in {h["canonical_url"] for h in found}
    refused = corpus_cli(files_env, "search", "Kim OR Putin")
    assert refused.returncode == 2 and "needs Elasticsearch" in refused.stderr
    env = es_env(corpus)
    # the German analyser: an inflected form finds the article
    inflected = corpus_cli(env, "search", "Nordkoreas Wladiwostok", "--json")
    assert SEED_URL in {json.loads(line)["canonical_url"] for line in inflected.stdout.splitlines()}
    lucene = corpus_cli(env, "search", "title:Achse AND Putin", "--country", "RU")
    assert lucene.returncode == 0 and "Neue Achse Russland-China-Nordkorea?" in lucene.stdout
    broken = corpus_cli(env, "search", "Kim AND (Putin")
    assert broken.returncode == 2 and "Elasticsearch refused the query" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("source", ["files", "es"])
def test_cite_prints_a_reference_in_three_formats(corpus, source):
    env = es_env(corpus) if source == "es" else corpus[2]
    text = corpus_cli(env, "cite", SEED_URL)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Lill, Felix. 2023. \u201cNeue Achse Russland-China-Nordkorea?\u201d Cicero, "
                                  "September 6, 2023. " + SEED_URL + " (accessed ")
    assert "corpus id " in text.stdout and "crawl run " in text.stdout
    bib = corpus_cli(env, "cite", SEED_URL, "--format", "bibtex").stdout
    assert bib.startswith("@online{Lill2023") and "author = {Lill, Felix}" in bib and "date = {2023-09-06}" in bib
    (item,) = json.loads(corpus_cli(env, "cite", SEED_URL, "--format", "csl").stdout)
    assert item["type"] == "article-newspaper" and item["author"] == [{"family": "Lill", "given": "Felix"}]
    assert item["issued"] == {"date-parts": [[2023, 9, 6]]} and item["container-title"] == "Cicero"
    missing = corpus_cli(env, "cite", "no-such-id")
    assert missing.returncode == 2 and "no article" in missing.stderr


def test_bad_filters_are_refused_in_one_line(corpus):
    _, _, env, _ = corpus
    for args, says in ((["count", "--by", "fortnight"], "--by: unknown fortnight"),
                       (["count", "--by", "week,month"], "one period at most"),
                       (["count", "--by", "week", "--country", "DE"], "unknown country code"),
                       (["export", "-o", "x.xlsx"], "give --format"),
                       (["count", "--by", "week", "--since", "2024-13-01"], "not a date")):
        result = corpus_cli(env, *args)
        assert result.returncode == 2 and says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
