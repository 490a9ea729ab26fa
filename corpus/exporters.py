"""JSON Lines output of the crawl's items.

Scrapy's JSON Lines exporter serialises an item field by field through
ItemAdapter (looking up each field's metadata for a serializer); our items are
dataclasses without serializers, so a line is their fields as a dict, encoded
once. The output is the same as Scrapy's exporter writes (the same encoder,
the same field order, empty fields included); anything else goes the general way.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scrapy.exporters import JsonLinesItemExporter


class JsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item: Any) -> None:
        if self.fields_to_export is None and dataclasses.is_dataclass(item) and not isinstance(item, type):
            data = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
            self.file.write((self.encoder.encode(data) + "\n").encode(self.encoding or "utf-8"))
            return
        super().export_item(item)
