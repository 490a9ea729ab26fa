"""The web archive: every exchange of a crawl written as WARC 1.1 (:mod:`corpus.archive.writer`),
before anything is parsed, so that the corpus can be rebuilt from what was fetched."""

from corpus.archive.writer import ArchiveWriter, Provenance

__all__ = ["ArchiveWriter", "Provenance"]
