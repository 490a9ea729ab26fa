"""JSON Lines output of the crawl's items.

Scrapy's JSON Lines exporter serialises an item field by field through
ItemAdapter (looking up each field's metadata for a serializer); our items are
dataclasses without serializers, so a line is their fields as a dict, encoded
once. The output is the same as Scrapy's exporter writes (the same encoder,
the same field order, empty fields included). A line is never lost to text
that is not valid Unicode: it is written with U+FFFD in its place.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scrapy.exporters import JsonLinesItemExporter

from corpus.normalize.text import valid_unicode


class JsonLinesExporter(JsonLinesItemExporter):
    def export_item(self, item: Any) -> None:
        if self.fields_to_export is None and dataclasses.is_dataclass(item) and not isinstance(item, type):
            data = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
        else:
            data = dict(self.get_serialized_fields(item))
        line = self.encoder.encode(data) + "\n"
        try:
            encoded = line.encode(self.encoding or "utf-8")
        except UnicodeEncodeError:
            # text that is not valid Unicode got this far (a lone surrogate): the line is written with
            # U+FFFD in its place rather than lost while the item counts as written
            encoded = valid_unicode(line).encode(self.encoding or "utf-8", errors="replace")
        self.file.write(encoded)
