"""The fixture server of the tests: the bundled sample site (corpus/sample.py) under its test name.

``FixtureServer(outlet, origin)`` serves ``tests/fixtures/<outlet>`` on 127.0.0.1 under the URLs
its ``meta.json`` gives, with the outlet's origin rewritten to its own, and records every
requested path. Run by hand: ``python -m corpus.sample cicero`` prints the base URL.
"""

from __future__ import annotations

from corpus.sample import FIXTURES, FixtureServer

__all__ = ["FIXTURES", "FixtureServer"]
