#!/usr/bin/env python3
"""Audit the locked dependencies (requirements.lock) for known vulnerabilities.

Sources, in order:
  1. pip-audit against its online services (osv, then pypi), when pip-audit is installed;
     the first service that answers for every package decides.
  2. When no service can be reached (network errors), the advisory snapshot kept in the
     repository (.ci/advisories.json, taken from the PyPA advisory database).

A finding fails the run (exit 1) unless .ci/audit-exceptions.toml records an exception for it
whose `until` date has not passed. Exit 2 means the audit itself could not run.

Maintenance:
  --write-lock             rewrite requirements.lock from the packages installed in this environment
  --refresh-from DIR       rewrite the snapshot from a clone of github.com/pypa/advisory-database
                           (DIR is the clone or its vulns/ directory)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover - the project's venv always has packaging
    sys.exit("audit: needs the 'packaging' distribution; run it with the project's venv (.venv/bin/python)")

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
SNAPSHOT = ROOT / ".ci" / "advisories.json"
EXCEPTIONS = ROOT / ".ci" / "audit-exceptions.toml"
PYPROJECT = ROOT / "pyproject.toml"
LOCK_EXTRAS = ("test",)
SERVICES = ("osv", "pypi")
STALE_AFTER_DAYS = 180
SUMMARY_MAX = 200
PIP_AUDIT_TIMEOUT = 600  # seconds for one pip-audit run
ADVISORY_DB = "https://github.com/pypa/advisory-database"

# What pip-audit (and requests/urllib3 under it) prints when a service cannot be reached.
NETWORK_ERROR = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|Timeout|NameResolutionError|Failed to resolve"
    r"|Name or service not known|Temporary failure in name resolution|Max retries exceeded"
    r"|Connection refused|Connection reset|Network is unreachable|ProxyError|SSLError"
    r"|Could not connect|network may be blocking|ServiceError|HTTPError|Server Error|TooManyRedirects"
)

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class AuditError(Exception):
    """The audit could not run (bad input file, unexpected tool failure)."""


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Locked:
    """One `name==version` line of the lock file."""

    name: str  # canonical
    version: str


@dataclass(frozen=True)
class AuditException:
    """An accepted advisory for one package, valid until a date."""

    id: str
    package: str  # canonical
    reason: str
    until: dt.date


@dataclass
class Finding:
    """An advisory that affects a locked version."""

    id: str
    package: str
    version: str
    fixed: list[str]
    summary: str
    aliases: list[str] = field(default_factory=list)

    def ids(self) -> set[str]:
        return {self.id, *self.aliases}


@dataclass
class Outcome:
    """What one source said about the lock."""

    source: str
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- small helpers


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"WARNING: {message}", flush=True)


def shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def canonical(name: str) -> str:
    return canonicalize_name(name)


def short(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def parse_version(text: str) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def version_key(text: str) -> tuple[int, Any]:
    """Sort key for version strings; '0' first, unparseable ones last."""
    if str(text) == "0":
        return (0, None)
    parsed = parse_version(text)
    return (1, parsed) if parsed is not None else (2, str(text))


def as_text(value: Any) -> str:
    """Dates from YAML or JSON as ISO text."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


# ---------------------------------------------------------------- OSV range semantics


def in_range(version: Version, events: Sequence[dict[str, str]]) -> bool:
    """Whether `version` is affected by one OSV ECOSYSTEM range (its events in any order)."""
    ordered: list[tuple[Version | None, str, str]] = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected", "limit"):
            if kind in event:
                value = str(event[kind])
                if kind == "introduced" and value == "0":
                    ordered.append((None, kind, value))
                    continue
                parsed = parse_version(value)
                if parsed is None:
                    raise ValueError(f"unparseable version {value!r} in range event {event}")
                ordered.append((parsed, kind, value))
    ordered.sort(key=lambda item: (item[0] is not None, item[0] or Version("0")))
    affected = False
    for bound, kind, _ in ordered:
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif kind == "fixed" and bound is not None and version >= bound:
            affected = False
        elif kind == "last_affected" and bound is not None and version > bound:
            affected = False
        elif kind == "limit" and bound is not None and version >= bound:
            affected = False
    return affected


