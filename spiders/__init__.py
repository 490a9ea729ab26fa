"""One spider per outlet, each a small file on :class:`corpus.spider.OutletSpider`."""
