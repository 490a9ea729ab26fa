"""People, places and organisations named in a text, by their canonical names (``entities.toml``).

Every name and alias of the data file goes into one Aho–Corasick automaton
(``pyahocorasick``) over lower-cased text, with the forms German adds: the genitive "-s"
("Putins", "Moskaus") and, for the adjective stems a place lists ("nordkoreanisch"), the
endings -e, -en, -er, -es, -em. A match counts only as a whole word: no letter or digit
directly before or after it ("Kiew-Besuch" names Kiew, "Kiewer" does not). Aliases listed
as ``exact`` match only with the capitalisation written there ("Xi", not "XI" in "Pius XI.").
One pass of the automaton per text, longest match first, so "Kim Jong-un" is one person and
not also a shorter name inside it.

The same file gives Elasticsearch its search-time synonyms (:func:`synonym_rules`): a
search for "Vladivostok" finds "Wladiwostok".
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick

from corpus.topics.tagger import data_text

KINDS = ("person", "place", "org")
ADJECTIVE_ENDINGS = ("", "e", "en", "er", "es", "em")


@dataclass(frozen=True)
class Entity:
    kind: str
    name: str
    wikidata: str
    country: str | None
    aliases: tuple[str, ...]
    exact: tuple[str, ...]
    adjectives: tuple[str, ...]


def load_entities(text: str, source: str = "corpus/topics/entities.toml") -> list[Entity]:
    """The entities of a data file's text (``ValueError`` naming what is wrong)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"entities file {source} is not TOML: {exc}") from None
    entities: list[Entity] = []
    for kind in KINDS:
        for number, entry in enumerate(data.get(kind, []), start=1):
            where = f"{source}: {kind} #{number}"
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
                raise ValueError(f"{where}: needs a name")
            wikidata = entry.get("wikidata")
            if not isinstance(wikidata, str) or not wikidata.startswith("Q") or not wikidata[1:].isdigit():
                raise ValueError(f"{where} ({entry['name']}): wikidata must be an id like \"Q56226\"")
            lists = {}
            for key in ("aliases", "exact", "adjectives"):
                value = entry.get(key, [])
                if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                    raise ValueError(f"{where} ({entry['name']}): {key} must be a list of names")
                lists[key] = tuple(value)
            entities.append(Entity(kind, entry["name"], wikidata, entry.get("country"), lists["aliases"],
                                   lists["exact"], lists["adjectives"]))
    unknown = set(data) - set(KINDS)
    if unknown:
        raise ValueError(f"entities file {source}: unknown tables {sorted(unknown)} (kinds: {', '.join(KINDS)})")
    return entities


def _boundary(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


class EntityMatcher:
    """Finds the entities of a data file in texts; see the module docstring."""

    digest: str = "custom"

    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self.automaton = ahocorasick.Automaton()
        forms: dict[str, tuple[int, str, str, str | None]] = {}

        def add(form: str, entity: Entity, exact: str | None = None) -> None:
            key = form.lower()
            if key in forms and forms[key][1:3] != (entity.kind, entity.name):
                raise ValueError(f"entities file: {form!r} is a form of both {forms[key][2]} and {entity.name}")
            forms[key] = (len(key), entity.kind, entity.name, exact)

        for entity in entities:
            for name in (entity.name, *entity.aliases):
                add(name, entity)
                if not name.lower().endswith(("s", "ß", "x", "z")):
                    add(name + "s", entity)
            for stem in entity.adjectives:
                for ending in ADJECTIVE_ENDINGS:
                    add(stem + ending, entity)
            for name in entity.exact:
                add(name, entity, exact=name)
                add(name + "s", entity, exact=name + "s")
        for key, value in forms.items():
            self.automaton.add_word(key, value)
        if forms:
            self.automaton.make_automaton()
        self._empty = not forms

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> EntityMatcher:
        """Load a data file; ``None`` means the one shipped with the package."""
        text = data_text("entities.toml", path)
        matcher = cls(load_entities(text, str(path or "corpus/topics/entities.toml")))
        matcher.digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        return matcher

    def match(self, *texts: str | None) -> dict[str, list[str]]:
        """Canonical names by kind (``person``, ``place``, ``org``; sorted) of what the texts name."""
        found: dict[str, set[str]] = {kind: set() for kind in KINDS}
        if self._empty:
            return {kind: [] for kind in KINDS}
        for text in texts:
            if not text:
                continue
            lowered = text.lower()
            same = len(lowered) == len(text)  # positions agree with the original (for exact forms)
            for end, (length, kind, name, exact) in self.automaton.iter_long(lowered):
                start = end + 1 - length
                if not _boundary(lowered, start, end + 1):
                    continue
                if exact is not None and (not same or text[start:end + 1] != exact):
                    continue
                found[kind].add(name)
        return {kind: sorted(names) for kind, names in found.items()}


def synonym_rules(entities: list[Entity]) -> list[str]:
    """Solr-format equivalence rules, one per entity with aliases: ``"wladiwostok, vladivostok"``.

    ``exact`` aliases stay out: a search is lower-cased, and "xi" alone would also mean "XI".
    Commas inside names would break a rule; such names are left out of it.
    """
    rules = []
    for entity in entities:
        names = [n.lower() for n in (entity.name, *entity.aliases) if "," not in n and "=>" not in n]
        unique = list(dict.fromkeys(names))
        if len(unique) > 1:
            rules.append(", ".join(unique))
    return rules


@lru_cache(maxsize=4)
def default_matcher(path: str | None = None) -> EntityMatcher:
    """A cached :class:`EntityMatcher` for ``path`` (or the shipped file)."""
    return EntityMatcher.from_file(path)


def entities_data() -> list[Entity]:
    """The shipped file's entities."""
    return default_matcher().entities