def listed(version: Version, versions: Iterable[str]) -> bool:
    """Whether `version` is one of the explicitly listed versions."""
    for item in versions:
        parsed = parse_version(item)
        if parsed is not None and parsed == version:
            return True
        if parsed is None and str(item) == str(version):
            return True
    return False


def affects(advisory: dict[str, Any], version_text: str) -> bool:
    """Whether a snapshot advisory affects `version_text` (ranges or explicit versions)."""
    version = parse_version(version_text)
    if version is None:
        raise AuditError(f"locked version {version_text!r} is not a valid version")
    if any(in_range(version, events) for events in advisory.get("ranges", [])):
        return True
    return listed(version, advisory.get("versions", []))


# ---------------------------------------------------------------- input files


def read_lock(path: Path) -> list[Locked]:
    """Parse `name==version` lines; comments and blank lines are skipped."""
    if not path.is_file():
        raise AuditError(f"lock file {path} not found (create it with --write-lock)")
    locked: list[Locked] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;]+)", line)
        if not match:
            raise AuditError(f"{path}:{number}: expected 'name==version', got {raw.strip()!r}")
        name, version = canonical(match.group(1)), match.group(2)
        if parse_version(version) is None:
            raise AuditError(f"{path}:{number}: {version!r} is not a valid version")
        if name in seen:
            raise AuditError(f"{path}:{number}: {name} is listed twice")
        seen.add(name)
        locked.append(Locked(name, version))
    if not locked:
        raise AuditError(f"lock file {path} lists no package")
    return locked


