"""One data directory for every file the project writes.

The JSON Lines output, the local state, the crawl records, the dead-letter files and the
scheduler's logs and locks all live under one directory, whatever directory a command is
started from: ``CORPUS_OUTPUT_DIR`` when it is set (a relative value is taken from the
directory it was given in and made absolute), else ``data/`` of the project checkout the
code runs from, else the user's data directory (``~/.local/share/corpus-crawler`` on Linux,
from platformdirs) for an installed package. Commands print the absolute directory when
they start.
"""

from __future__ import annotations

import os
from pathlib import Path

# the checkout this code runs from (scrapy.cfg beside the package), None for an installed package
_HERE = Path(__file__).resolve().parents[1]
PROJECT_ROOT: Path | None = _HERE if (_HERE / "scrapy.cfg").is_file() and (_HERE / "corpus").is_dir() else None


def default_data_dir() -> Path:
    """``<checkout>/data``, or the user's data directory when the code is not in a writable checkout."""
    if PROJECT_ROOT is not None and os.access(PROJECT_ROOT, os.W_OK):
        return PROJECT_ROOT / "data"
    import platformdirs

    return platformdirs.user_data_path("corpus-crawler")


def data_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """The absolute data directory: ``value`` (a setting), else ``$CORPUS_OUTPUT_DIR``, else the default."""
    raw = value if value else os.environ.get("CORPUS_OUTPUT_DIR")
    return Path(raw).expanduser().resolve() if raw else default_data_dir()


def schedule_file(value: str | None = None) -> Path:
    """The schedule file: ``value``, else ``schedules.toml`` of the current directory, else the checkout's."""
    if value:
        return Path(value)
    here = Path("schedules.toml")
    if here.is_file() or PROJECT_ROOT is None:
        return here
    return PROJECT_ROOT / "schedules.toml"
