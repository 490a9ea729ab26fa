"""Elasticsearch: settings, index templates, setup, the bulk indexer and crawl records."""
