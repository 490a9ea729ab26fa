"""Bylines -> ``authors`` (people, proper case) and ``agencies`` (dpa, AFP, Reuters ...).

Names a structured layer (JSON-LD) gave are normalised one by one; otherwise
the printed byline is split. Agencies named in the byline are kept either
way. Comment authors are taken as written.
"""

from __future__ import annotations

from corpus.items import Article, Comment
from corpus.normalize.bylines import agency_of, normalize_author, parse_byline
from pipelines._base import BasePipeline


class AuthorsPipeline(BasePipeline):
    def process_item(self, item: Article | Comment) -> Article | Comment:
        if not isinstance(item, Article):
            return item
        byline = parse_byline(item.byline_raw)
        authors: list[str] = []
        agencies: list[str] = list(byline.agencies)
        for name in item.authors:
            agency = agency_of(name)
            if agency:
                agencies.append(agency)
            elif (person := normalize_author(name)) is not None:
                authors.append(person)
        if not authors:
            authors = byline.authors
        item.authors = list(dict.fromkeys(authors))
        item.agencies = list(dict.fromkeys(agencies))
        if not item.authors:
            self.stats.inc_value("corpus/authors/none")
        if item.agencies:
            self.stats.inc_value("corpus/authors/with_agency")
        return item
