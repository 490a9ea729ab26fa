"""The extraction engine on small pages written here: layer order, title choice, site suffixes."""

from __future__ import annotations

import json

from corpus.extract.article import extract_article
from corpus.extract.layers import clean_title, extract
from corpus.extract.page import Page


def page(head: str = "", body: str = "", ld: dict | None = None, url: str = "https://www.example.de/politik/a-1.html"):
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    return Page(url, f"<html><head>{head}{script}</head><body>{body}</body></html>")


def og(title: str) -> str:
    return f'<meta property="og:title" content="{title}">'


def test_json_ld_graph_headline_is_taken_first():
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Example"},
        {"@type": "NewsArticle", "headline": "Seoul und Tokio rücken zusammen"},
    ]}
    result = extract(page(og("Seoul und Tokio: ein Bündnis"), "<h1>Anderes</h1>", ld))
    assert result.values["title"] == "Seoul und Tokio rücken zusammen"
    assert result.layers["title"] == "jsonld"


def test_breadcrumb_seo_headline_yields_to_og_title():
    ld = {"@type": "NewsArticle", "headline": "Gipfel in Wladiwostok: Kim trifft Putin"}
    body = ('<nav class="breadcrumb"><a href="/">Start</a><h1>Gipfel in Wladiwostok: Kim trifft Putin</h1></nav>'
            '<article><span class="kicker">Gipfel in Wladiwostok</span><span>Kim trifft Putin</span></article>')
    result = extract(page(og("Kim trifft Putin"), body, ld))
    assert result.values["title"] == "Kim trifft Putin"
    assert result.layers["title"] == "meta"


def test_article_heading_decides_between_json_ld_and_og():
    ld = {"@type": "NewsArticle", "headline": "SEO-Fassung der Überschrift"}
    shown = "Die Überschrift, wie der Artikel sie zeigt"
    assert extract(page(og(shown), f"<article><h1>{shown}</h1></article>", ld)).values["title"] == shown
    # the JSON-LD headline shown as the article's h1 keeps its place
    ld_shown = extract(page(og(shown), "<article><h1>SEO-Fassung der Überschrift</h1></article>", ld))
    assert ld_shown.values["title"] == "SEO-Fassung der Überschrift"
    # nothing shown: JSON-LD first
    assert extract(page(og(shown), "<p>Text</p>", ld)).values["title"] == "SEO-Fassung der Überschrift"


def test_kicker_separator_difference_prefers_the_colon_form():
    ld = {"@type": "NewsArticle", "headline": "Rückbau von Atomkraftwerk - Kühltürme gesprengt"}
    result = extract(page(og("Rückbau von Atomkraftwerk: Kühltürme gesprengt"), "", ld))
    assert result.values["title"] == "Rückbau von Atomkraftwerk: Kühltürme gesprengt"


def test_site_suffixes_are_dropped_also_with_spelled_out_umlauts():
    names = {"boersen-zeitung.de", "boersen-zeitung"}
    assert clean_title("US-Zinsen setzen Dax zu | Börsen-Zeitung", names) == "US-Zinsen setzen Dax zu"
    assert clean_title("Ziele, Chancen, Risiken | DW | 28.04.2023", {"dw.com", "dw"}) == "Ziele, Chancen, Risiken"
    # a title that merely contains a dash keeps it
    assert clean_title("Kim - ein Porträt", {"example.de", "example"}) == "Kim - ein Porträt"


def test_generic_layer_fills_what_metadata_lacks():
    html = ("<html><head><title>Nordkorea testet Rakete – Example</title></head><body><article>"
            "<h1>Nordkorea testet Rakete</h1><p class='byline'>Von Anna Beispiel</p>"
            "<time datetime='2024-05-03T10:15:00+02:00'>3. Mai</time>"
            + "".join(f"<p>Absatz {i} über den Raketentest in Nordkorea und die Folgen für die Region.</p>"
                      for i in range(8)) + "</article></body></html>")
    record = extract_article(html, "https://www.example.de/politik/rakete-1.html")
    assert record["title"] == "Nordkorea testet Rakete"
    assert record["authors"] == ["Anna Beispiel"]
    assert record["published_at"] == "2024-05-03T10:15:00+02:00"
    assert record["extraction"]["title"] == "generic"
    assert "Absatz 0" in record["body"] and "Absatz 7" in record["body"]


def article_html(head: str = "", body: str = "", ld: dict | None = None) -> str:
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    text = "".join(f"<p>Absatz {i} über Gespräche zwischen Seoul und Peking über Handel.</p>" for i in range(6))
    return f"<html><head>{head}{script}</head><body><article>{body}{text}</article></body></html>"


URL = "https://www.example.de/politik/gespraeche-1.html"


