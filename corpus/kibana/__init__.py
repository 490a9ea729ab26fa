"""Kibana: the saved objects analysts start from (:mod:`.objects`) and their import (:mod:`.client`)."""

from corpus.kibana.client import KibanaError, KibanaTarget, import_objects, report, wait_ready
from corpus.kibana.objects import COLUMNS, NDJSON, saved_objects, to_ndjson

__all__ = ["COLUMNS", "NDJSON", "KibanaError", "KibanaTarget", "import_objects", "report", "saved_objects",
           "to_ndjson", "wait_ready"]
