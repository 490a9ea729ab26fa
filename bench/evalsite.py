"""The real pages of ../shared/eval served as one local site, for the crawl benchmark (bench/crawl.py, variant d).

Every page of the eval sets (``dev/``, ``intl/``: real article pages of 200 publishers) is
read as a crawl reads a response (:func:`corpus.extract.article.read_html`) and served as
UTF-8, gzip-encoded as news sites serve pages, at ``/<set>/<page>`` (``/dev/BR_2024_04_22``);
``/sitemap.xml`` lists them all with their publication day as ``lastmod``. The pages keep
their own links, which point at their real sites: a crawl of this site fetches the sitemap
and the pages, nothing else.

Control paths as in bench/site.py (``/_bench/manifest``, ``/_bench/served``,
``/_bench/reset``); the manifest also names every page's file, so that extraction alone
can be timed on exactly the pages the crawl fetched.

Run: ``python -m bench.evalsite --port 0`` prints its base URL on stdout and serves
until killed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.site import SiteServer, serve  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
SETS = ("dev", "intl")


class EvalSite:
    """The pages, rendered once: serving is a dictionary look-up."""

    def __init__(self, eval_dir: Path, base_url: str) -> None:
        from corpus.extract.article import read_html

        self.base_url = base_url
        self.responses: dict[str, tuple[Any, ...]] = {}
        self.pages: dict[str, str] = {}  # path -> eval file (set/name)
        entries = []
        for name in SETS:
            truth = eval_dir / name / "truth.jsonl"
            if not truth.exists():
                continue
            for line in truth.read_text("utf-8").splitlines():
                record = json.loads(line)
                path = f"/{name}/{record['file'].removesuffix('.html.gz')}"
                html = read_html(eval_dir / name / record["file"])
                # gzip-encoded, as news sites serve their pages (Scrapy asks for it)
                self.responses[path] = (200, "text/html; charset=utf-8", gzip.compress(html.encode("utf-8"), 6),
                                        {"Content-Encoding": "gzip"})
                self.pages[path] = f"{name}/{record['file']}"
                day = (record.get("published_at") or record.get("crawl_date") or "")[:10]
                lastmod = f"<lastmod>{day}</lastmod>" if len(day) == 10 else ""
                entries.append(f"  <url><loc>{escape(base_url + path)}</loc>{lastmod}</url>")
        if not self.pages:
            raise SystemExit(f"no eval pages under {eval_dir} (dev/truth.jsonl, intl/truth.jsonl)")
        sitemap = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                   + "\n".join(entries) + "\n</urlset>\n")
        self.responses["/sitemap.xml"] = (200, "application/xml; charset=utf-8", sitemap.encode("utf-8"))

    def manifest(self) -> dict[str, object]:
        return {
            "base_url": self.base_url,
            "articles": len(self.pages),
            "pages": self.pages,
            "since": "1990-01-01",
            "paths": {"sitemap": ["/sitemap.xml"], "articles": sorted(self.pages)},
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="the eval sets' folder (default ../shared/eval)")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    args = ap.parse_args()
    server = SiteServer(args.port)
    return serve(server, EvalSite(args.eval, server.base_url))


if __name__ == "__main__":
    sys.exit(main())