def test_json_ld_organisations_are_agencies_or_credited_newsrooms():
    ld = {"@type": "NewsArticle", "headline": "Gespräche", "publisher": {"@type": "Organization", "name": "Example"},
          "author": [{"@type": "Person", "name": "Paula Steiger"}, {"@type": "Organization", "name": "SDA"}]}
    record = extract_article(article_html(ld=ld), URL)
    assert (record["authors"], record["agencies"], record["author_organizations"]) == (["Paula Steiger"], ["SDA"], [])
    newsroom = dict(ld, author=[{"@type": "Person", "name": "BR24 Redaktion"}])
    record = extract_article(article_html(ld=newsroom), URL)
    assert (record["authors"], record["agencies"], record["author_organizations"]) == ([], [], ["BR24 Redaktion"])
    outlet = dict(ld, author={"@type": "Person", "name": "Example"})
    assert extract_article(article_html(ld=outlet), URL)["author_organizations"] == ["Example"]
    wire = dict(ld, author=[{"@type": "Person", "name": "Deutsche Presse-Agentur"}])
    assert extract_article(article_html(ld=wire), URL)["agencies"] == ["dpa"]


def test_printed_byline_beats_an_outlet_credit_and_teaser_bylines_are_ignored():
    ld = {"@type": "NewsArticle", "headline": "Gespräche", "author": {"@type": "Organization", "name": "Example"}}
    printed = extract_article(article_html(body="<div class='header'><span>Von Seb Dumitru, Lille</span></div>",
                                           ld=ld), URL)
    assert printed["authors"] == ["Seb Dumitru"] and printed["author_organizations"] == []
    teaser = ("<aside><article><h5>Anderer Artikel</h5><p><span>Von Stefan Kiske</span></p></article></aside>")
    record = extract_article(article_html(body=teaser, ld=ld), URL)
    assert record["authors"] == [] and record["author_organizations"] == ["Example"]


def test_author_from_a_written_by_card_when_the_author_tag_is_an_address():
    head = ('<meta name="author" content="d.kuckelkorn@example.de">'
            '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Dieter Kuckelkorn">')
    assert extract_article(article_html(head=head), URL)["authors"] == ["Dieter Kuckelkorn"]


def test_body_boxes_of_links_and_boilerplate_lines_are_dropped():
    text = [f"Absatz {i}: Seoul und Peking verhandeln weiter über Zölle, Exporte und Investitionen." for i in range(6)]
    related = "".join(f'<li><a href="/politik/artikel-{i}.html">Weiterer Artikel Nummer {i} über Politik</a></li>'
                      for i in range(4))
    html = ("<html><head><title>Zollstreit</title></head><body><article><h1>Zollstreit</h1>"
            "<p>Zollstreit</p><p>Von Anna Beispiel</p><p>Stand: 22.04.2024, 06:00 Uhr</p>"
            + "".join(f"<p>{t}</p>" for t in text[:3])
            + f"<p>Mehr zum Thema:</p><ul>{related}</ul>"
            + "<p>Ein Klick für den Datenschutz</p><p>02:57 Min.. Verfügbar bis 06.05.2024.</p>"
            + "".join(f"<p>{t}</p>" for t in text[3:])
            + "<p>Der Newsletter informiert Sie montags bis freitags. Hier geht's zur Anmeldung.</p>"
            "<ul><li>Erster Punkt einer echten Aufzählung im Text</li><li>Zweiter Punkt der Aufzählung</li></ul>"
            "</article></body></html>")
    record = extract_article(html, "https://www.example.de/politik/zoll-1.html")
    paragraphs = record["body"].split("\n\n")
    assert record["extraction"]["body"] == "generic"
    assert paragraphs[:6] == text
    assert "Erster Punkt einer echten Aufzählung im Text" in paragraphs  # a list of text stays
    body = record["body"]
    for gone in ("Weiterer Artikel", "Mehr zum Thema", "Von Anna Beispiel", "Stand:", "Datenschutz", "Verfügbar",
                 "Newsletter"):
        assert gone not in body
    assert not any(p == "Zollstreit" for p in paragraphs)


def test_teaser_is_not_repeated_in_the_body_and_marked_when_printed():
    teaser = "Nordkorea und Russland vertiefen ihre militärische Zusammenarbeit, sagt das Ministerium."
    text = "".join(f"<p>Absatz {i} über die Zusammenarbeit zwischen Pjöngjang und Moskau im Detail.</p>"
                   for i in range(6))
    html = (f'<html><head><meta property="og:description" content="{teaser}"></head><body><article>'
            f"<h1>Allianz</h1><p class='lead'>{teaser}</p>{text}</article></body></html>")
    record = extract_article(html, "https://www.example.de/politik/allianz-1.html")
    assert record["teaser"] == teaser
    assert teaser not in record["body"]
    assert record["teaser_printed"] is True
    only_meta = html.replace(f"<p class='lead'>{teaser}</p>", "")
    assert extract_article(only_meta, "https://www.example.de/politik/allianz-1.html")["teaser_printed"] is False


def test_the_same_page_extracted_twice_in_one_process_keeps_its_body():
    # a revisit, or the same wire copy on two outlets: nothing may be remembered across pages
    html = article_html(body="<p>Ein Absatz, der auf zwei Seiten steht, wie Agenturtexte es tun.</p>")
    first = extract_article(html, URL)["body"]
    assert first and all(extract_article(html, URL)["body"] == first for _ in range(5))
