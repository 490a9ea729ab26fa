"""Pure normalisation functions (no Scrapy imports): text, URLs, German dates, bylines."""
