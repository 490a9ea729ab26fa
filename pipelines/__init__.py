"""Item pipelines, one concern per module; their order is ITEM_PIPELINES in corpus/settings.py.

validate -> clean text -> dates -> authors -> topics/scope -> dedupe
"""
