"""Benchmark: our extraction against trafilatura and newspaper4k on the real pages of ../shared/eval.

For every page of the eval sets (``../shared/eval/dev``: German-language, ``intl``: 38
other countries; read in place), each extractor predicts title, authors, publication
date and body; the sets' own scorer (``../shared/eval/score.py``) scores them. One
table per set and one for all pages together: title exact, authors F1, date exact to
the minute, date same day, body F1, share of pages with body F1 >= 0.9, and pages/s
(extraction only: files already read, one-time loading excluded), with each
extractor's speed as a ratio to trafilatura's measured in the same run (the extractors
take turns page by page, so a change in the machine's load weighs on all alike).

    python bench/extraction.py [--eval DIR ...] [--only ours] [--per-page] [--save DIR]

``--save DIR`` writes each extractor's predictions (``DIR/<extractor>.jsonl``, all sets
together): ``bench/publishers.py`` compares two such files publisher by publisher.

trafilatura and newspaper4k come with the bench extra (``pip install -e '.[bench]'``,
which ``make bench`` runs): a missing one is reported and left out of the tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_SETS = [EVAL / "dev", EVAL / "intl"]
EMPTY = {"title": None, "authors": [], "published_at": None, "body": ""}


def scorer(eval_dir: Path) -> Any:
    """The eval set's own scorer (``score.py`` beside the set)."""
    spec = importlib.util.spec_from_file_location("eval_score", eval_dir.parent / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(html: str, url: str) -> dict[str, Any]:
    from corpus.extract.article import extract_article

    record = extract_article(html, url)
    # the set counts agencies ("dpa") and credited newsrooms ("BR24 Redaktion") as authors;
    # our records keep the three apart
    credited = record["authors"] + record["agencies"] + record["author_organizations"]
    # the set's body starts with the summary the page prints; ours keeps it in ``teaser``
    body = record["body"] or ""
    if record["teaser_printed"]:
        body = f"{record['teaser']}\n\n{body}"
    return {"title": record["title"], "authors": credited, "published_at": record["published_at"], "body": body}


def with_trafilatura(html: str, url: str) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return dict(EMPTY)
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    return {"title": data.get("title"), "authors": authors, "published_at": data.get("date"),
            "body": data.get("text") or ""}


def with_newspaper(html: str, url: str) -> dict[str, Any]:
    import newspaper

    # no image downloads: newspaper4k otherwise fetches images over the network to size them
    config = newspaper.Config()
    config.fetch_images = False
    article = newspaper.Article(url, language="de", config=config)
    article.download(input_html=html)
    article.parse()
    published = article.publish_date.isoformat() if article.publish_date else None
    return {"title": article.title or None, "authors": list(article.authors), "published_at": published,
            "body": article.text or ""}


EXTRACTORS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "ours": ours,
    "trafilatura": with_trafilatura,
    "newspaper4k": with_newspaper,
}


def warm_up(name: str, extractor: Callable[[str, str], dict[str, Any]], html: str, url: str) -> None:
    """One untimed call: one-time loading (dateparser's language data, trafilatura's settings) is
    start-up, not per-page cost."""
    try:
        extractor(html, url)
        if name == "ours":
            from corpus.normalize.dates import parse_date

            parse_date("1. Januar 2024", engine="slow")  # dateparser loads its data on first use
    except ImportError:
        raise
    except Exception:  # a failure here shows again, timed, below
        pass


def run(extractors: dict[str, Callable[[str, str], dict[str, Any]]],
        pages: list[tuple[dict, str]]) -> dict[str, tuple[list[dict], dict[str, float]]]:
    """Each extractor's predictions for every page, and the seconds each page took.

    The extractors take turns page by page, so that a change in the machine's load (other
    processes share its cores) weighs on all of them alike and their speed ratios hold.
    Each extractor has been warmed up (:func:`warm_up`: ``main`` does it, and learns there
    which are installed).
    """
    results: dict[str, tuple[list[dict], dict[str, float]]] = {name: ([], {}) for name in extractors}
    for record, html in pages:
        for name, extractor in extractors.items():
            began = time.perf_counter()
            try:
                prediction = extractor(html, record["url"])
            except Exception as exc:  # an extractor that fails on a page scores zero on it
                print(f"  {name} failed on {record['file']}: {type(exc).__name__}: {exc}", file=sys.stderr)
                prediction = dict(EMPTY)
            results[name][1][record["file"]] = time.perf_counter() - began
            results[name][0].append({"file": record["file"], **prediction})
    return results


KEYS = [("title_exact", "title exact"), ("authors_f1", "authors F1"), ("date_minute", "date minute"),
        ("date_day", "date day"), ("body_f1", "body F1"), ("body_f1_ge_0_9", "body>=0.9")]


def table(title: str, rows: list[tuple[str, dict, float, float | None]]) -> str:
    """One set's table: a row per extractor with its scores, pages/s and speed against trafilatura."""
    lines = [title, f"{'extractor':14}" + "".join(f"{label:>13}" for _, label in KEYS)
             + f"{'pages/s':>10}{'x trafil.':>11}"]
    for name, summary, speed, ratio in rows:
        lines.append(f"{name:14}" + "".join(f"{summary.get(k, float('nan')):13.3f}" for k, _ in KEYS)
                     + f"{speed:10.1f}" + (f"{ratio:11.2f}" if ratio else f"{'-':>11}"))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, action="append", help="an eval set (default: dev and intl)")
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS))
    ap.add_argument("--per-page", action="store_true", help="also print our per-page scores")
    ap.add_argument("--save", type=Path, help="write each extractor's predictions into this directory")
    args = ap.parse_args()
    sets = args.eval or DEFAULT_SETS
    for eval_dir in sets:
        if not (eval_dir / "truth.jsonl").exists():
            print(f"no eval set at {eval_dir} (truth.jsonl missing)", file=sys.stderr)
            return 2
    from corpus.extract.article import read_html

    score = scorer(sets[0])
    truths = {d.name: score.load_jsonl(str(d / "truth.jsonl")) for d in sets}
    pages = [(record, read_html(d / record["file"])) for d in sets for record in truths[d.name]]
    names = args.only or list(EXTRACTORS)
    extractors = {}
    for name in names:
        try:
            warm_up(name, EXTRACTORS[name], pages[0][1], pages[0][0]["url"])
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); left out", file=sys.stderr)
            continue
        extractors[name] = EXTRACTORS[name]
    results = run(extractors, pages)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, (predictions, _) in results.items():
            (args.save / f"{name}.jsonl").write_text(
                "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions), "utf-8")
    base = results.get("trafilatura")
    scopes = [(d.name, truths[d.name]) for d in sets]
    if len(sets) > 1:
        scopes.append(("all", [r for d in sets for r in truths[d.name]]))
    for label, truth in scopes:
        files = {r["file"] for r in truth}
        rows = []
        for name, (predictions, times) in results.items():
            chosen = [p for p in predictions if p["file"] in files]
            summary, per_page = score.score(truth, chosen)
            seconds = sum(times[f] for f in files)
            speed = len(truth) / seconds
            ratio = sum(base[1][f] for f in files) / seconds if base and name != "trafilatura" else None
            rows.append((name, summary, speed, ratio))
            if name == "ours" and args.per_page and label != "all":
                for page in per_page:
                    print(json.dumps(page, ensure_ascii=False))
        print(table(f"{label}: {len(truth)} pages", rows))
        print()
    return 0



if __name__ == "__main__":
    sys.exit(main())
