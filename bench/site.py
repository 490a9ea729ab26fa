"""A generated Cicero site for crawl benchmarks, served from its own process on 127.0.0.1.

Every page is built from the real Cicero fixtures in ``tests/fixtures/cicero``
(the article pages ``article_korea_china.html`` and, for Cicero Plus articles,
``article_seed.html``; the section listing ``section_aussenpolitik.html``), with
their markup kept and their content replaced: N articles with varied titles,
teasers, German text about North/South Korea, Russia and China (so that every
article is in scope), dates (byline "am 14. Februar 2024", JSON-LD and meta
tags in ISO 8601 with the Berlin offset), one or two authors, and 0 to 23
reader comments ("Name | Mi., 14. Februar 2024 - 18:02", some of them replies)
paged like Drupal's (``?page=1`` on the article URL). The four section fronts
the ``cicero`` spider reads (``/innenpolitik`` ...) list the articles newest
first, paged with ``?page=N`` and ``rel="next"``; ``/sitemap.xml`` lists every
article and ``/rss.xml`` the newest 20. Absolute links use the server's own
origin, as tests/mockserver.py does.

With ``--empty`` (the frontier benchmark, bench/memory.py) article pages have an
empty body and listings hold ``--per-listing`` links each (500 there), so a
crawl mostly discovers and queues URLs.

All pages are rendered when the process starts, so serving is a dictionary
look-up and one write (HTTP/1.1 keep-alive, no Nagle delay): the server should
not be what limits a benchmark. Control paths, not counted as served:

* ``/_bench/manifest``: JSON with what a complete crawl fetches (listing,
  sitemap, article and comment page paths), the number of articles and comments,
  and the spider arguments that reach them all (``max_pages``, ``since``);
* ``/_bench/served``: JSON ``{path: times served}`` since the last reset;
* ``/_bench/reset``: clears that count.

Run: ``python -m bench.site --pages 5000 --port 0`` prints its base URL on stdout
and serves until killed.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "cicero"
ORIGIN = "https://www.cicero.de"
BERLIN = ZoneInfo("Europe/Berlin")
# the section fronts of spiders/cicero.py (CiceroSpider.sections), with their names there
SECTIONS = (("aussenpolitik", "Außenpolitik"), ("wirtschaft", "Wirtschaft"), ("innenpolitik", "Innenpolitik"),
            ("kultur", "Kultur"))
SECTION_WEIGHTS = (55, 20, 15, 10)
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")
WEEKDAYS = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
NEWEST = datetime(2024, 6, 28, 18, 5, tzinfo=BERLIN)

# --- text ---------------------------------------------------------------------------------

COUNTRIES = {
    "KP": {"land": "Nordkorea", "gen": "Nordkoreas", "city": "Pjöngjang", "adj": "nordkoreanische",
           "people": ("Kim Jong-un", "Kim Yo-jong", "Choe Son-hui")},
    "KR": {"land": "Südkorea", "gen": "Südkoreas", "city": "Seoul", "adj": "südkoreanische",
           "people": ("Yoon Suk-yeol", "Lee Jae-myung", "Han Duck-soo")},
    "RU": {"land": "Russland", "gen": "Russlands", "city": "Moskau", "adj": "russische",
           "people": ("Wladimir Putin", "Sergej Lawrow", "Sergej Schoigu")},
    "CN": {"land": "China", "gen": "Chinas", "city": "Peking", "adj": "chinesische",
           "people": ("Xi Jinping", "Wang Yi", "Li Qiang")},
}
PAIRS = (("KP", "RU"), ("KP", "CN"), ("KR", "CN"), ("RU", "CN"), ("KP", "KR"), ("KR", "RU"), ("CN", "KP"),
         ("RU", "KP"))
TOPICS = ("Waffenlieferungen", "Energiepreise", "den Ausbau der Eisenbahnverbindungen", "gemeinsame Militärmanöver",
          "Halbleiterexporte", "Lebensmittelhilfe", "die Fischereirechte im Japanischen Meer", "neue Sanktionen",
          "den Austausch von Studenten", "Investitionen in die Infrastruktur", "die Zusammenarbeit in der Raumfahrt",
          "Arbeitskräfte aus dem Norden", "den Handel mit Seltenen Erden", "Gaslieferungen",
          "die Sicherheit der Seewege", "den Tourismus an der Grenze", "Kredite und Devisen")
PLACES = ("Wladiwostok", "Shenyang", "Dandong", "Chabarowsk", "Busan", "Tianjin", "Sankt Petersburg", "Rason",
          "Incheon", "Harbin", "Sotschi", "Shanghai", "Panmunjom", "Irkutsk", "Kaesong", "Nachodka")
GOODS = ("Artilleriegranaten", "Raketen", "Öl", "Getreide", "Düngemitteln", "Maschinenteilen", "Drohnen",
         "Kohle", "Ersatzteilen")
ORDINALS = ("zweite", "dritte", "vierte", "fünfte", "sechste")
SENTENCES = (
    "{Ap} und {Bp} haben sich in {place} zu Gesprächen über {topic} getroffen.",
    "Nach Angaben aus {Ac} geht es dabei vor allem um {topic}.",
    "Beobachter in {place} sprechen von einer neuen Phase in den Beziehungen zwischen {A} und {B}.",
    "Für {A} steht dabei mehr auf dem Spiel, als die offiziellen Erklärungen vermuten lassen.",
    "Der Handel zwischen {A} und {B} ist im vergangenen Jahr um {num} Prozent gewachsen.",
    "In {Bc} verfolgt man jeden Schritt {Ag} mit wachsendem Misstrauen.",
    "Die {Aadj} Führung betont stets, an Stabilität in der Region interessiert zu sein.",
    "Diplomaten in {Ac} verweisen auf eine lange Liste offener Fragen, von {topic} bis zu {topic2}.",
    "Ob {Bp} dazu bereit ist, bleibt offen.",
    "Schon im {month} {year} hatten beide Seiten eine engere Zusammenarbeit angekündigt.",
    "Seither haben {Ac} und {Bc} mehr als {num} Abkommen unterzeichnet, die meisten ohne öffentliche Debatte.",
    "Kritiker halten die Annäherung für ein Zweckbündnis, das vor allem {Ag} Isolation mildern soll.",
    "Die Vereinigten Staaten und Japan beobachten die Entwicklung mit Sorge.",
    "Ein Sprecher des Außenministeriums in {Ac} wollte sich auf Anfrage nicht äußern.",
    "Im Hintergrund steht stets die Frage, wie sich die Lage auf der koreanischen Halbinsel entwickelt.",
    "Fachleute in {place} rechnen nicht mit einem Durchbruch, sondern mit kleinen Schritten.",
    "Die Sanktionen gegen {A} haben den Spielraum der Regierung in {Ac} erheblich eingeschränkt.",
    "{Bg} Interesse an {topic} ist dabei kaum zu übersehen.",
    "Mehrere Tausend Tonnen Güter sollen allein in den vergangenen {small} Monaten die Grenze passiert haben.",
    "Das Treffen in {place} war das {ordinal} dieser Art seit Beginn des Jahres.",
    "Wer verstehen will, was {A} antreibt, muss auf die Wirtschaft schauen.",
    "Westliche Geheimdienste gehen davon aus, dass {A} {B} mit {goods} beliefert.",
    "Offiziell ist in {Ac} gern von einer „grenzenlosen Freundschaft“ die Rede.",
    "In der Praxis aber wird jede Verzögerung zum Gradmesser dafür, wie groß der Spielraum {Ag} noch ist.",
    "Die Börse in {Bc} reagierte mit Kursverlusten von {small} Prozent.",
    "{Ap} sprach anschließend von einem „historischen Moment“.",
    "Was das für Europa und Deutschland bedeutet, ist bislang kaum Gegenstand der Debatte in Berlin.",
    "Nordkorea hat in diesem Jahr bereits {small} Raketentests durchgeführt.",
    "Analysten sehen darin ein Signal an Washington, aber auch an {C}.",
    "{Bp} ließ über seine Sprecher ausrichten, man sei „zu einem offenen Dialog bereit“.",
    "Die Zahl der Grenzübertritte zwischen {A} und {B} hat sich seit {year} nahezu verdoppelt.",
    "Für {Cc} ist das eine unbequeme Nachricht.",
    "Noch vor wenigen Jahren wäre ein solches Treffen in {place} undenkbar gewesen.",
    "Die {Badj} Presse feierte das Ergebnis als Erfolg der eigenen Diplomatie.",
)
SUBHEADINGS = ("Der Faktor {Ac}", "Ein Bündnis mit Grenzen", "Was {Ac} will", "Die Rolle {Bg}", "Blick nach Washington",
               "Kleine Schritte", "Geld, Öl und Waffen", "Die Sicht aus {Bc}", "Ein Risiko für {C}")
KICKERS = ("{A} und {B}", "{Ap} in {place}", "Analyse", "Ostasien", "Gipfel in {place}", "Beziehungen {A}–{B}",
           "Streit um {topic_short}", "Kommentar")
TITLES = ("{Ac} sucht die Nähe zu {Bc}", "Wie {A} um {B} wirbt", "Die neue Achse {Ac}–{Bc}",
          "Was {Ap} von {Bp} will", "Ein Zweckbündnis auf Zeit", "{A} und {B}: Freunde mit Vorbehalt",
          "Der lange Schatten {Ag}", "Warum {Bc} nach {place} schaut", "{Ag} riskantes Spiel mit {B}",
          "Kleine Schritte zwischen {Ac} und {Bc}")
TEASERS = ("{Ap} und {Bp} rücken zusammen. Für {Ac} geht es um {topic}, für {Bc} um Einfluss in der Region.",
           "Nach Jahren der Verstimmung reden {A} und {B} wieder miteinander. Im Hintergrund steht stets {C}.",
           "In {place} verhandeln {A} und {B} über {topic}. Der Westen schaut mit Sorge zu.",
           "{A} braucht Partner, {B} braucht Rohstoffe. Doch die Bedingungen diktiert {Bc}.")
TOPIC_SHORT = ("Gas", "Raketen", "Handel", "Grenzen", "Sanktionen", "Technik")
JOURNALISTS = (("Felix", "Lill"), ("Martin", "Hollweg"), ("Anna", "Bergmann"), ("Klaus-Dieter", "Franke"),
               ("Jonas", "Wernthal"), ("Judith", "Keller"), ("Thomas", "Brandt"), ("Sophie", "Marquardt"),
               ("Ulrich", "Thiele"), ("Mareike", "Osterkamp"), ("Henrik", "Lorenzen"), ("Carla", "Neumeister"),
               ("Ralf", "Hückel"), ("Ines", "Petersen"), ("Georg", "Albrecht"), ("Nora", "Wendland"))
READERS_FIRST = ("Gerhard", "Ute", "Bernd", "Sabine", "Armin", "Jochen", "Henri", "Renate", "Gottfried", "Karl",
                 "Heidi", "Wolfgang", "Petra", "Dieter", "Monika", "Rainer", "Ingrid", "Helmut", "Brigitte", "Jürgen")
READERS_LAST = ("Lenz", "Sommerfeld", "Kaltenbach", "Treutlein", "Latell", "Rollwagen", "Lassalle", "Meiners",
                "Oberbichler", "Schuster", "Wagner", "Hoffmann", "Krämer", "Lindner", "Vogt", "Ziegler", "Brenner")
COMMENT_TITLES = ("Realpolitik", "Und Nordkorea?", "Handel vor Moral", "Nicht nur Handel", "Zweckbündnis",
                  "Wer profitiert?", "Naiv", "Richtig so", "Und Europa?", "Eine Frage der Zeit", "Abwarten")
COMMENT_SENTENCES = (
    "{A} bleibt gar nichts anderes übrig, als mit {B} im Gespräch zu bleiben.",
    "Dass {Bc} mäßigend auf {Ac} einwirkt, glaube ich erst, wenn ich es sehe.",
    "Das ist keine Schwäche, sondern Realpolitik.",
    "Die Exportzahlen sagen alles.",
    "Wer vom Außenhandel lebt, kann sich keine Eiszeit mit {B} leisten.",
    "Auch Tokio und Washington beobachten jeden Schritt sehr genau.",
    "Man muss die Länder nicht mögen, aber Ausgrenzung hat bis jetzt nichts gebracht.",
    "Da kommt zusammen, was zusammen passt.",
    "Und die Ukraine wartet immer noch auf Hilfe.",
    "Ein sehr guter Artikel, danke dafür.",
    "Warum liest man darüber so wenig in den großen Zeitungen?",
    "{Ap} weiß genau, was er tut.",
    "Am Ende zahlen die Menschen in {A} den Preis.",
)


def german_day(moment: datetime | date) -> str:
    """``14. Februar 2024``, as Cicero's bylines print it."""
    return f"{moment.day}. {MONTHS[moment.month - 1]} {moment.year}"


