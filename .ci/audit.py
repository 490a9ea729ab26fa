#!/usr/bin/env python3
"""Audit the locked dependencies for known vulnerabilities with pip-audit.

pip-audit reads the lock files (``--disable-pip --no-deps``: the pins as written, nothing
resolved) and asks its vulnerability services, OSV first, then PyPI. A service counts only when
it answered for every locked package; a service that cannot be reached, fails, or skips packages
(PyPI's JSON API on a mirror that does not serve it answers "not found" for all of them) is
named with what went wrong, and the next one is tried.

Accepted advisories are listed in .ci/audit-exceptions.toml, each with a reason and an end date;
from that date on it counts again.

Exit status: 0 every package checked, no finding left; 1 findings; 2 the audit could not run
(bad exceptions file, pip-audit missing); 3 NOT CHECKED: no service answered for every package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCKS = (ROOT / "requirements.lock", ROOT / "requirements-dev.lock")
EXCEPTIONS = ROOT / ".ci" / "audit-exceptions.toml"
SERVICES = ("osv", "pypi")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_NOT_CHECKED = 0, 1, 2, 3


class AuditError(Exception):
    """The audit could not run."""


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    until: dt.date


def read_exceptions(path: Path) -> list[Accepted]:
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("exception", [])
    except FileNotFoundError:
        return []
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AuditError(f"{path}: {error}") from None
    found = []
    for number, entry in enumerate(entries, 1):
        missing = [key for key in ("id", "package", "reason", "until") if not entry.get(key)]
        if missing:
            raise AuditError(f"{path}: exception {number} lacks {', '.join(missing)}")
        if not isinstance(entry["until"], dt.date):
            raise AuditError(f"{path}: exception {number} ({entry['id']}): until must be a date (YYYY-MM-DD)")
        found.append(Accepted(str(entry["id"]), str(entry["package"]), str(entry["reason"]).strip(),
                                entry["until"]))
    return found


@dataclass
class Answer:
    """What one service said: findings per package, or why it does not count."""

    service: str
    checked: int = 0
    findings: list[tuple[str, str, dict[str, Any]]] | None = None  # (package, version, vulnerability)
    failure: str = ""


def interpret(service: str, completed: subprocess.CompletedProcess[str]) -> Answer:
    """pip-audit's JSON report (``-f json``) as an :class:`Answer`."""
    try:
        report = json.loads(completed.stdout)
        dependencies = report["dependencies"]
    except (json.JSONDecodeError, KeyError, TypeError):
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        return Answer(service, failure=f"no report (exit {completed.returncode}): "
                                       f"{lines[-1].strip() if lines else 'no output'}"[:300])
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    if skipped:
        example = next(d["skip_reason"] for d in dependencies if d.get("skip_reason"))
        return Answer(service, failure=f"did not answer for {len(skipped)} of {len(dependencies)} packages "
                                       f"(e.g. {example})")
    findings = [(d["name"], d["version"], vuln) for d in dependencies for vuln in d.get("vulns", [])]
    return Answer(service, checked=len(dependencies), findings=findings)


def run_pip_audit(service: str, locks: list[Path], ignored: list[str], args: argparse.Namespace) -> Answer:
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "--progress-spinner", "off",
               "--format", "json", "--vulnerability-service", service, "--timeout", str(args.timeout)]
    for lock in locks:
        command += ["--requirement", str(lock)]
    for vuln_id in ignored:
        command += ["--ignore-vuln", vuln_id]
    if service == "osv" and args.osv_url:
        command += ["--osv-url", args.osv_url]
    if args.cache_dir:
        command += ["--cache-dir", args.cache_dir]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout * 20)
    except subprocess.TimeoutExpired:
        return Answer(service, failure=f"no report within {args.timeout * 20} s")
    if "No module named pip_audit" in completed.stderr:
        raise AuditError(f"pip-audit is not installed for {sys.executable} (make tools)")
    return interpret(service, completed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("locks", nargs="*", type=Path, default=list(LOCKS), help="lock files (default: both)")
    parser.add_argument("--exceptions", type=Path, default=EXCEPTIONS)
    parser.add_argument("--services", default=",".join(SERVICES), help="tried in this order (default: osv,pypi)")
    parser.add_argument("--osv-url", help="the OSV query endpoint (default: pip-audit's, api.osv.dev)")
    parser.add_argument("--cache-dir", help="pip-audit's HTTP cache")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per request (default: 30)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="date the exceptions expire by")
    args = parser.parse_args(argv)
    today = args.today or dt.date.today()
    try:
        exceptions = read_exceptions(args.exceptions)
        active = [e for e in exceptions if e.until >= today]
        for expired in sorted(set(exceptions) - set(active), key=lambda e: e.id):
            print(f"audit: the exception for {expired.id} ({expired.package}) expired on {expired.until}: "
                  "it counts again", flush=True)
        tried = []
        for service in args.services.split(","):
            answer = run_pip_audit(service, args.locks, [e.id for e in active], args)
            if answer.findings is not None:
                break
            tried.append(f"{service}: {answer.failure}")
            print(f"audit: {service} does not count: {answer.failure}", flush=True)
        else:
            print("audit: NOT CHECKED: no vulnerability service answered for every locked package ("
                  + "; ".join(tried) + "). This is no pass; run it again where one is reachable.", flush=True)
            return EXIT_NOT_CHECKED
    except AuditError as error:
        print(f"audit: ERROR: {error}", file=sys.stderr, flush=True)
        return EXIT_ERROR

    for exception in active:
        print(f"audit: accepted until {exception.until}: {exception.id} ({exception.package})", flush=True)
    for package, version, vuln in answer.findings:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
        aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
        print(f"audit: FINDING {vuln['id']}{aliases} {package} {version}, fixed in {fixed}: "
              f"{(vuln.get('description') or '')[:200]}", flush=True)
    print(f"audit: {answer.checked} locked packages checked against {answer.service}: "
          f"{len(answer.findings)} findings", flush=True)
    if answer.findings:
        print(f"audit: FAILED: upgrade to a fixed version, or record an exception with a reason and an end date "
              f"in {args.exceptions.name}", flush=True)
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
