"""A generated site for crawls with many pages: listings of 50 links (paged with rel="next") and N articles.

``GeneratedSite(pages)`` serves it on 127.0.0.1 (a thread); every request is counted per path,
``article_delay`` slows article pages down (so that a crawl can be stopped in the middle), and
``scripted_comments`` adds comments that a script inserts after load (for browser crawls),
``comments`` comments in the page itself (both in Cicero's markup: crawl with its parser);
setting ``body_lost`` makes the article pages lose their text (a markup change).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PER_LISTING = 50


# inserts ``count`` reader comments (in Cicero's markup) after the page has loaded: only a browser sees them
_COMMENTS_SCRIPT = """<script>
document.addEventListener("DOMContentLoaded", function () {{
  var s = document.getElementById("comments");
  for (var i = 0; i < {count}; i++) {{
    var c = document.createElement("article");
    c.className = "comment js-comment";
    c.setAttribute("data-comment-id", "{n}" + i);
    c.innerHTML = '<p class="comment__submitted"><span class="comment__author">Leser ' + i +
      '</span> | <span class="comment__date">Do., 2. Mai 2024 - 12:1' + i + '</span></p>' +
      '<div class="field field-name-comment-body"><p>Kommentar ' + i + ' zu Artikel {n}.</p></div>';
    s.appendChild(c);
  }}
}});
</script>"""


def _comment_html(n: int, i: int) -> str:
    return (f'<article class="comment js-comment" data-comment-id="{n}-{i}"><p class="comment__submitted">'
            f'<span class="comment__author">Leser {i}</span> | <span class="comment__date">Do., 2. Mai 2024 - '
            f'12:{i % 60:02d}</span></p><div class="field field-name-comment-body"><p>Kommentar {i} zu Artikel {n}.'
            '</p></div></article>')


def article_html(n: int, scripted_comments: int = 0, comments: int = 0, body_lost: bool = False) -> bytes:
    title = f"Nordkorea, Russland und China: Bericht {n}"
    body = "".join(f"<p>Absatz {i} des Berichts {n}: Pjöngjang, Moskau und Peking verhandeln über Handel "
                   f"und Sicherheit auf der koreanischen Halbinsel.</p>" for i in range(7))
    if body_lost:  # a redesign that loads the text with a script: the page itself keeps one line
        body = f'<p>Bericht {n} wird geladen …</p><div data-text-id="{n}"></div>'

    ld = json.dumps({"@type": "NewsArticle", "headline": title, "datePublished": "2024-05-02T10:00:00+02:00"})
    script = _COMMENTS_SCRIPT.format(count=scripted_comments, n=n) if scripted_comments else ""
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title}</title>'
            f'<script type="application/ld+json">{ld}</script>{script}</head><body><article><h1>{title}</h1>{body}'
            '</article><section id="comments" class="comments">'
            f'{"".join(_comment_html(n, i) for i in range(comments))}</section></body></html>').encode()


def feed_xml(base: str, pages: int, scheme: str) -> bytes:
    """An RSS feed of every article, in the old URL scheme (``/a/<n>``) or a new one the spider does not
    know (``/news/bericht-<n>-id<n>.html``), and one item that is a listing page, not an article."""
    def link(n: int) -> str:
        return f"{base}/a/{n}" if scheme == "old" else f"{base}/news/bericht-{n}-id{n}.html"

    items = "".join(f"<item><title>Bericht {n}</title><link>{link(n)}</link></item>" for n in range(pages))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Generated</title>'
            f"<link>{base}/</link>{items}<item><title>Alle</title><link>{base}/list/1</link></item>"
            "</channel></rss>").encode()


def listing_html(pages: int, number: int) -> bytes:
    first = (number - 1) * PER_LISTING
    links = "".join(f'<a href="/a/{n}">Bericht {n}</a> ' for n in range(first, min(first + PER_LISTING, pages)))
    more = f'<a rel="next" href="/list/{number + 1}">Mehr</a>' if first + PER_LISTING < pages else ""
    return f"<!DOCTYPE html><html><head><title>Liste {number}</title></head><body>{links}{more}</body></html>".encode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a crawler killed mid-answer is expected
            super().handle_error(request, client_address)


class GeneratedSite:
    def __init__(self, pages: int, article_delay: float = 0.0, scripted_comments: int = 0, comments: int = 0) -> None:
        self.pages = pages
        self.comments = comments
        self.article_delay = article_delay
        self.scripted_comments = scripted_comments
        self.body_lost = False
        self.feed_scheme = "old"  # or "new": the feed lists the articles under a URL scheme the spider does not know
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                with site._lock:
                    site.requests[path] += 1
                body, status = b"not found", 404
                number = path.rsplit("/", 1)[-1]
                new_scheme = path.startswith("/news/bericht-") and path.endswith(".html")
                if new_scheme:
                    number = path.rsplit("-id", 1)[-1].removesuffix(".html")
                if path == "/feed.xml":
                    body, status = feed_xml(site.base_url, site.pages, site.feed_scheme), 200
                elif path.startswith("/list/") and number.isdigit():
                    body, status = listing_html(site.pages, int(number)), 200
                elif (path.startswith("/a/") or new_scheme) and number.isdigit() and int(number) < site.pages:
                    time.sleep(site.article_delay)
                    body, status = article_html(int(number), site.scripted_comments, site.comments,
                                                site.body_lost), 200
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def article_fetches(self) -> Counter[str]:
        with self._lock:
            return Counter({p: n for p, n in self.requests.items() if p.startswith(("/a/", "/news/"))})

    def __enter__(self) -> GeneratedSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