def german_comment_date(moment: datetime) -> str:
    """``Mi., 14. Februar 2024 - 18:02``, as Cicero's comment headers print it."""
    return f"{WEEKDAYS[moment.weekday()]}, {german_day(moment)} - {moment:%H:%M}"


def slugify(text: str) -> str:
    text = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("–", "-")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass
class Comment:
    cid: int
    author: str | None  # None: Drupal's comment without a header (the fixture has one)
    published: datetime
    title: str | None
    paragraphs: list[str]
    reply: bool  # a reply to the comment before it (rendered in div.indented)


@dataclass
class Article:
    n: int
    section: str
    slug: str
    published: datetime
    kicker: str
    title: str
    teaser: str
    authors: list[tuple[str, str]]
    keywords: list[str]
    plus: bool  # a Cicero Plus article: the article_seed.html template (paywall, no JSON-LD)
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # ("p" | "h3", text)
    comments: list[Comment] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.slug}"


class TextMaker:
    """Varied German text about two of the four countries, deterministic per article number."""

    def __init__(self, rng: random.Random, pair: tuple[str, str]) -> None:
        self.rng = rng
        a, b = COUNTRIES[pair[0]], COUNTRIES[pair[1]]
        third = COUNTRIES[rng.choice([c for c in COUNTRIES if c not in pair])]
        self.slots = {
            "A": a["land"], "B": b["land"], "C": third["land"], "Ag": a["gen"], "Bg": b["gen"],
            "Ac": a["city"], "Bc": b["city"], "Cc": third["city"], "Aadj": a["adj"], "Badj": b["adj"],
            "Ap": rng.choice(a["people"]), "Bp": rng.choice(b["people"]),
        }
        self.keywords = [a["land"], b["land"], self.slots["Ap"], self.slots["Bp"]]

    def fill(self, template: str) -> str:
        rng = self.rng
        topic, topic2 = rng.sample(TOPICS, 2)
        return template.format(
            **self.slots, topic=topic, topic2=topic2, place=rng.choice(PLACES), num=rng.randint(3, 60),
            small=rng.randint(2, 14), month=rng.choice(MONTHS), year=rng.randint(2016, 2023),
            ordinal=rng.choice(ORDINALS), goods=rng.choice(GOODS), topic_short=rng.choice(TOPIC_SHORT),
        )

    def paragraph(self) -> str:
        return " ".join(self.fill(s) for s in self.rng.sample(SENTENCES, self.rng.randint(3, 6)))


