"""Corpus crawler: German-language news about Korea, Russia and China.

The Scrapy project package (settings, items, extraction, normalisers, topic
tagging); spiders live in the top-level ``spiders`` package and item
pipelines in ``pipelines``. See README.md for a tour.
"""

__version__ = "0.1.0"
