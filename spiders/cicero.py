"""Cicero (cicero.de): German monthly for political culture, a Drupal site.

Articles at ``/<section>/<slug>``; RSS and section fronts (recent), section listings with
``?page=N`` and the sitemap (backfill). Pages: kicker in the ``span`` of ``[itemprop=headline]``,
byline and date in ``.teaser-small__metadata`` ("VON FELIX LILL am 6. September 2023"), body in
``.field-name-field-cc-body``; Cicero Plus shows a free part, then the Plenigo paywall offer.
Comments are Drupal's: "Name | Do., 7. September 2023 - 10:40", replies in ``div.indented``.
"""

import re

from corpus.extract import OutletParser
from corpus.spider import OutletSpider


class CiceroParser(OutletParser):
    ARTICLE = "article.node, main article, article"
    KICKER = '//*[@itemprop="headline"]//span[not(ancestor::h1)]'
    TITLE = '[itemprop="headline"] h1, h1'
    TEASER = "p.lead"
    BYLINE = LISTING_DATE = ".teaser-small__metadata"
    BYLINE_DATE = LISTING_DATE_PATTERN = r"\s*\bam\s+(\d.*)$"
    IMAGE, IMAGE_CAPTION, CREDIT_SEPARATOR = ".field--name-field-cc-image img", ".image-description", " / "
    BODY = ".field-name-field-cc-body"
    BODY_DROP = (".urban-ad-sign", ".plenigo-paywall", "#plenigo-paywall-start", ".paywall-text", ".paywall-offers",
                 ".related-articles", ".author-info", ".social-share", ".image-description", ".newsletter-teaser",
                 ".newsletter-box")
    PAYWALL = ".plenigo-paywall, #plenigo-paywall-start, .paywall-text, .paywall-fadeout"
    SECTIONS = {"aussenpolitik": "Außenpolitik", "innenpolitik": "Innenpolitik", "wirtschaft": "Wirtschaft",
                "kultur": "Kultur"}
    NEXT_PAGE = ".pager__item--next a, li.pager-next a, a[rel=next]"
    # Drupal 8+ class names first, Drupal 7 ones after them
    COMMENT, COMMENT_REPLIES = "#comments .comment", "indented"
    COMMENT_HEADER = ".comment__submitted, .comment-submitted, .submitted"
    COMMENT_AUTHOR, COMMENT_DATE = ".comment__author, .username, .comment-author", ".comment__date, .comment-date, time"
    COMMENT_TITLE = ".comment__title, h3"
    COMMENT_BODY = ".field-name-comment-body, .comment__content, .field--name-comment-body"
    COMMENT_TEXT = ", ".join(f"{b} {t}" for b in COMMENT_BODY.split(", ") for t in ("p", "li"))
    COMMENT_NEXT = "#comments .pager__item--next a, #comments li.pager-next a, #comments a[rel=next]"
    COMMENTS_CLOSED_TEXT = "Kommentarfunktion automatisch geschlossen"
    COMMENT_FORM = "#comments form, form.comment-form"
    # the JSON-LD and og headline is "kicker - title": the page's own elements tell them apart
    ORDER = {"title": ("selector", "jsonld", "meta", "generic"), "teaser": ("selector", "jsonld", "meta"),
             "image": ("selector", "jsonld", "meta"), "paywalled": ("selector", "jsonld"),
             "body": ("selector", "jsonld", "generic")}


class CiceroSpider(OutletSpider):
    name, outlet_name, base_url = "cicero", "Cicero", "https://www.cicero.de"
    feeds, sitemaps = ("/rss.xml",), ("/sitemap.xml",)
    sections = ("/innenpolitik", "/aussenpolitik", "/wirtschaft", "/kultur")
    # /<section>/<slug>, older articles with a numeric node id after the slug
    article_path = re.compile(r"^/[a-z0-9-]+/[a-z0-9][a-z0-9-]*[a-z0-9](?:/\d+)?$")
    deny = {r"^/(?:autor|autoren|user)(?:/|$)": "author pages", r"^/comment(?:/|$)": "comment permalinks",
            r"^/(?:thema|themen|tag|tags|schlagwort|taxonomy)(?:/|$)": "topic and tag pages",
            r"^/(?:cicero-plus|abo[\w-]*|shop|newsletter[\w-]*)(?:/|$)": "shop, subscription and newsletter pages",
            r"^/(?:suche|search|sites|files|node|rss|feed|service[\w-]*)(?:/|$)": "search, files and technical paths",
            r"^/(?:impressum|datenschutz|kontakt|agb)(?:/|$)": "legal and contact pages"}
    parser = CiceroParser