def make_article(n: int, published: datetime, rng: random.Random, empty: bool = False) -> Article:
    section = rng.choices([s for s, _ in SECTIONS], weights=SECTION_WEIGHTS)[0]
    pair = rng.choice(PAIRS)
    text = TextMaker(rng, pair)
    title = text.fill(rng.choice(TITLES))
    authors = rng.sample(JOURNALISTS, 2 if rng.random() < 0.2 else 1)
    article = Article(
        n=n, section=section, slug=f"{slugify(title)[:60].strip('-')}-{n}", published=published,
        kicker=text.fill(rng.choice(KICKERS)), title=title, teaser=text.fill(rng.choice(TEASERS)),
        authors=authors, keywords=text.keywords, plus=n % 7 == 3,
    )
    if empty:
        return article
    for i in range(rng.randint(6, 10)):
        if i in (3, 6) and rng.random() < 0.7:
            article.paragraphs.append(("h3", text.fill(rng.choice(SUBHEADINGS))))
        article.paragraphs.append(("p", text.paragraph()))
    count = rng.choice((0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 9, 12, 14, 17, 23))
    moment = published + timedelta(minutes=rng.randint(20, 300))
    for i in range(count):
        moment += timedelta(minutes=rng.randint(3, 400))
        first, last = rng.choice(READERS_FIRST), rng.choice(READERS_LAST)
        article.comments.append(Comment(
            cid=900_000 + n * 40 + i,
            author=None if rng.random() < 0.03 else f"{first} {last}",
            published=moment,
            title=rng.choice(COMMENT_TITLES) if rng.random() < 0.6 else None,
            paragraphs=[" ".join(text.fill(s) for s in rng.sample(COMMENT_SENTENCES, rng.randint(1, 3)))
                        for _ in range(rng.randint(1, 3))],
            reply=i > 0 and rng.random() < 0.25,
        ))
    return article


