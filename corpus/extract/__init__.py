"""Page -> fields: JSON-LD, meta tags, outlet selectors, generic fallback (see ``layers``)."""

from corpus.extract.layers import Extraction, OutletParser, extract
from corpus.extract.page import Page
from corpus.extract.text import Body, body_from, node_text

__all__ = ["Body", "Extraction", "OutletParser", "Page", "body_from", "extract", "node_text"]
