"""The generic main text (corpus.extract.generic) on real pages of ../shared/eval, one failure class each.

Each page stands for a way pages are built that a main-text extractor must survive; the
assertions name text the page prints (or must not be taken for the article).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import pytest

from corpus.extract.article import extract_article, read_html
from corpus.extract.generic import main_blocks
from corpus.extract.page import Page

EVAL = Path(__file__).parents[2] / "shared" / "eval"
pytestmark = pytest.mark.skipif(not EVAL.is_dir(), reason="../shared/eval is not present beside the repository")


@cache
def truth(name: str) -> dict:
    for folder in ("dev", "intl"):
        path = EVAL / folder / "truth.jsonl"
        for line in path.read_text("utf-8").splitlines():
            record = json.loads(line)
            if record["file"] == name:
                return {**record, "path": EVAL / folder / name}
    raise LookupError(name)


def body_of(name: str) -> tuple[str, dict]:
    record = truth(name)
    article = extract_article(read_html(record["path"]), record["url"])
    return article["body"] or "", record


def f1(name: str, body: str) -> float:
    sys.path.insert(0, str(EVAL))
    try:
        import score
    finally:
        sys.path.pop(0)
    record = truth(name)
    return score.prf(score.tokens(body), score.tokens(record["body_text"]))[2]


def test_a_page_wrapped_in_one_form_is_read():
    # ASP.NET pages put the whole page in <form id="aspnetForm">: a form is no box to leave out
    body, record = body_of("LBCGroup_2026_01_08.html.gz")
    assert record["body_paragraphs"][0][:40] in body
    assert f1("LBCGroup_2026_01_08.html.gz", body) > 0.95


def test_an_article_inside_a_box_named_sidebar_is_read():
    # the article sits in a "theiaStickySidebar" wrapper (a box by its name) and an element named
    # "noloaddisqus" (comments by their name): the article is still found, and comments are not it
    body, _ = body_of("LesothoTimes_2025_11_24.html.gz")
    assert "Communities living near the site report" in body
    assert f1("LesothoTimes_2025_11_24.html.gz", body) > 0.9


def test_paragraphs_marked_paywall_or_hidden_are_text():
    # Condé Nast marks paragraphs class="paywall"; ABC hides the rest of the text with hidden=""
    for name, sentence in (("Wired_2024_04_28.html.gz", "The Bishop Pass 15 uses 650 fill power down"),
                           ("ABC_2026_04_25.html.gz", "El encuentro en Vista Alegre")):
        body, _ = body_of(name)
        assert sentence in body, name
        assert f1(name, body) > 0.85, name


def test_text_inside_inline_links_stays_in_its_paragraph():
    body, _ = body_of("TheMirror_2024_08_05.html.gz")
    # "<a …><u>since three young girls were stabbed and killed</u></a>while attending …"
    assert "have been seen across the country since three young girls were stabbed and killed" in body


def test_readers_comments_and_named_boxes_are_no_article_but_state_flags_are():
    # a container classed "comments-enabled" holds the article (a state, not the comments);
    # "subjective commentary" is a genre (taz), not readers' comments
    for name, sentence in (("TimesLive_2025_05_22.html.gz", "The tax authority will immediately use the money"),
                           ("Taz_2023_04_28.html.gz", "Zum Hintergrund: Das Gesetz soll regeln")):
        body, _ = body_of(name)
        assert sentence in body, name


def test_boxes_after_the_article_are_left_out():
    # broadcasters' credits, "Share this article", box titles and teaser headlines at the end
    cases = {
        "Hessenschau_2024_04_27.html.gz": ("Redaktion: Roman Warschauer", "Sendung: hr-INFO"),
        "CanadaCom_2026_06_06.html.gz": ("Share this article in your social network", "Latest National Stories"),
        "NDR_2023_04_28.html.gz": ("Dieser Artikel wurde ausgedruckt unter der Adresse",
                                   "Schlagwörter zu diesem Artikel"),
        "CorriereDellaSera_2025_02_04.html.gz": ("RIPRODUZIONE RISERVATA",),
    }
    for name, lines in cases.items():
        body, record = body_of(name)
        last = record["body_paragraphs"][-1][:40]
        assert last in body, name  # the article's own last paragraph stays
        for line in lines:
            assert line not in body, (name, line)


def test_the_walk_leaves_the_shared_tree_as_it_was():
    record = truth("NDR_2023_04_28.html.gz")
    page = Page(record["url"], read_html(record["path"]))
    from lxml import etree

    before = etree.tostring(page.tree)
    assert main_blocks(page.tree)
    assert etree.tostring(page.tree) == before


def test_a_page_without_prose_gives_no_body():
    page = Page("https://example.org/", "<html><body><nav><a href='/a'>A</a></nav><div>Menü</div></body></html>")
    assert main_blocks(page.tree) == []


def test_a_printed_teaser_that_opens_with_a_link_is_printed():
    # Golem prints the standfirst as "<a …>Samsung</a> hat vor Gericht …": printed, and kept out of the body
    record = truth("Golem_2024_04_28.html.gz")
    article = extract_article(read_html(record["path"]), record["url"])
    assert article["teaser"].startswith("Samsung hat vor Gericht die Patentklage")
    assert article["teaser_printed"] is True
    assert "Samsung hat vor Gericht die Patentklage" not in article["body"]


def test_a_description_cut_from_the_first_paragraph_is_no_printed_teaser():
    # the JSON-LD description is the first paragraph cut off ("… am Dienstag..."): not a teaser the page prints
    record = truth("MitteldeutscheZeitung_2024_04_30.html.gz")
    article = extract_article(read_html(record["path"]), record["url"])
    assert article["teaser"].endswith("...")
    assert article["teaser_printed"] is False
    assert article["body"].startswith("London/Teheran - Iranische Sicherheitskräfte")