# --- templates from the fixtures ------------------------------------------------------------

class Template:
    """A fixture page with some spans replaced by named slots.

    ``rules`` are ``(regex, name)``: the regex's first group (every match) becomes the slot ``name``;
    a rule whose name ends with ``?`` may match nothing, any other must match.
    """

    MARK = "\x00"

    def __init__(self, text: str, rules: list[tuple[str, str]]) -> None:
        for pattern, name in rules:
            optional = name.endswith("?")
            name = name.rstrip("?")
            regex = re.compile(pattern, re.S)
            found = False

            def slot(match: re.Match[str], name: str = name) -> str:
                nonlocal found
                found = True
                whole, start = match.group(0), match.start(1) - match.start(0)
                return whole[:start] + f"{self.MARK}{name}{self.MARK}" + whole[match.end(1) - match.start(0):]

            text = regex.sub(slot, text)
            if not found and not optional:
                raise ValueError(f"fixture template: {pattern!r} not found")
        self.parts = text.split(self.MARK)

    def render(self, values: dict[str, str]) -> str:
        parts = self.parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = values[parts[i]]
        return "".join(parts)


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def _article_rules(url: str) -> list[tuple[str, str]]:
    escaped = re.escape(url)
    return [
        (r"<title>(.*?)</title>", "page_title"),
        (rf'"({escaped})"', "url"),
        (rf"({re.escape(quote(url, safe=''))})", "url_quoted?"),
        (r'<meta name="description" content="(.*?)">', "teaser_attr"),
        (r'<meta name="keywords" content="(.*?)">', "keywords"),
        (r'<meta property="og:title" content="(.*?)">', "headline_attr"),
        (r'<meta property="og:description" content="(.*?)">', "teaser_attr"),
        (r'<meta property="og:image" content="(.*?)">', "og_image"),
        (r'<meta property="article:published_time" content="(.*?)">', "published_iso?"),
        (r'"name": "([^"]*)",\n   "inLanguage"', "headline_json?"),
        (r'"headline": "(.*?)"', "headline_json?"),
        (r'"description": "(.*?)"', "teaser_json?"),
        (r'"datePublished": "(.*?)"', "published_iso?"),
        (r'"dateModified": "(.*?)"', "modified_iso?"),
        (r'"author": (\{[^{}]*\})', "authors_json?"),
        (r'"articleSection": "(.*?)"', "section_name?"),
        (r'"image": \{\s*"@type": "ImageObject",\s*"url": "(.*?)"', "image_url?"),
        (r'data-history-node-id="(\d+)"', "node"),
        (r"/comment/reply/node/(\d+)/", "node?"),
        (r'<div class="teaser-small__metadata"><p>(.*?)</p></div>', "byline"),
        (r'<span class="teaser-small__overline">(.*?)</span>', "kicker"),
        (r'<h1 class="h1 font-41-sans-serif">(.*?)</h1>', "title"),
        (r'<p class="lead">(.*?)</p>', "teaser"),
        (r'<div class="field field--name-field-cc-image"><img src="(.*?)"', "image_src"),
        (r'<div class="field field--name-field-cc-image"><img src="[^"]*" alt="(.*?)"', "image_alt"),
        (r'<div class="image-description">(.*?)</div>', "caption"),
        # the body up to the author box (free article) or up to the paywall (Cicero Plus)
        (r'<div class="field field-name-field-cc-body">(.*?)(?:\n    </div>\n    <div class="author-info">|'
         r'\n      <div id="plenigo-paywall-start">)', "body"),
        (r'<div class="author-info__text">(.*?)</div>', "author_info"),
        (r'<h2 class="comments__title">Kommentare</h2>\n(?:  <p class="comments__closed">.*?</p>\n)?'
         r'(.*?)(?=  <h2 class="comment-form__title">|</section>)', "comments"),
    ]


