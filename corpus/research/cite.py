"""A citation-ready record of one article: plain text, BibTeX or CSL-JSON (Zotero, Citavi, pandoc).

The record names the outlet, authors (agencies and credited newsrooms as institutional authors),
title, publication date with its precision, URL, the day the page was fetched ("accessed"), and
the corpus's own references: the article id and version, the crawl run, and the web-archive
record the text was taken from when the corpus keeps one.
"""

from __future__ import annotations

import json
import re
from typing import Any

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


def _split_name(name: str) -> dict[str, str]:
    """``Felix Lill`` -> family Lill, given Felix; one word stays a literal name."""
    parts = name.split()
    if len(parts) < 2:
        return {"literal": name}
    return {"family": parts[-1], "given": " ".join(parts[:-1])}


def _creators(article: dict[str, Any]) -> list[dict[str, str]]:
    people = [_split_name(a) for a in article.get("authors") or []]
    bodies = (article.get("agencies") or []) + (article.get("author_organizations") or [])
    institutions = [{"literal": a} for a in bodies]
    return people + institutions


def _date_parts(value: str | None) -> list[int]:
    if not value:
        return []
    return [int(p) for p in re.findall(r"\d+", value[:10])][:3]


def _human_date(value: str | None) -> str:
    parts = _date_parts(value)
    if len(parts) == 3:
        return f"{_MONTHS_EN[parts[1] - 1]} {parts[2]}, {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS_EN[parts[1] - 1]} {parts[0]}"
    return "n.d."


def _reference(article: dict[str, Any]) -> str:
    archive = article.get("archive")
    archived = ""
    if isinstance(archive, dict) and archive.get("file"):
        archived = f", archive {archive['file']}@{archive.get('offset')} ({archive.get('record_id', '')})"
    return (f"corpus id {article.get('id')}, version {article.get('version') or 1}, crawl run "
            f"{article.get('crawl_run') or 'unknown'}{archived or ', not archived'}")


def _names(article: dict[str, Any]) -> str:
    creators = _creators(article)
    names = [f"{c['family']}, {c['given']}" if "family" in c else c["literal"] for c in creators]
    if not names:
        return article.get("outlet_name") or article.get("outlet") or "Anonymous"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", and " + names[-1]


def text(article: dict[str, Any]) -> str:
    """A reference in the author-date style social sciences use, with the corpus's own reference after it."""
    year = (article.get("published_at") or "n.d.")[:4]
    outlet = article.get("outlet_name") or article.get("outlet")
    accessed = _human_date(article.get("crawled_at"))
    title = str(article.get("title") or "")
    title += "" if title.endswith(("?", "!", ".")) else "."
    return (f"{_names(article)}. {year}. \u201c{title}\u201d {outlet}, "
            f"{_human_date(article.get('published_at'))}. {article.get('canonical_url') or article.get('url')} "
            f"(accessed {accessed}). [{_reference(article)}]")


def _bibtex_escape(value: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", value)


def bibtex(article: dict[str, Any]) -> str:
    """A biblatex ``@online`` entry (``journaltitle`` is the outlet)."""
    creators = _creators(article)
    authors = " and ".join(f"{c['family']}, {c['given']}" if "family" in c else "{" + c["literal"] + "}"
                           for c in creators)
    first = creators[0].get("family") or creators[0].get("literal", "") if creators else article.get("outlet", "")
    key = re.sub(r"\W+", "", f"{first}{(article.get('published_at') or '')[:4]}{str(article.get('id'))[:6]}")
    fields = {
        "author": authors or None,
        "title": article.get("title"),
        "journaltitle": article.get("outlet_name") or article.get("outlet"),
        "date": (article.get("published_at") or "")[:10] or None,
        "url": article.get("canonical_url") or article.get("url"),
        "urldate": (article.get("crawled_at") or "")[:10] or None,
        "langid": {"de": "ngerman"}.get(article.get("language") or "", article.get("language")),
        "note": _reference(article),
    }
    body = ",\n".join(f"  {k} = {{{v if k in ('author', 'url') else _bibtex_escape(str(v))}}}"
                      for k, v in fields.items() if v)
    return f"@online{{{key},\n{body}\n}}"


def csl(article: dict[str, Any]) -> str:
    """CSL-JSON (one item), as Zotero and pandoc read it."""
    item: dict[str, Any] = {
        "id": article.get("id"),
        "type": "article-newspaper",
        "title": article.get("title"),
        "container-title": article.get("outlet_name") or article.get("outlet"),
        "author": _creators(article),
        "URL": article.get("canonical_url") or article.get("url"),
        "language": article.get("language"),
        "note": _reference(article),
    }
    if parts := _date_parts(article.get("published_at")):
        item["issued"] = {"date-parts": [parts]}
    if parts := _date_parts(article.get("crawled_at")):
        item["accessed"] = {"date-parts": [parts]}
    return json.dumps([{k: v for k, v in item.items() if v not in (None, [], "")}], ensure_ascii=False, indent=2)


FORMATS = {"text": text, "bibtex": bibtex, "csl": csl}
