"""Reading the corpus for research: search, counts, exports and citations (``corpus search|count|export|cite``).

The same questions are answered from Elasticsearch or from the JSON Lines files of the data
directory (:mod:`corpus.research.store`), with the same filters (:mod:`corpus.research.query`).
"""