def read_exceptions(path: Path) -> list[AuditException]:
    """Parse [[exception]] tables with id, package, reason and until."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise AuditError(f"{path}: not valid TOML: {error}") from error
    unknown = set(data) - {"exception"}
    if unknown:
        raise AuditError(f"{path}: unknown top-level keys {sorted(unknown)}; use [[exception]] tables")
    result: list[AuditException] = []
    for index, entry in enumerate(data.get("exception", []), 1):
        where = f"{path}: exception #{index}"
        missing = [key for key in ("id", "package", "reason", "until") if not entry.get(key)]
        if missing:
            raise AuditError(f"{where}: missing {', '.join(missing)} (each needs id, package, reason, until)")
        until = entry["until"]
        if isinstance(until, str):
            try:
                until = dt.date.fromisoformat(until)
            except ValueError as error:
                raise AuditError(f"{where}: until {until!r} is not a date (YYYY-MM-DD)") from error
        if isinstance(until, dt.datetime):
            until = until.date()
        if not isinstance(until, dt.date):
            raise AuditError(f"{where}: until must be a date (YYYY-MM-DD)")
        result.append(AuditException(str(entry["id"]).strip(), canonical(str(entry["package"])),
                                     " ".join(str(entry["reason"]).split()), until))
    return result


def read_snapshot(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise AuditError(f"advisory snapshot {path} not found (create it with --refresh-from)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AuditError(f"{path}: not valid JSON: {error}") from error
    for key in ("source", "snapshot_date", "packages", "advisories"):
        if key not in data:
            raise AuditError(f"{path}: missing top-level key {key!r}")
    return data


# ---------------------------------------------------------------- exceptions


def apply_exceptions(findings: list[Finding], exceptions: list[AuditException],
                     today: dt.date) -> tuple[list[Finding], list[tuple[Finding, AuditException]]]:
    """Split findings into (open, excepted); say which exceptions expired or were not needed."""
    open_findings: list[Finding] = []
    excepted: list[tuple[Finding, AuditException]] = []
    used: set[AuditException] = set()
    for finding in findings:
        matching = [e for e in exceptions if e.package == canonical(finding.package) and e.id in finding.ids()]
        valid = [e for e in matching if e.until >= today]
        for expired in (e for e in matching if e.until < today):
            used.add(expired)
            say(f"EXPIRED EXCEPTION {expired.id} {expired.package}: was valid until {expired.until}; "
                f"it no longer counts (reason was: {expired.reason})")
        if valid:
            used.add(valid[0])
            excepted.append((finding, valid[0]))
        else:
            open_findings.append(finding)
    for exception in exceptions:
        if exception not in used:
            say(f"note: exception {exception.id} for {exception.package} matched no finding "
                f"(remove it if the advisory no longer applies)")
    return open_findings, excepted


# ---------------------------------------------------------------- pip-audit


def find_pip_audit(explicit: str | None) -> str | None:
    """pip-audit next to this interpreter, else on PATH; `explicit` wins."""
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "pip-audit"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("pip-audit")


def run_pip_audit(pip_audit: str, lock: Path, service: str) -> tuple[str, Outcome | None, str]:
    """Run one service. Returns (state, outcome, detail); state is 'answered', 'unreachable' or 'failed'."""
    command = [pip_audit, "-r", str(lock), "--no-deps", "--disable-pip", "--vulnerability-service", service,
               "--format", "json", "--desc", "on", "--aliases", "on", "--progress-spinner", "off"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_AUDIT_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "unreachable", None, f"no answer within {PIP_AUDIT_TIMEOUT} s"
    except OSError as error:
        return "failed", None, f"could not start {pip_audit}: {error}"
    report = None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = None
    if isinstance(report, dict) and isinstance(report.get("dependencies"), list) and done.returncode in (0, 1):
        deps = report["dependencies"]
        skipped = [d for d in deps if d.get("skip_reason")]
        if skipped:
            return ("unreachable", None,
                    f"the service did not audit {len(skipped)} of {len(deps)} packages "
                    f"({skipped[0]['skip_reason']})")
        findings = [
            Finding(id=v["id"], package=d["name"], version=d.get("version", "?"),
                    fixed=[str(x) for x in v.get("fix_versions", [])],
                    summary=short(v.get("description", "")), aliases=list(v.get("aliases", [])))
            for d in deps for v in d.get("vulns", [])
        ]
        return "answered", Outcome(f"pip-audit --vulnerability-service {service}", findings), ""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    tail = lines[-1] if lines else done.stdout.strip()[-300:]
    if NETWORK_ERROR.search(done.stderr):
        return "unreachable", None, f"network error: {short(tail, 300)}"
    return "failed", None, f"exit status {done.returncode}: {short(tail, 500)}"


# ---------------------------------------------------------------- snapshot check


def check_snapshot(locked: list[Locked], snapshot: dict[str, Any], path: Path, today: dt.date) -> Outcome:
    """Match every locked version against the snapshot's advisories."""
    warnings: list[str] = []
    date_text = str(snapshot["snapshot_date"])
    try:
        age = (today - dt.date.fromisoformat(date_text[:10])).days
    except ValueError:
        raise AuditError(f"{path}: snapshot_date {date_text!r} is not a date") from None
    if age > STALE_AFTER_DAYS:
        warnings.append(f"the advisory snapshot is {age} days old (snapshot date {date_text}, more than "
                        f"{STALE_AFTER_DAYS}); refresh it: python .ci/audit.py --refresh-from <clone of "
                        f"{ADVISORY_DB}>/vulns")
    covered = {canonical(name) for name in snapshot["packages"]}
    by_package: dict[str, list[dict[str, Any]]] = {}
    for advisory in snapshot["advisories"]:
        by_package.setdefault(canonical(advisory["package"]), []).append(advisory)
    findings: list[Finding] = []
    for item in locked:
        if item.name not in covered:
            warnings.append(f"{item.name} {item.version} is not in the snapshot (not checked); "
                            f"refresh the snapshot after changing the lock")
            continue
        for advisory in by_package.get(item.name, []):
            if advisory.get("withdrawn"):
                continue
            try:
                hit = affects(advisory, item.version)
            except ValueError as error:
                warnings.append(f"{advisory['id']} ({item.name}): cannot evaluate its ranges: {error}")
                continue
            if hit:
                findings.append(Finding(advisory["id"], item.name, item.version, list(advisory.get("fixed", [])),
                                        short(advisory.get("summary", "")), list(advisory.get("aliases", []))))
    return Outcome(f"the advisory snapshot {shown(path)} (snapshot date {date_text})", findings, warnings)