def _comment_template() -> Template:
    """One reader comment of article_korea_china.html (with title) as a template."""
    page = _fixture("article_korea_china.html")
    block = re.search(r'  <a id="comment-571204"></a>\n.*?</article>\n', page, re.S)
    assert block, "fixture article_korea_china.html: comment 571204 not found"
    return Template(block.group(0), [
        (r"(571204)", "cid"),
        (r'<p class="comment__submitted">(.*?)</p>', "header"),
        (r"(    <h3 class=\"comment__title\">.*?</h3>\n)", "title_line"),
        (r'<div class="field field-name-comment-body">(.*?)</div>', "body"),
    ])


def _listing_templates() -> tuple[Template, Template, list[str]]:
    page = _fixture("section_aussenpolitik.html")
    teaser = re.search(r'    <article class="teaser teaser-small">.*?</article>\n', page, re.S)
    assert teaser, "fixture section_aussenpolitik.html: no teaser"
    blocks = "author-box|gallery-teaser|block-latest-comments|promo-box"
    noise = re.findall(rf'    <div class="(?:{blocks})[^"]*">.*?</div>\n', page, re.S)
    listing = Template(page, [
        (r"<title>(.*?)</title>", "page_title"),
        (r'<link rel="canonical" href="(.*?)">', "url"),
        (r'<meta property="og:url" content="(.*?)">', "url"),
        (r'<meta property="og:title" content="(.*?)">', "page_title"),
        (r'<meta name="description" content="(.*?)">', "description"),
        (r'<h1 class="page-title">(.*?)</h1>', "section_name"),
        (r'<div class="view-content">\n(.*?)   </div>\n  <nav class="pager"', "teasers"),
        (r'(<nav class="pager".*?</nav>)', "pager"),
    ])
    teaser_template = Template(teaser.group(0), [
        (r'href="(/aussenpolitik/[^"]*)"', "path"),
        (r'<img src="(.*?)"', "image"),
        (r'<div class="teaser-small__metadata"><p>(.*?)</p></div>', "byline"),
        (r'<span class="teaser-small__overline">(.*?)</span>', "kicker"),
        (r"</span> (.*?)</a></h2>", "title"),
        (r'<p class="teaser-small__lead">(.*?)</p>', "lead"),
    ])
    return listing, teaser_template, noise


