"""``corpus archive prune``: delete WARC files older than a given age, and ``corpus archive list``.

A file's age is the start time in its name (``<spider>-<YYYYmmddHHMMSS>-<n>.warc.gz``, UTC),
else its modification time. Items whose ``archive`` names a deleted file keep their text;
``corpus show-source`` (and reprocessing) can no longer read their page. ``--dry-run`` lists
what would go.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

_STARTED = re.compile(r"-(\d{14})-\d+\.warc(?:\.gz)?$")


def parse_age(text: str) -> timedelta:
    """``365d``, ``12w``, ``6m`` (30 days each), ``1y`` (365 days), or a number of days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dwmy]?)\s*", text.lower())
    if not match:
        raise ValueError(f"not an age: {text!r} (examples: 365d, 12w, 6m, 1y)")
    number, unit = int(match.group(1)), match.group(2) or "d"
    return timedelta(days=number * {"d": 1, "w": 7, "m": 30, "y": 365}[unit])


def written_at(path: Path) -> datetime:
    """When a WARC file was started: from its name, else its modification time (UTC)."""
    match = _STARTED.search(path.name)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def warc_files(directory: Path) -> Iterator[Path]:
    yield from sorted(p for p in directory.glob("*.warc*") if p.is_file() and p.name.endswith((".warc", ".warc.gz")))


def add_parser(sub: Any) -> None:
    archive = sub.add_parser("archive", help="the web archive: list its files, prune old ones")
    archive_sub = archive.add_subparsers(dest="archive_command", required=True, metavar="ARCHIVE_COMMAND")
    listing = archive_sub.add_parser("list", help="the WARC files, with their start time and size")
    listing.add_argument("--dir", help="default: CORPUS_ARCHIVE_DIR, else <CORPUS_OUTPUT_DIR>/archive")
    listing.set_defaults(handler=lambda args, io: list_files(args, io.stdout))
    prune = archive_sub.add_parser(
        "prune", help="delete WARC files older than an age: corpus archive prune --older-than 365d",
        description="Deletes the WARC files started before the given age. Items read from them keep their "
        "text, but their page can no longer be shown (corpus show-source) or read again.")
    prune.add_argument("--older-than", required=True, type=parse_age, metavar="AGE", help="365d, 12w, 6m, 1y")
    prune.add_argument("--dir", help="default: CORPUS_ARCHIVE_DIR, else <CORPUS_OUTPUT_DIR>/archive")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    prune.set_defaults(handler=lambda args, io: prune_files(args, io.stdout))


def _directory(args: argparse.Namespace) -> Path:
    from corpus.archive.middleware import archive_dir

    directory = Path(args.dir or archive_dir())
    if not directory.is_dir():
        raise ValueError(f"no archive at {directory}")
    return directory


def list_files(args: argparse.Namespace, out: TextIO) -> int:
    directory = _directory(args)
    total = 0
    for path in warc_files(directory):
        size = path.stat().st_size
        total += size
        out.write(f"{written_at(path):%Y-%m-%d %H:%M}  {size / 2**20:10.1f} MiB  {path.name}\n")
    out.write(f"{total / 2**20:.1f} MiB in {directory}\n")
    return 0


def prune_files(args: argparse.Namespace, out: TextIO) -> int:
    directory = _directory(args)
    cutoff = datetime.now(UTC) - args.older_than
    gone, freed = 0, 0
    for path in warc_files(directory):
        if written_at(path) >= cutoff:
            continue
        size = path.stat().st_size
        if not args.dry_run:
            path.unlink()
        gone += 1
        freed += size
        out.write(f"{'would delete' if args.dry_run else 'deleted'} {path.name} ({size / 2**20:.1f} MiB)\n")
    verb = "would free" if args.dry_run else "freed"
    out.write(f"{gone} file{'s' if gone != 1 else ''} older than {cutoff:%Y-%m-%d %H:%M} UTC, {verb} "
              f"{freed / 2**20:.1f} MiB\n")
    return 0
