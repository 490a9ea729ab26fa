"""``python -m corpus.kibana > corpus/kibana/saved_objects.ndjson``: write the saved objects."""

import sys

from corpus.kibana import saved_objects, to_ndjson

sys.stdout.write(to_ndjson(saved_objects()))
