"""Property-based tests (hypothesis): arbitrary text and HTML never raise, and outputs keep their shape."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.extract.article import extract_article
from corpus.normalize.bylines import AGENCIES, parse_byline, resolve_authors
from corpus.normalize.dates import parse_date
from corpus.topics import default_tagger

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# text that looks like what pages print: German words, digits, dates, separators, odd unicode
PIECES = st.sampled_from([
    "Von", "VON", "und", "am", "Uhr", "Do.,", "7.", "September", "2023", "-", "10:40", "|", "dpa", "AFP",
    "Nordkorea", "Russland", "China", "Südkorea", "Kim", "Putin", "Xi", "Pjöngjang", "Peking", "Moskau", "(Reuters)",
    "Mit Material von", "Ein Kommentar von", ",", ";", "/", "&", "vor", "3", "Stunden", "gestern", "\u00ad",
    "\u200b", "ß", "🙂", "\x00", "  ", "\n", "T", "+02:00", "31.02.2024", "9999", "0", "<", ">", "&amp;",
])
TEXTISH = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=40).map(" ".join))


@SETTINGS
@given(TEXTISH, st.none() | st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1)))
def test_parse_date_never_raises_and_gives_a_date_or_nothing(text, reference):
    from corpus.normalize.dates import BERLIN

    result = parse_date(text, reference.replace(tzinfo=BERLIN) if reference else None)
    if result is not None:
        assert result.precision in ("minute", "day", "month")
        assert isinstance(result.value, date)
        if result.precision == "minute":
            assert isinstance(result.value, datetime) and result.value.tzinfo is not None
        assert result.isoformat()


@SETTINGS
@given(TEXTISH)
def test_parse_byline_never_raises_and_gives_names(text):
    byline = parse_byline(text)
    assert all(isinstance(a, str) and 0 < len(a) <= 60 and a == a.strip() for a in byline.authors)
    assert set(byline.agencies) <= set(AGENCIES.values())
    assert len(set(byline.authors)) == len(byline.authors)
    both = resolve_authors([text], text)
    assert set(both.agencies) <= set(AGENCIES.values())


@SETTINGS
@given(TEXTISH, TEXTISH, TEXTISH)
def test_tagging_never_raises_and_keeps_its_vocabulary(title, teaser, body):
    result = default_tagger().tag(title, teaser, body)
    assert set(result.countries) <= {"KP", "KR", "RU", "CN"}
    assert all(p.count("-") == 1 and p == "-".join(sorted(p.split("-"))) for p in result.pairs)
    assert result.pairs == sorted(result.pairs)
    assert isinstance(result.in_scope, bool) and result.topic_score >= 0


TAGS = st.sampled_from(["p", "div", "h1", "h2", "article", "span", "a", "script", "meta", "time", "li", "ul",
                        "section", "nav", "aside", "figure", "figcaption", "table", "td", "title", "head", "body"])
ATTRS = st.sampled_from(['', ' class="author"', ' property="og:title" content="X"', ' type="application/ld+json"',
                         ' datetime="2024-05-02T10:00:00+02:00"', ' href="/a/1"', ' itemprop="author"',
                         ' name="author" content="Von Anna Beispiel, dpa"', ' class="comment" data-comment-id="7"'])


@st.composite
def html_documents(draw):
    parts = []
    for _ in range(draw(st.integers(0, 30))):
        tag, attrs, text = draw(TAGS), draw(ATTRS), draw(TEXTISH)
        closed = draw(st.booleans())
        parts.append(f"<{tag}{attrs}>{text}" + (f"</{tag}>" if closed else ""))
    json_ld = draw(st.sampled_from(["", '{"@type": "NewsArticle", "headline": ', '{"@graph": [{"@type": "Article", '
                                    '"author": [{"name": null}, 5, "x"], "datePublished": "31.02.2024"}]}',
                                    '[{"@type": ["NewsArticle"], "headline": {"a": 1}, "image": [null]}]']))
    head = f'<script type="application/ld+json">{json_ld}</script>' if json_ld else ""
    return f"<html><head>{head}</head><body>{''.join(parts)}</body></html>"


@SETTINGS
@given(st.one_of(html_documents(), st.text(max_size=500)),
       st.sampled_from(["https://www.cicero.de/aussenpolitik/x", "https://www.spiegel.de/ausland/x-a-1",
                        "https://example.org/a/b", "not a url"]))
def test_extraction_never_raises_and_fills_the_schema(html, url):
    record = extract_article(html, url)
    for key in ("title", "kicker", "teaser", "section", "body", "published_at", "modified_at", "language"):
        assert record[key] is None or isinstance(record[key], str)
    for key in ("authors", "agencies", "author_organizations", "keywords"):
        assert isinstance(record[key], list) and all(isinstance(v, str) for v in record[key])
    assert isinstance(record["paywalled"], bool) and isinstance(record["teaser_printed"], bool)
    assert record["published_precision"] in (None, "minute", "day", "month")
    assert record["image"] is None or isinstance(record["image"].get("url"), str)
    assert set(record["extraction"].values()) <= {"jsonld", "meta", "selector", "generic", "missing"}
