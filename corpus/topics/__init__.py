"""Korea–Russia–China tagging and the scope decision; terms live in ``terms.toml``."""

from corpus.topics.tagger import Tagger, TopicResult, default_tagger

__all__ = ["TopicResult", "Tagger", "default_tagger"]