# ---------------------------------------------------------------- the audit


def audit(args: argparse.Namespace) -> int:
    today = args.today or dt.date.today()
    lock = Path(args.lock)
    locked = read_lock(lock)
    exceptions = read_exceptions(Path(args.exceptions))
    outcome: Outcome | None = None
    tried: list[str] = []

    pip_audit = None if args.offline else find_pip_audit(args.pip_audit)
    if args.offline:
        tried.append("online services skipped (--offline)")
    elif pip_audit is None:
        tried.append("pip-audit is not installed")
    else:
        for service in SERVICES:
            state, answer, detail = run_pip_audit(pip_audit, lock, service)
            if state == "answered":
                outcome = answer
                break
            if state == "failed":
                raise AuditError(f"pip-audit ({service}) failed for a reason other than the network, "
                                 f"so its result is unknown: {detail}")
            tried.append(f"pip-audit {service} could not be used")
            say(f"audit: pip-audit --vulnerability-service {service}: could not be used: {detail}")

    if outcome is None:
        snapshot_path = Path(args.snapshot)
        snapshot = read_snapshot(snapshot_path)
        say("=" * 78)
        say("audit: NO ONLINE VULNERABILITY SERVICE WAS USED (" + "; ".join(tried) + ")")
        say(f"audit: FALLING BACK TO THE ADVISORY SNAPSHOT {shown(snapshot_path)}")
        say(f"audit: source: {snapshot['source']}")
        say(f"audit: snapshot date: {snapshot['snapshot_date']} ({snapshot.get('snapshot_date_means', '')})")
        say("=" * 78)
        outcome = check_snapshot(locked, snapshot, snapshot_path, today)
    else:
        say(f"audit: source: {outcome.source} (online)")

    for message in outcome.warnings:
        warn(message)
    open_findings, excepted = apply_exceptions(outcome.findings, exceptions, today)
    for finding, exception in excepted:
        say(f"excepted {finding.id} {finding.package} {finding.version} (until {exception.until}): "
            f"{exception.reason}")
    for finding in open_findings:
        fixed = ", ".join(finding.fixed) if finding.fixed else "no fixed version"
        aliases = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
        say(f"FINDING {finding.id}{aliases} {finding.package} {finding.version}: fixed in {fixed}: "
            f"{finding.summary}")
    say(f"audited {len(locked)} packages against {outcome.source}: {len(open_findings)} findings, "
        f"{len(excepted)} excepted")
    if open_findings:
        say("audit: FAILED: upgrade the package to a fixed version, or record an exception with a reason and "
            f"an end date in {Path(args.exceptions).name}")
        return EXIT_FINDINGS
    return EXIT_OK


# ---------------------------------------------------------------- --write-lock


