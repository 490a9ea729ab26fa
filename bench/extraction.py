"""Benchmark: our extraction against trafilatura and newspaper4k on the real pages of ../shared/eval.

For every page of ``../shared/eval/dev`` (read in place), each extractor
predicts title, authors, publication date and body; the set's own scorer
(``../shared/eval/score.py``) scores them, and one table is printed: title
exact, authors F1, date exact to the minute, date same day, body F1, share of
pages with body F1 >= 0.9, and pages/s (extraction only, files already read).

    python bench/extraction.py [--eval ../shared/eval/dev] [--only ours] [--per-page]

trafilatura and newspaper4k are optional (``pip install trafilatura newspaper4k``);
a missing one is reported and left out of the table.
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
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "dev"


def _scorer(eval_dir: Path) -> Any:
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
        return {"title": None, "authors": [], "published_at": None, "body": ""}
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


def run(
    name: str, extractor: Callable[[str, str], dict[str, Any]], pages: list[tuple[dict, str]]
) -> tuple[list, float]:
    predictions = []
    # one untimed call first: one-time loading (dateparser's language data, trafilatura's
    # settings) is start-up, not per-page cost
    try:
        extractor(pages[0][1], pages[0][0]["url"])
        if name == "ours":
            from corpus.normalize.dates import parse_date

            parse_date("1. Januar 2024", engine="slow")  # dateparser loads its data on first use
    except Exception:  # a failure here shows again, timed, below
        pass
    began = time.perf_counter()
    for record, html in pages:
        try:
            prediction = extractor(html, record["url"])
        except Exception as exc:  # an extractor that fails on a page scores zero on it
            print(f"  {name} failed on {record['file']}: {type(exc).__name__}: {exc}", file=sys.stderr)
            prediction = {"title": None, "authors": [], "published_at": None, "body": ""}
        predictions.append({"file": record["file"], **prediction})
    return predictions, time.perf_counter() - began


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS))
    ap.add_argument("--per-page", action="store_true", help="also print our per-page scores")
    ap.add_argument("--save", type=Path, help="write our predictions (pred.jsonl) here")
    args = ap.parse_args()
    if not (args.eval / "truth.jsonl").exists():
        print(f"no eval set at {args.eval}", file=sys.stderr)
        return 2
    from corpus.extract.article import read_html

    scorer = _scorer(args.eval)
    truth = scorer.load_jsonl(str(args.eval / "truth.jsonl"))
    pages = [(record, read_html(args.eval / record["file"])) for record in truth]
    rows = []
    for name in args.only or list(EXTRACTORS):
        try:
            predictions, seconds = run(name, EXTRACTORS[name], pages)
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); left out", file=sys.stderr)
            continue
        summary, per_page = scorer.score(truth, predictions)
        rows.append((name, summary, len(pages) / seconds))
        if name == "ours" and args.save:
            args.save.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions), "utf-8")
        if name == "ours" and args.per_page:
            for page in per_page:
                print(json.dumps(page, ensure_ascii=False))
    keys = [("title_exact", "title exact"), ("authors_f1", "authors F1"), ("date_minute", "date minute"),
            ("date_day", "date day"), ("body_f1", "body F1"), ("body_f1_ge_0_9", "body>=0.9")]
    first = rows[0][1] if rows else {}
    keys = [(k, label) for k, label in keys if k in first] or [(k, k) for k in first if isinstance(first[k], float)]
    print(f"pages: {len(pages)} from {args.eval}")
    print(f"{'extractor':14}" + "".join(f"{label:>13}" for _, label in keys) + f"{'pages/s':>10}")
    for name, summary, speed in rows:
        print(f"{name:14}" + "".join(f"{summary.get(k, float('nan')):13.3f}" for k, _ in keys) + f"{speed:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
