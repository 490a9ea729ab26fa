"""The dependency audit (.ci/audit.py): the real pip-audit against a local OSV service.

The service speaks OSV's query API (``POST /v1/query`` with a package and a version, answered
with ``{"vulns": [...]}`` in the OSV schema) on 127.0.0.1; pip-audit is pointed at it with
``--osv-url``. PyPI's JSON API, the second service, is made unreachable with a proxy nobody
listens on, so nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / ".ci" / "audit.py"
TODAY = "2026-11-27"

_spec = importlib.util.spec_from_file_location("ci_audit", AUDIT)
assert _spec and _spec.loader
audit = importlib.util.module_from_spec(_spec)
sys.modules["ci_audit"] = audit
_spec.loader.exec_module(audit)

VULN = {
    "id": "GHSA-demo-0000-0001", "aliases": ["CVE-2026-0002"], "schema_version": "1.6.0",
    "summary": "Redirects keep the proxy credentials",
    "published": "2026-01-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
    "affected": [{"package": {"name": "scrapy", "ecosystem": "PyPI"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.19.1"}]}]}],
}


class Osv(ThreadingHTTPServer):
    """OSV's query endpoint, answering from ``advisories`` ({(name, version): [vuln]})."""

    def __init__(self, advisories: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        self.advisories = advisories
        self.queries: list[tuple[str, str]] = []
        super().__init__(("127.0.0.1", 0), OsvHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/query"


class OsvHandler(BaseHTTPRequestHandler):
    server: Osv

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = (query["package"]["name"], query["version"])
        self.server.queries.append(key)
        vulns = self.server.advisories.get(key, [])
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[Osv]:
    server = Osv({("scrapy", "2.19.0"): [VULN]})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(tmp_path: Path, *args: str, lock: str = "scrapy==2.19.0\nlxml==6.1.3\n", exceptions: str = "",
        osv_url: str) -> subprocess.CompletedProcess[str]:
    """The audit of a lock file, with PyPI unreachable (a proxy on a closed port; 127.0.0.1 not proxied)."""
    (tmp_path / "requirements.lock").write_text(lock)
    (tmp_path / "exceptions.toml").write_text(textwrap.dedent(exceptions))
    proxy = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "127.0.0.1",
           "no_proxy": "127.0.0.1"}
    return subprocess.run(
        [sys.executable, str(AUDIT), str(tmp_path / "requirements.lock"), "--exceptions",
         str(tmp_path / "exceptions.toml"), "--osv-url", osv_url, "--cache-dir", str(tmp_path / "cache"),
         "--timeout", "5", "--today", TODAY, *args],
        capture_output=True, text=True, env=env, timeout=300)


def exception(id: str, until: str) -> str:
    return f"""
        [[exception]]
        id = "{id}"
        package = "scrapy"
        reason = "the crawler sends no proxy credentials"
        until = {until}
    """


def test_a_finding_fails_the_audit_with_its_id_and_fix(tmp_path, osv):
    done = run(tmp_path, osv_url=osv.url)
    assert done.returncode == 1, done.stdout + done.stderr
    # pip-audit names an advisory by its CVE when it has one
    assert ("audit: FINDING CVE-2026-0002 (GHSA-demo-0000-0001) scrapy 2.19.0, fixed in 2.19.1: "
            "Redirects keep the proxy credentials\n") in done.stdout
    assert "2 locked packages checked against osv: 1 findings" in done.stdout
    assert sorted(osv.queries) == [("lxml", "6.1.3"), ("scrapy", "2.19.0")]


def test_a_fixed_version_passes(tmp_path, osv):
    done = run(tmp_path, lock="scrapy==2.19.1\n", osv_url=osv.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 locked packages checked against osv: 0 findings" in done.stdout


@pytest.mark.parametrize("listed", ["GHSA-demo-0000-0001", "CVE-2026-0002"])
def test_an_exception_accepts_the_advisory_by_id_or_alias_until_its_date(tmp_path, osv, listed):
    done = run(tmp_path, exceptions=exception(listed, "2027-01-31"), osv_url=osv.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"accepted until 2027-01-31: {listed} (scrapy)" in done.stdout
    assert "FINDING" not in done.stdout


def test_an_expired_exception_counts_again(tmp_path, osv):
    done = run(tmp_path, exceptions=exception("GHSA-demo-0000-0001", "2026-11-26"), osv_url=osv.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the exception for GHSA-demo-0000-0001 (scrapy) expired on 2026-11-26: it counts again" in done.stdout
    assert "FINDING CVE-2026-0002 (GHSA-demo-0000-0001)" in done.stdout


def test_no_reachable_service_is_no_pass(tmp_path):
    """OSV refused, PyPI behind a dead proxy: the run says it checked nothing, with its own exit status."""
    done = run(tmp_path, osv_url=f"http://127.0.0.1:{closed_port()}/v1/query")
    assert done.returncode == audit.EXIT_NOT_CHECKED == 3, done.stdout + done.stderr
    assert "audit: osv does not count: no report" in done.stdout
    assert "audit: pypi does not count: no report" in done.stdout
    assert "NOT CHECKED: no vulnerability service answered for every locked package" in done.stdout
    assert "checked against" not in done.stdout and "0 findings" not in done.stdout


def test_a_service_that_skips_packages_does_not_count():
    """PyPI's JSON API behind a mirror that does not serve it: pip-audit prints "No known vulnerabilities
    found" and exits 0, having checked nothing (this report has the shape pip-audit 2.10 writes then)."""
    report = {"dependencies": [
        {"name": "scrapy", "skip_reason": "Dependency not found on PyPI and could not be audited: scrapy (2.19.0)"},
        {"name": "lxml", "version": "6.1.3", "vulns": []}], "fixes": []}
    answer = audit.interpret("pypi", subprocess.CompletedProcess([], 0, json.dumps(report), ""))
    assert answer.findings is None
    assert answer.failure.startswith("did not answer for 1 of 2 packages (e.g. Dependency not found on PyPI")


def test_a_bad_exceptions_file_is_an_error(tmp_path, osv):
    done = run(tmp_path, exceptions='[[exception]]\nid = "X"\npackage = "scrapy"\nuntil = 2027-01-01\n',
               osv_url=osv.url)
    assert done.returncode == 2
    assert "exception 1 lacks reason" in done.stderr
    done = run(tmp_path, exceptions='[[exception]]\nid = "X"\npackage = "scrapy"\nreason = "r"\nuntil = "soon"\n',
               osv_url=osv.url)
    assert done.returncode == 2
    assert "until must be a date (YYYY-MM-DD)" in done.stderr


def locked(*paths: Path) -> set[tuple[str, str]]:
    from packaging.utils import canonicalize_name

    pins = set()
    for path in paths:
        for line in path.read_text().splitlines():
            if line and not line.startswith(("#", "-")):
                name, version = line.split("==")
                pins.add((canonicalize_name(name), version))
    return pins


def test_the_audit_reads_every_pin_of_both_lock_files(tmp_path):
    """The repository's locks as CI audits them: every pinned distribution is asked about, once."""
    server = Osv({})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proxy = f"http://127.0.0.1:{closed_port()}"
        env = {**os.environ, "HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "127.0.0.1",
               "no_proxy": "127.0.0.1"}
        done = subprocess.run([sys.executable, str(AUDIT), "--osv-url", server.url, "--cache-dir",
                               str(tmp_path / "cache"), "--timeout", "5"],
                              capture_output=True, text=True, env=env, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
    expected = locked(ROOT / "requirements.lock", ROOT / "requirements-dev.lock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(expected)} locked packages checked against osv: 0 findings" in done.stdout
    assert sorted(server.queries) == sorted(expected)


def test_the_recorded_exceptions_are_complete_and_name_locked_packages():
    names = {name for name, _ in locked(ROOT / "requirements.lock", ROOT / "requirements-dev.lock")}
    for entry in audit.read_exceptions(audit.EXCEPTIONS):
        assert entry.package in names, entry
        assert len(entry.reason) > 40, entry