def installed_closure(project: str, extras: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Canonical name -> (distribution name, version) of everything `project[extras]` pulls in."""
    import importlib.metadata as metadata

    dists = {canonical(d.metadata["Name"]): d for d in metadata.distributions()}
    environment = {key: str(value) for key, value in default_environment().items()}
    seen: dict[str, set[str]] = {}
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        key = canonical(name)
        dist = dists.get(key)
        if dist is None:
            raise AuditError(f"{name} is required but not installed in {sys.prefix}")
        done = seen.setdefault(key, set())
        new = ({""} | set(wanted)) - done
        if not new:
            continue
        done |= new
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or any(
                    requirement.marker.evaluate({**environment, "extra": extra}) for extra in new):
                todo.append((requirement.name, frozenset(requirement.extras)))
    seen.pop(canonical(project), None)
    return {key: (dists[key].metadata["Name"], dists[key].version) for key in seen}


def write_lock(path: Path) -> int:
    """Write the lock from this environment's installed closure of the project and its test extra."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["name"]
    closure = installed_closure(project, LOCK_EXTRAS)
    extras = ",".join(LOCK_EXTRAS)
    lines = [
        f"# Every distribution that `pip install -e '.[{extras}]'` installs for {project} (the project",
        "# itself excluded), pinned. CI audits it for known vulnerabilities with .ci/audit.py.",
        "# Regenerate after changing dependencies in pyproject.toml, in a venv where that install ran:",
        "#   .venv/bin/python .ci/audit.py --write-lock",
        "# (the same list as `pip freeze --exclude-editable` in a fresh venv set up as the Makefile does:",
        f"# pip upgraded, then only '.[{extras}]' installed)",
    ]
    lines += [f"{name}=={version}" for _, (name, version) in sorted(closure.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    say(f"wrote {path} ({len(closure)} packages)")
    return EXIT_OK


def lock_drift(locked: list[Locked]) -> list[str]:
    """Differences between the lock and what this environment has installed (empty if not comparable)."""
    try:
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["name"]
        closure = installed_closure(project, LOCK_EXTRAS)
    except (AuditError, OSError, KeyError):
        return []
    by_name = {item.name: item.version for item in locked}
    drift = [f"{name}: lock {by_name[name]}, installed {closure[name][1]}"
             for name in sorted(set(by_name) & set(closure)) if by_name[name] != closure[name][1]]
    drift += [f"{name}: installed {closure[name][1]}, not in the lock" for name in sorted(set(closure) - set(by_name))]
    drift += [f"{name}: in the lock, not installed" for name in sorted(set(by_name) - set(closure))]
    return drift


# ---------------------------------------------------------------- --refresh-from


def load_osv_yaml(path: Path) -> dict[str, Any]:
    try:
        import yaml
    except ImportError as error:
        raise AuditError("--refresh-from needs PyYAML (it is in the project's test extra)") from error
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar stays a string
    if not isinstance(data, dict) or "id" not in data:
        raise AuditError(f"{path}: not an OSV record")
    return data


def affected_entries(record: dict[str, Any], package: str) -> list[tuple[list[list[dict[str, str]]], list[str]]]:
    """(ECOSYSTEM ranges, explicit versions) for `package`, from the current or the older OSV layout."""
    entries: list[tuple[list[list[dict[str, str]]], list[str]]] = []
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        if canonical(pkg.get("name", "")) != package or pkg.get("ecosystem", "PyPI") != "PyPI":
            continue
        ranges = [[dict(e) for e in r.get("events", [])] for r in entry.get("ranges") or []
                  if r.get("type") == "ECOSYSTEM"]
        entries.append((ranges, list(entry.get("versions") or [])))
    old = record.get("affects")
    if old and canonical((record.get("package") or {}).get("name", "")) == package:
        ranges = []
        for r in old.get("ranges") or []:
            if r.get("type") != "ECOSYSTEM":
                continue
            events = [{"introduced": r.get("introduced", "0")}]
            if r.get("fixed"):
                events.append({"fixed": r["fixed"]})
            ranges.append(events)
        entries.append((ranges, list(old.get("versions") or [])))
    return entries


def snapshot_record(record: dict[str, Any], package: str) -> dict[str, Any] | None:
    """The facts the audit needs from one OSV record; None if it names no ECOSYSTEM data for `package`."""
    entries = affected_entries(record, package)
    if not entries:
        return None
    ranges = [r for rs, _ in entries for r in rs]
    extra_versions: list[str] = []
    for _, versions in entries:
        for text in versions:
            parsed = parse_version(text)
            try:
                covered = parsed is not None and any(in_range(parsed, r) for r in ranges)
            except ValueError:
                covered = False
            if not covered:
                extra_versions.append(str(text))
    fixed = [e["fixed"] for r in ranges for e in r if "fixed" in e]
    summary = record.get("summary") or ""
    if not summary or summary.strip().lower() == f"vulnerability in {package}":
        summary = record.get("details") or summary
    return {
        "id": record["id"],
        "aliases": sorted(record.get("aliases") or []),
        "package": package,
        "summary": short(summary),
        "published": as_text(record.get("published")),
        "modified": as_text(record.get("modified")),
        "withdrawn": as_text(record.get("withdrawn")) or None,
        "ranges": ranges,
        "versions": sorted(set(extra_versions), key=str),
        "fixed": sorted(set(fixed), key=version_key),
    }


def refresh(source: Path, lock: Path, out: Path) -> int:
    """Rewrite the snapshot from a local copy of the advisory database's vulns/ directory."""
    vulns = source / "vulns" if (source / "vulns").is_dir() else source
    if not vulns.is_dir():
        raise AuditError(f"{source} is neither the advisory database clone nor its vulns/ directory")
    locked = read_lock(lock)
    advisories: list[dict[str, Any]] = []
    for item in locked:
        records: list[dict[str, Any]] = []
        for folder in sorted({item.name, item.name.replace("-", "_"), item.name.replace("-", ".")}):
            for path in sorted((vulns / folder).glob("*.yaml")) if (vulns / folder).is_dir() else []:
                entry = snapshot_record(load_osv_yaml(path), item.name)
                if entry is not None:
                    records.append(entry)
        # a PYSEC-0000-* file is a record waiting for its number; drop it once the numbered one exists
        named = {i for r in records if not r["id"].startswith("PYSEC-0000-") for i in [r["id"], *r["aliases"]]}
        advisories += [r for r in records if not (r["id"].startswith("PYSEC-0000-")
                                                   and named & {r["id"], *r["aliases"]})]
    advisories.sort(key=lambda r: (r["package"], r["id"]))
    newest = max((r["modified"] for r in advisories if r["modified"]), default="")
    snapshot = {
        "source": f"{ADVISORY_DB} (vulns/<package>/*.yaml, OSV format; PYSEC records, so advisories published "
                  "only in GitHub's own database are not included)",
        "snapshot_date": newest[:10] or dt.date.today().isoformat(),
        "snapshot_date_means": "the newest 'modified' date among the records taken for the locked packages; "
                               "advisories published after it are not known to the snapshot",
        "taken_on": dt.date.today().isoformat(),
        "lock": lock.name,
        "notes": "ranges: OSV ECOSYSTEM events; versions: listed affected versions that the ranges do not "
                 "already cover; withdrawn advisories are kept and ignored by the check",
        "packages": sorted(item.name for item in locked),
        "advisories": advisories,
    }
    out.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"wrote {out}: {len(advisories)} advisories for {len(locked)} packages, snapshot date "
        f"{snapshot['snapshot_date']}")
    return EXIT_OK


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", default=str(LOCK), help="lock file (default: requirements.lock)")
    parser.add_argument("--snapshot", default=str(SNAPSHOT), help="advisory snapshot (default: .ci/advisories.json)")
    parser.add_argument("--exceptions", default=str(EXCEPTIONS),
                        help="accepted advisories (default: .ci/audit-exceptions.toml)")
    parser.add_argument("--pip-audit", help="pip-audit executable (default: next to this python, else on PATH)")
    parser.add_argument("--offline", action="store_true", help="do not try online services; use the snapshot")
    parser.add_argument("--today", type=dt.date.fromisoformat, help="date for exception expiry and snapshot age")
    parser.add_argument("--refresh-from", metavar="DIR", help="rewrite the snapshot from an advisory database clone")
    parser.add_argument("--write-lock", action="store_true", help="rewrite the lock from this environment")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.write_lock:
            return write_lock(Path(args.lock))
        if args.refresh_from:
            return refresh(Path(args.refresh_from), Path(args.lock), Path(args.snapshot))
        drift = lock_drift(read_lock(LOCK)) if Path(args.lock).resolve() == LOCK else []
        if drift:
            warn(f"{args.lock} differs from this environment ({len(drift)}): " + "; ".join(drift[:10])
                 + (" ..." if len(drift) > 10 else "") + " -- regenerate it with --write-lock")
        return audit(args)
    except AuditError as error:
        print(f"audit: ERROR: {error}", file=sys.stderr, flush=True)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