def _json_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def byline_html(article: Article) -> str:
    names = [f'<a href="/autor/{slugify(f"{first} {last}")}">{html.escape(f"{first} {last}".upper())}</a>'
             for first, last in article.authors]
    return f"VON {' UND '.join(names)} am {german_day(article.published)}"


# --- the site --------------------------------------------------------------------------------

class CiceroSite:
    """All pages of the generated site, rendered up front: ``{path_and_query: (status, type, body)}``."""

    def __init__(self, pages: int, base_url: str, per_listing: int = 20, comments_per_page: int = 10,
                 empty: bool = False, seed: int = 7) -> None:
        self.base_url = base_url
        self.per_listing = per_listing
        self.comments_per_page = comments_per_page
        self.empty = empty
        rng = random.Random(seed)
        moment = NEWEST
        self.articles: list[Article] = []
        for n in range(pages):
            self.articles.append(make_article(n, moment, rng, empty))
            # newest first; empty mode packs more articles per day (100,000 of them stay after 1945)
            moment -= timedelta(minutes=rng.randint(5, 20) if empty else rng.randint(90, 330))
        self.responses: dict[str, tuple[int, str, bytes]] = {}
        self.listing_paths: list[str] = []
        self.comment_paths: list[str] = []
        self._render()

    # -- rendering --
    def _put(self, path: str, text: str | bytes, ctype: str = "text/html; charset=utf-8") -> None:
        body = text if isinstance(text, bytes) else text.replace(ORIGIN, self.base_url).encode("utf-8")
        self.responses[path] = (200, ctype, body)

    def _render(self) -> None:
        free = _fixture("article_korea_china.html")
        plus = _fixture("article_seed.html")
        meta = json.loads((FIXTURES / "meta.json").read_text("utf-8"))
        templates = {False: Template(free, _article_rules(meta["article_korea_china.html"])),
                     True: Template(plus, _article_rules(meta["article_seed.html"]))}
        self.comment_template = _comment_template()
        for article in self.articles:
            if self.empty:
                self._put(article.path, b"")
                continue
            pages = max(1, -(-len(article.comments) // self.comments_per_page))
            for page in range(pages):
                path = article.path + (f"?page={page}" if page else "")
                self._put(path, self._article_page(templates[article.plus], article, page, pages))
                if page:
                    self.comment_paths.append(path)
        self._render_listings()
        self._render_feeds()
        self._put("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")

    def _article_page(self, template: Template, a: Article, page: int, pages: int) -> str:
        headline = f"{a.kicker} - {a.title}"
        iso = a.published.isoformat(timespec="seconds")
        month = f"{a.published:%Y-%m}"
        body = []
        for kind, text in a.paragraphs:
            body.append(f"\n      <{kind}>{html.escape(text, quote=False)}</{kind}>")
        if a.plus:  # the free part, then the faded-out paragraph before the paywall
            free = [p for p in body if p.startswith("\n      <p>")][:3]
            body = free[:2] + [f'\n      <div class="paywall-fadeout">{free[2].strip()}</div>']
        name = f"{a.authors[0][0]} {a.authors[0][1]}"
        values = {
            "page_title": html.escape(f"{headline} | Cicero Online", quote=False),
            "url": ORIGIN + a.path,
            "url_quoted": quote(ORIGIN + a.path, safe=""),
            "teaser_attr": _attr(a.teaser),
            "keywords": _attr(", ".join(a.keywords)),
            "headline_attr": _attr(headline),
            "og_image": f"{ORIGIN}/sites/default/files/styles/og_image/public/{month}/bild-{a.n}.jpg",
            "published_iso": iso,
            "modified_iso": (a.published + timedelta(minutes=75)).isoformat(timespec="seconds"),
            "headline_json": _json_str(headline),
            "teaser_json": _json_str(a.teaser),
            "authors_json": json.dumps([{"@type": "Person", "name": f"{f} {la}"} for f, la in a.authors],
                                       ensure_ascii=False),
            "section_name": dict(SECTIONS)[a.section],
            "image_url": f"{ORIGIN}/sites/default/files/styles/teaser_full/public/{month}/bild-{a.n}.jpg",
            "node": str(50_000 + a.n),
            "byline": byline_html(a),
            "kicker": html.escape(a.kicker, quote=False),
            "title": html.escape(a.title, quote=False),
            "teaser": html.escape(a.teaser, quote=False),
            "image_src": f"/sites/default/files/styles/teaser_full/public/{month}/bild-{a.n}.jpg",
            "image_alt": _attr(a.kicker),
            "caption": html.escape(f"{a.kicker} in {PLACES[a.n % len(PLACES)]}", quote=False)
            + (" / picture alliance" if a.n % 3 else " / dpa"),
            "body": "".join(body),
            "author_info": f"<p>{html.escape(name)} schreibt für Cicero über Ostasien und Osteuropa.</p>"
                           f"<p>So erreichen Sie {html.escape(name)}:</p>",
            "comments": self._comments_html(a, page, pages),
        }
        return template.render(values)

    def _comments_html(self, a: Article, page: int, pages: int) -> str:
        size = self.comments_per_page
        shown = a.comments[page * size:(page + 1) * size]
        out: list[str] = []
        in_reply = False
        for i, c in enumerate(shown):
            reply = c.reply and i > 0  # the first comment of a page answers nothing on it
            if reply and not in_reply:
                out.append('  <div class="indented">\n')
            elif not reply and in_reply:
                out.append("  </div>\n")
            in_reply = reply
            header = "" if c.author is None else (
                f'<span class="comment__author">{html.escape(c.author)}</span> | '
                f'<span class="comment__date">{german_comment_date(c.published)}</span>')
            block = self.comment_template.render({
                "cid": str(c.cid),
                "header": header,
                "title_line": "" if c.title is None else (
                    f'    <h3 class="comment__title"><a href="/comment/{c.cid}#comment-{c.cid}" '
                    f'rel="bookmark">{html.escape(c.title)}</a></h3>\n'),
                "body": "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in c.paragraphs),
            })
            if c.author is None:
                block = block.replace('    <p class="comment__submitted"></p>\n', "")
            out.append("  " + block.replace("\n  ", "\n    ") if reply else block)
        if in_reply:
            out.append("  </div>\n")
        links = []
        if page > 0:
            prev = a.path + (f"?page={page - 1}" if page > 1 else "")
            links.append(f'<li class="pager__item pager__item--previous"><a href="{prev}#comments" '
                         'rel="prev">‹</a></li>')
        if page + 1 < pages:
            links.append(f'<li class="pager__item pager__item--next"><a href="{a.path}?page={page + 1}#comments" '
                         'rel="next">›</a></li>')
        if links:
            out.append(f'  <nav class="pager" role="navigation"><ul class="pager__items">{"".join(links)}</ul></nav>\n')
        return "".join(out)

    def _render_listings(self) -> None:
        listing, teaser, noise = _listing_templates()
        for section, name in SECTIONS:
            articles = [a for a in self.articles if a.section == section]
            count = max(1, -(-len(articles) // self.per_listing))
            for page in range(count):
                path = f"/{section}" + (f"?page={page}" if page else "")
                self.listing_paths.append(path)
                chunk = articles[page * self.per_listing:(page + 1) * self.per_listing]
                teasers = []
                for i, a in enumerate(chunk):
                    teasers.append(teaser.render({
                        "path": a.path, "byline": byline_html(a), "kicker": html.escape(a.kicker, quote=False),
                        "image": f"/sites/default/files/styles/teaser_small/public/{a.published:%Y-%m}/bild-{a.n}.jpg",
                        "title": html.escape(a.title, quote=False), "lead": html.escape(a.teaser, quote=False),
                    }))
                    if i % 3 == 2:
                        teasers.append(noise[(i // 3) % len(noise)])
                title = f"{name} | Cicero Online" if page == 0 else f"{name} – Seite {page + 1} | Cicero Online"
                self._put(path, listing.render({
                    "page_title": title, "url": ORIGIN + path, "section_name": name,
                    "description": f"{name}: Analysen, Kommentare und Hintergründe bei Cicero Online.",
                    "teasers": "".join(teasers), "pager": self._pager(page, count),
                }))

    @staticmethod
    def _pager(page: int, count: int) -> str:
        items = []
        if page > 0:
            items.append(f'<li class="pager__item pager__item--previous"><a href="?page={page - 1}" rel="prev" '
                         'title="Zur vorherigen Seite">‹</a></li>')
        for k in range(max(0, page - 4), min(count, page + 5)):
            active = " is-active" if k == page else ""
            items.append(f'<li class="pager__item{active}"><a href="?page={k}">{k + 1}</a></li>')
        if page + 1 < count:
            items.append(f'<li class="pager__item pager__item--next"><a href="?page={page + 1}" rel="next" '
                         'title="Zur nächsten Seite">›</a></li>')
        joined = "\n   ".join(items)
        return (f'<nav class="pager" role="navigation"><ul class="pager__items js-pager__items">\n   {joined}\n'
                '  </ul></nav>')

    def _render_feeds(self) -> None:
        urls = "\n".join(f"  <url><loc>{ORIGIN}{a.path}</loc><lastmod>{a.published.isoformat(timespec='minutes')}"
                         "</lastmod></url>" for a in self.articles)
        extra = "\n".join(f"  <url><loc>{ORIGIN}/{s}</loc></url>" for s, _ in SECTIONS)
        self._put("/sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                  f"{urls}\n{extra}\n  <url><loc>{ORIGIN}/impressum</loc></url>\n</urlset>\n",
                  "application/xml; charset=utf-8")
        items = "".join(
            f"  <item>\n    <title>{html.escape(a.title)}</title>\n    <link>{ORIGIN}{a.path}</link>\n"
            f"    <description>{html.escape(a.teaser)}</description>\n"
            f"    <pubDate>{a.published:%a, %d %b %Y %H:%M:%S %z}</pubDate>\n"
            f"    <dc:creator>{html.escape(' und '.join(f'{f} {la}' for f, la in a.authors))}</dc:creator>\n"
            f'    <guid isPermaLink="false">{50_000 + a.n} at {ORIGIN}</guid>\n  </item>\n'
            for a in self.articles[:20])
        self._put("/rss.xml", '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n  <title>Cicero Online</title>\n'
                  f"  <link>{ORIGIN}/</link>\n  <language>de</language>\n{items}</channel>\n</rss>\n",
                  "application/rss+xml; charset=utf-8")

    # -- what a complete crawl fetches --
    def manifest(self) -> dict[str, object]:
        per_section = Counter(p.split("?")[0] for p in self.listing_paths)
        oldest = min(a.published for a in self.articles) if self.articles else NEWEST
        return {
            "base_url": self.base_url,
            "articles": len(self.articles),
            "comments": sum(len(a.comments) for a in self.articles),
            "empty": self.empty,
            "per_listing": self.per_listing,
            "comments_per_page": self.comments_per_page,
            # spider arguments that reach every article, and no further
            "max_pages": max(per_section.values()),
            "since": (oldest.date() - timedelta(days=1)).isoformat(),
            "paths": {
                "listings": self.listing_paths,
                "sitemap": ["/sitemap.xml"],
                "articles": [a.path for a in self.articles],
                "comment_pages": self.comment_paths,
            },
        }


class SiteServer(ThreadingHTTPServer):
    """The HTTP server; ``site`` is set once the pages are rendered (they carry the server's origin)."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.site: Any = None  # a CiceroSite, or bench/evalsite.py's EvalSite
        self.manifest = b"{}"
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()

    def set_site(self, site: Any) -> None:
        self.manifest = json.dumps(site.manifest()).encode()
        self.site = site


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy's connection pool expects
    disable_nagle_algorithm = True
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        server = self.server
        path = self.path.split("#", 1)[0]
        if path.startswith("/_bench/"):
            if path == "/_bench/manifest":
                self._send(200, "application/json", server.manifest)
            elif path == "/_bench/served":
                with server.lock:
                    body = json.dumps(dict(server.served)).encode()
                self._send(200, "application/json", body)
            elif path == "/_bench/reset":
                with server.lock:
                    server.served.clear()
                self._send(200, "application/json", b"{}")
            else:
                self._send(404, "text/plain", b"unknown control path")
            return
        with server.lock:
            server.served[path] += 1
        found = server.site.responses.get(path) if server.site is not None else None
        status, ctype, body, *extra = found or (404, "text/html; charset=utf-8", b"<html>Not found</html>")
        self._send(status, ctype, body, extra[0] if extra else None)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        reason = "OK" if status == 200 else "Not Found"
        more = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n{more}"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + body)  # one write: no small trailing segment waiting for an ACK

    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description="Serve a generated Cicero site for crawl benchmarks (prints its URL).")
    ap.add_argument("--pages", type=int, default=5000, help="article pages (default 5000)")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--per-listing", type=int, default=20, help="teasers per listing page (default 20)")
    ap.add_argument("--comments-per-page", type=int, default=10, help="reader comments per comment page (default 10)")
    ap.add_argument("--empty", action="store_true", help="empty article pages (frontier benchmark)")
    args = ap.parse_args()
    server = SiteServer(args.port)  # bound first: the pages carry the server's own origin in their links
    return serve(server, CiceroSite(args.pages, server.base_url, args.per_listing, args.comments_per_page, args.empty))


def serve(server: SiteServer, site: Any) -> int:
    """Serve ``site`` (its ``responses`` and ``manifest()``) until killed, its base URL printed first."""
    server.set_site(site)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
