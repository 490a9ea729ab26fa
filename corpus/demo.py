"""``make demo``: the whole path in a minute, with no network and no Docker.

Serves the bundled sample site (real Cicero pages, :mod:`corpus.sample`) on 127.0.0.1, crawls it
with the real ``scrapy crawl cicero`` into JSON Lines (and into Elasticsearch when one answers:
``ELASTICSEARCH_URL``, or the local node ``make es-up`` starts), then shows what a researcher
does next: a count table, a search and a citation, each with the command that made it.

Everything goes to ``<data directory>/demo`` (and the ``demo-*`` indices), apart from a real
corpus; running it again starts that over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

from corpus.paths import PROJECT_ROOT, data_dir

SEED_URL = "https://www.cicero.de/aussenpolitik/kim-jong-un-wladiwostok-putin-waffendeal-nordkorea-russland-china"
LOCAL_NODE = "http://127.0.0.1:9200"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?timeout=1s", timeout=3):
            return True
    except Exception:
        return False


def _say(text: str = "") -> None:
    print(text, flush=True)


def _corpus(env: dict[str, str], *args: str) -> str:
    """Run a ``corpus`` command as a user would, show it, and return its output."""
    shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
    _say(f"$ corpus {shown}")
    result = subprocess.run([sys.executable, "-m", "corpus.cli", *args], env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"demo: `corpus {shown}` failed:\n{result.stderr[-2000:]}")
    _say(result.stdout.rstrip())
    _say()
    return result.stdout


def main() -> int:
    from corpus.sample import FIXTURES, FixtureServer

    if PROJECT_ROOT is None or not (FIXTURES / "cicero" / "meta.json").is_file():
        print("demo: the sample site lives in a checkout of the project (tests/fixtures); clone it to run the demo",
              file=sys.stderr)
        return 2
    work = data_dir() / "demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "CORPUS_OUTPUT_DIR": str(work), "CORPUS_ES_PREFIX": "demo"}
    es_url = os.environ.get("ELASTICSEARCH_URL") or (LOCAL_NODE if _answers(LOCAL_NODE) else "")
    if es_url:
        env["ELASTICSEARCH_URL"] = es_url
        _delete_demo_indices(es_url)
    else:
        env.pop("ELASTICSEARCH_URL", None)
        env.pop("CORPUS_ES_HOSTS", None)
    started = time.monotonic()
    _say("1. A crawl of the bundled sample site (real Cicero pages, served on 127.0.0.1; no network)")
    _say(f"   into {work}" + (f" and Elasticsearch at {es_url} (indices demo-*)" if es_url else
                              " (JSON Lines; start Elasticsearch with `make es-up` to index too)"))
    with FixtureServer("cicero", "https://www.cicero.de") as site:
        command = [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={site.base_url}",
                   "-a", "mode=backfill", "-a", "since=2020-01-01", "-a", "scope=all", "-a", "incremental=false",
                   "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"LOG_FILE={work / 'crawl.log'}"]
        _say(f"$ scrapy crawl cicero -a base_url={site.base_url} -a mode=backfill -a since=2020-01-01 "
             "-a scope=all")
        crawl = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = (work / "crawl.log").read_text("utf-8") if (work / "crawl.log").exists() else crawl.stderr
    if crawl.returncode != 0:
        print(f"demo: the crawl failed (exit {crawl.returncode}):\n{log[-3000:]}", file=sys.stderr)
        return 1
    # the crawl's own end-of-crawl summary, without the log's time and level
    summary = [line.split("] ", 1)[-1].split(": ", 1)[-1] for line in log.splitlines() if "[corpus.health]" in line]
    _say("\n".join(f"   {line}" for line in summary if not line.startswith("Extraction")))
    output = next((work / "cicero").glob("*.jsonl"))
    _say(f"   output: {output}\n")
    source = ["--source", "es"] if es_url else []
    _say("2. Articles per month and country (CSV, for pandas or R)")
    _corpus(env, "count", "--by", "month,country", "--scope", "all", *source)
    _say("3. A search" + (" with the German analyser (\"Nordkoreas\" finds \"Nordkorea\")" if es_url else ""))
    _corpus(env, "search", "Kim Jong-un Wladiwostok", *source)
    _say("4. A citation of the first hit")
    _corpus(env, "cite", SEED_URL, *source)
    _say(f"Done in {time.monotonic() - started:.0f} s. Next: `corpus export -o articles.parquet` (one row per "
         "article), docs/fields.md (every field), `make crawl` (the real Cicero).")
    return 0


def _delete_demo_indices(es_url: str) -> None:
    """A fresh start for the demo's own indices (never the corpus's)."""
    from elasticsearch import Elasticsearch

    from corpus.search.config import EsConfig

    client = Elasticsearch(**EsConfig.from_env({"ELASTICSEARCH_URL": es_url}).client_kwargs())
    try:
        client.indices.delete(index="demo-*", ignore_unavailable=True, allow_no_indices=True)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
