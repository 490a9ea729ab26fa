"""The dependency audit (.ci/audit.py): OSV range matching, exceptions, the snapshot fallback,
the snapshot generator, and the repository's own lock, snapshot and exceptions."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / ".ci" / "audit.py"
TODAY = "2026-11-27"

_spec = importlib.util.spec_from_file_location("ci_audit", AUDIT)
assert _spec and _spec.loader
audit = importlib.util.module_from_spec(_spec)
sys.modules["ci_audit"] = audit
_spec.loader.exec_module(audit)


# ---------------------------------------------------------------- helpers


def advisory(id: str = "DEMO-2026-1", package: str = "demo-pkg", ranges: list | None = None,
             versions: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": id, "aliases": extra.pop("aliases", ["CVE-2026-0001"]), "package": package,
        "summary": extra.pop("summary", "Demo parser reads past the end of its buffer"),
        "published": "2026-01-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
        "withdrawn": extra.pop("withdrawn", None),
        "ranges": [[{"introduced": "0"}, {"fixed": "1.3.0"}]] if ranges is None else ranges,
        "versions": versions or [], "fixed": extra.pop("fixed", ["1.3.0"]), **extra,
    }


def setup(tmp_path: Path, lock: str = "demo-pkg==1.2.0\n", advisories: list[dict] | None = None,
          packages: list[str] | None = None, exceptions: str = "", snapshot_date: str = "2026-11-01") -> list[str]:
    """Write a lock, a snapshot and an exceptions file; return the matching command-line options."""
    (tmp_path / "requirements.lock").write_text(lock)
    snapshot = {
        "source": "test snapshot", "snapshot_date": snapshot_date, "snapshot_date_means": "test",
        "packages": ["demo-pkg"] if packages is None else packages,
        "advisories": [advisory()] if advisories is None else advisories,
    }
    (tmp_path / "advisories.json").write_text(json.dumps(snapshot))
    (tmp_path / "exceptions.toml").write_text(textwrap.dedent(exceptions))
    return ["--lock", str(tmp_path / "requirements.lock"), "--snapshot", str(tmp_path / "advisories.json"),
            "--exceptions", str(tmp_path / "exceptions.toml"), "--today", TODAY]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(AUDIT), *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=ROOT)


def fake_pip_audit(tmp_path: Path, answers: dict[str, tuple[int, str, str]]) -> str:
    """An executable standing in for pip-audit: per service, (exit status, stdout, stderr)."""
    script = tmp_path / "pip-audit"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        answers = {answers!r}
        service = sys.argv[sys.argv.index("--vulnerability-service") + 1]
        code, out, err = answers[service]
        sys.stdout.write(out)
        sys.stderr.write(err)
        sys.exit(code)
    """))
    script.chmod(0o755)
    return str(script)


NETWORK_TRACEBACK = textwrap.dedent("""\
    Traceback (most recent call last):
      File "pip_audit/_service/osv.py", line 70, in query
    requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded
    with url: /v1/query (Caused by NameResolutionError("Failed to resolve 'api.osv.dev'"))
""")
ALL_SKIPPED = (0, json.dumps({"dependencies": [
    {"name": "demo-pkg", "skip_reason": "Dependency not found on PyPI and could not be audited: demo-pkg (1.2.0)"}],
    "fixes": []}), "No known vulnerabilities found\n")


def pip_audit_report(*vulns: dict[str, Any]) -> tuple[int, str, str]:
    """What pip-audit's JSON format prints for demo-pkg 1.2.0 with these vulnerabilities."""
    body = {"dependencies": [{"name": "demo-pkg", "version": "1.2.0", "vulns": list(vulns)}], "fixes": []}
    return (1 if vulns else 0), json.dumps(body), ""


ONLINE_VULN = {"id": "GHSA-demo-0000-0001", "fix_versions": ["1.2.1"], "aliases": ["CVE-2026-0002"],
               "description": "Demo client leaks credentials on redirect"}


# ---------------------------------------------------------------- OSV range semantics


def affected(version: str, events: list[dict[str, str]]) -> bool:
    return audit.in_range(Version(version), events)


def test_introduced_and_fixed_bound_a_half_open_interval() -> None:
    events = [{"introduced": "2.1.0"}, {"fixed": "2.6.0"}]
    assert not affected("2.0.9", events)
    assert affected("2.1.0", events)
    assert affected("2.5.3", events)
    assert affected("2.6.0rc1", events)  # a pre-release sorts before the fix
    assert not affected("2.6.0", events)
    assert not affected("3.0", events)


def test_introduced_zero_means_every_version_before_the_fix() -> None:
    events = [{"introduced": "0"}, {"fixed": "1.24.3"}]
    assert affected("0.2", events)
    assert affected("1.24.2", events)
    assert not affected("1.24.3", events)


def test_a_range_without_a_fix_affects_every_later_version() -> None:
    events = [{"introduced": "0.7"}]
    assert not affected("0.6", events)
    assert affected("0.7", events)
    assert affected("2.19.0", events)
    assert affected("99.0", [{"introduced": "0"}])


def test_last_affected_includes_that_version_only() -> None:
    events = [{"introduced": "0"}, {"last_affected": "3.8.4"}]
    assert affected("3.8.4", events)
    assert not affected("3.8.5", events)


def test_several_intervals_in_one_range_in_any_order() -> None:
    events = [{"introduced": "2.0.0"}, {"fixed": "2.0.6"}, {"introduced": "0"}, {"fixed": "1.26.17"}]
    assert affected("1.26.16", events)
    assert not affected("1.26.17", events)
    assert not affected("1.26.99", events)
    assert affected("2.0.5", events)
    assert not affected("2.0.6", events)


def test_explicit_versions_match_by_version_equality() -> None:
    listed = advisory(ranges=[], versions=["1.2", "1.4.0"])
    assert audit.affects(listed, "1.2.0")
    assert audit.affects(listed, "1.4")
    assert not audit.affects(listed, "1.3.0")


def test_ranges_and_versions_together() -> None:
    both = advisory(ranges=[[{"introduced": "0"}, {"fixed": "1.0"}]], versions=["1.5.0"])
    assert audit.affects(both, "0.9")
    assert not audit.affects(both, "1.2")
    assert audit.affects(both, "1.5.0")


def test_an_unparseable_bound_is_reported_not_guessed() -> None:
    with pytest.raises(ValueError, match="unparseable version"):
        affected("1.0", [{"introduced": "0"}, {"fixed": "not a version"}])


# ---------------------------------------------------------------- the snapshot check


def test_an_advisory_on_a_locked_version_fails_with_its_id(tmp_path: Path) -> None:
    done = run(*setup(tmp_path), "--offline")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FINDING DEMO-2026-1 (CVE-2026-0001) demo-pkg 1.2.0: fixed in 1.3.0" in done.stdout
    assert "Demo parser reads past the end of its buffer" in done.stdout
    assert "FALLING BACK TO THE ADVISORY SNAPSHOT" in done.stdout
    assert "audited 1 packages against the advisory snapshot" in done.stdout
    assert "1 findings, 0 excepted" in done.stdout


def test_a_fixed_version_passes(tmp_path: Path) -> None:
    done = run(*setup(tmp_path, lock="demo-pkg==1.3.0\n"), "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 findings, 0 excepted" in done.stdout


@pytest.mark.parametrize("listed_id", ["DEMO-2026-1", "CVE-2026-0001"])
def test_a_valid_exception_turns_the_finding_into_excepted(tmp_path: Path, listed_id: str) -> None:
    exceptions = f"""
        [[exception]]
        id = "{listed_id}"
        package = "Demo_Pkg"
        reason = "only the unused server part is affected"
        until = 2027-01-31
    """
    done = run(*setup(tmp_path, exceptions=exceptions), "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "excepted DEMO-2026-1 demo-pkg 1.2.0 (until 2027-01-31): only the unused server part is affected" \
        in done.stdout
    assert "FINDING" not in done.stdout
    assert "0 findings, 1 excepted" in done.stdout


def test_an_expired_exception_no_longer_counts(tmp_path: Path) -> None:
    exceptions = """
        [[exception]]
        id = "DEMO-2026-1"
        package = "demo-pkg"
        reason = "waiting for 1.3"
        until = 2026-11-26
    """
    done = run(*setup(tmp_path, exceptions=exceptions), "--offline")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "EXPIRED EXCEPTION DEMO-2026-1 demo-pkg: was valid until 2026-11-26; it no longer counts" in done.stdout
    assert "FINDING DEMO-2026-1" in done.stdout
    assert "1 findings, 0 excepted" in done.stdout


def test_an_exception_for_another_package_does_not_count(tmp_path: Path) -> None:
    exceptions = """
        [[exception]]
        id = "DEMO-2026-1"
        package = "other-pkg"
        reason = "a different package"
        until = 2027-01-31
    """
    done = run(*setup(tmp_path, exceptions=exceptions), "--offline")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "exception DEMO-2026-1 for other-pkg matched no finding" in done.stdout


def test_an_incomplete_exception_is_an_error(tmp_path: Path) -> None:
    exceptions = """
        [[exception]]
        id = "DEMO-2026-1"
        package = "demo-pkg"
        until = 2027-01-31
    """
    done = run(*setup(tmp_path, exceptions=exceptions), "--offline")
    assert done.returncode == 2
    assert "missing reason" in done.stderr


def test_a_withdrawn_advisory_is_ignored(tmp_path: Path) -> None:
    options = setup(tmp_path, advisories=[advisory(withdrawn="2026-03-01T00:00:00Z")])
    done = run(*options, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 findings, 0 excepted" in done.stdout


def test_an_advisory_for_another_package_does_not_match(tmp_path: Path) -> None:
    options = setup(tmp_path, advisories=[advisory(package="other-pkg")], packages=["demo-pkg", "other-pkg"])
    assert run(*options, "--offline").returncode == 0


def test_a_locked_package_missing_from_the_snapshot_is_a_warning(tmp_path: Path) -> None:
    options = setup(tmp_path, lock="demo-pkg==1.3.0\nnew-pkg==0.1\n")
    done = run(*options, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING: new-pkg 0.1 is not in the snapshot (not checked)" in done.stdout
    assert "demo-pkg 1.3.0 is not in the snapshot" not in done.stdout


def test_an_old_snapshot_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    done = run(*setup(tmp_path, lock="demo-pkg==1.3.0\n", snapshot_date="2026-01-01"), "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING: the advisory snapshot is 330 days old (snapshot date 2026-01-01, more than 180)" in done.stdout
    fresh = run(*setup(tmp_path, lock="demo-pkg==1.3.0\n", snapshot_date="2026-11-01"), "--offline")
    assert "days old" not in fresh.stdout


def test_a_malformed_lock_line_is_an_error(tmp_path: Path) -> None:
    done = run(*setup(tmp_path, lock="demo-pkg>=1.2\n"), "--offline")
    assert done.returncode == 2
    assert "expected 'name==version'" in done.stderr


# ---------------------------------------------------------------- pip-audit first, the snapshot when it cannot answer


def test_a_network_error_from_pip_audit_falls_back_to_the_snapshot(tmp_path: Path) -> None:
    options = setup(tmp_path)
    tool = fake_pip_audit(tmp_path, {"osv": (1, "", NETWORK_TRACEBACK), "pypi": (1, "", NETWORK_TRACEBACK)})
    done = run(*options, "--pip-audit", tool)
    assert "pip-audit --vulnerability-service osv: could not be used: network error" in done.stdout
    assert "pip-audit --vulnerability-service pypi: could not be used: network error" in done.stdout
    assert "NO ONLINE VULNERABILITY SERVICE WAS USED" in done.stdout
    assert "FALLING BACK TO THE ADVISORY SNAPSHOT" in done.stdout
    assert "snapshot date: 2026-11-01" in done.stdout
    assert done.returncode == 1  # decided by the snapshot's advisory
    assert "FINDING DEMO-2026-1" in done.stdout


def test_a_service_that_skips_packages_is_not_trusted(tmp_path: Path) -> None:
    options = setup(tmp_path, lock="demo-pkg==1.3.0\n")
    tool = fake_pip_audit(tmp_path, {"osv": (1, "", NETWORK_TRACEBACK), "pypi": ALL_SKIPPED})
    done = run(*options, "--pip-audit", tool)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pip-audit --vulnerability-service pypi: could not be used: the service did not audit 1 of 1 packages" \
        in done.stdout
    assert "FALLING BACK TO THE ADVISORY SNAPSHOT" in done.stdout


def test_an_answering_service_decides(tmp_path: Path) -> None:
    options = setup(tmp_path, advisories=[])  # the snapshot alone would pass
    tool = fake_pip_audit(tmp_path, {"osv": pip_audit_report(ONLINE_VULN), "pypi": ALL_SKIPPED})
    done = run(*options, "--pip-audit", tool)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "source: pip-audit --vulnerability-service osv (online)" in done.stdout
    assert "FINDING GHSA-demo-0000-0001 (CVE-2026-0002) demo-pkg 1.2.0: fixed in 1.2.1" in done.stdout
    assert "FALLING BACK" not in done.stdout


def test_the_second_service_decides_when_the_first_is_unreachable(tmp_path: Path) -> None:
    options = setup(tmp_path)  # the snapshot alone would fail
    tool = fake_pip_audit(tmp_path, {"osv": (1, "", NETWORK_TRACEBACK), "pypi": pip_audit_report()})
    done = run(*options, "--pip-audit", tool)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "source: pip-audit --vulnerability-service pypi (online)" in done.stdout
    assert "0 findings, 0 excepted" in done.stdout


def test_exceptions_apply_to_online_findings_too(tmp_path: Path) -> None:
    exceptions = """
        [[exception]]
        id = "CVE-2026-0002"
        package = "demo-pkg"
        reason = "redirects are off for this client"
        until = 2027-01-31
    """
    options = setup(tmp_path, advisories=[], exceptions=exceptions)
    tool = fake_pip_audit(tmp_path, {"osv": pip_audit_report(ONLINE_VULN), "pypi": ALL_SKIPPED})
    done = run(*options, "--pip-audit", tool)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "excepted GHSA-demo-0000-0001 demo-pkg 1.2.0" in done.stdout


def test_a_pip_audit_failure_that_is_not_the_network_is_an_error(tmp_path: Path) -> None:
    options = setup(tmp_path)
    failing = (1, "", "ERROR:pip_audit._cli:invalid requirements input: demo-pkg==1.2.0\n")
    tool = fake_pip_audit(tmp_path, {"osv": failing, "pypi": failing})
    done = run(*options, "--pip-audit", tool)
    assert done.returncode == 2
    assert "failed for a reason other than the network" in done.stderr
    assert "FALLING BACK" not in done.stdout


def real_pip_audit() -> str | None:
    beside = Path(sys.executable).parent / "pip-audit"
    return str(beside) if beside.exists() else shutil.which("pip-audit")


@pytest.mark.skipif(real_pip_audit() is None, reason="pip-audit is not installed")
def test_real_pip_audit_without_a_way_out_falls_back(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a local port nobody listens on: every proxied request is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HTTPS_PROXY": proxy, "https_proxy": proxy, "HTTP_PROXY": proxy, "http_proxy": proxy,
           "NO_PROXY": "", "no_proxy": ""}
    done = run(*setup(tmp_path), "--pip-audit", str(real_pip_audit()), env=env)
    assert "pip-audit --vulnerability-service osv: could not be used: network error" in done.stdout, done.stderr
    assert "FALLING BACK TO THE ADVISORY SNAPSHOT" in done.stdout
    assert done.returncode == 1
    assert "FINDING DEMO-2026-1" in done.stdout


# ---------------------------------------------------------------- the snapshot generator


def test_refresh_from_osv_files_keeps_the_facts(tmp_path: Path) -> None:
    vulns = tmp_path / "advisory-database" / "vulns"
    (vulns / "demo-pkg").mkdir(parents=True)
    (vulns / "demo-pkg" / "PYSEC-2099-1.yaml").write_text(textwrap.dedent("""\
        id: PYSEC-2099-1
        details: "%s"
        aliases:
        - CVE-2099-1
        modified: 2099-03-04T05:06:07.123Z
        published: 2099-03-01T00:00:00Z
        affected:
        - package:
            name: demo_pkg
            ecosystem: PyPI
          ranges:
          - type: GIT
            repo: https://example.invalid/demo
            events:
            - introduced: "0"
            - fixed: 0123abcd
          - type: ECOSYSTEM
            events:
            - introduced: "0"
            - fixed: "1.10"
          versions:
          - "1.0"
          - "1.9"
          - 2.5.0
        """ % ("A long description. " * 20)))
    (vulns / "demo-pkg" / "PYSEC-2099-2.yaml").write_text(textwrap.dedent("""\
        id: PYSEC-2099-2
        package:
          name: demo-pkg
          ecosystem: PyPI
        summary: Vulnerability in demo-pkg
        details: Old layout record.
        affects:
          ranges:
          - type: ECOSYSTEM
            fixed: 0.5
        aliases:
        - CVE-2099-2
        modified: "2098-01-01T00:00:00Z"
        published: "2098-01-01T00:00:00Z"
        """))
    (vulns / "demo-pkg" / "PYSEC-0000-CVE-2099-1.yaml").write_text(textwrap.dedent("""\
        id: PYSEC-0000-CVE-2099-1
        aliases:
        - CVE-2099-1
        modified: "2099-12-31T00:00:00Z"
        affected:
        - package: {name: demo-pkg, ecosystem: PyPI}
          ranges:
          - {type: ECOSYSTEM, events: [{introduced: "0"}, {fixed: "1.10"}]}
        """))
    lock = tmp_path / "requirements.lock"
    lock.write_text("demo-pkg==1.2\nquiet-pkg==3.0\n")
    out = tmp_path / "advisories.json"
    done = run("--refresh-from", str(vulns.parent), "--lock", str(lock), "--snapshot", str(out))
    assert done.returncode == 0, done.stdout + done.stderr

    snapshot = json.loads(out.read_text())
    assert snapshot["packages"] == ["demo-pkg", "quiet-pkg"]
    assert snapshot["snapshot_date"] == "2099-03-04"  # the placeholder record was dropped
    assert "pypa/advisory-database" in snapshot["source"]
    first, second = snapshot["advisories"]
    assert [first["id"], second["id"]] == ["PYSEC-2099-1", "PYSEC-2099-2"]
    assert first["package"] == "demo-pkg"
    assert first["ranges"] == [[{"introduced": "0"}, {"fixed": "1.10"}]]  # the GIT range is left out
    assert first["versions"] == ["2.5.0"]  # listed versions the range already covers are not repeated
    assert first["fixed"] == ["1.10"]
    assert first["aliases"] == ["CVE-2099-1"]
    assert first["modified"] == "2099-03-04T05:06:07.123Z"
    assert len(first["summary"]) <= 200 and first["summary"].startswith("A long description.")
    assert second["ranges"] == [[{"introduced": "0"}, {"fixed": "0.5"}]]
    assert second["summary"] == "Old layout record."

    checked = run("--lock", str(lock), "--snapshot", str(out), "--exceptions", str(tmp_path / "none.toml"),
                  "--offline", "--today", "2099-04-01")
    assert checked.returncode == 1
    assert "FINDING PYSEC-2099-1 (CVE-2099-1) demo-pkg 1.2: fixed in 1.10" in checked.stdout
    assert "quiet-pkg" not in checked.stdout  # in the snapshot, with no advisory


# ---------------------------------------------------------------- the repository's own files


def test_the_locked_dependencies_pass_the_audit() -> None:
    """What CI runs, without the online services: the lock, the snapshot and the exceptions in the repo."""
    done = run("--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 findings" in done.stdout
    assert "is not in the snapshot" not in done.stdout
    assert "matched no finding" not in done.stdout


def test_the_snapshot_covers_exactly_the_locked_packages() -> None:
    locked = {item.name for item in audit.read_lock(audit.LOCK)}
    snapshot = json.loads(audit.SNAPSHOT.read_text())
    assert set(snapshot["packages"]) == locked
    assert {a["package"] for a in snapshot["advisories"]} <= locked
    for entry in snapshot["advisories"]:
        assert set(entry) >= {"id", "aliases", "package", "summary", "published", "modified", "ranges", "fixed"}
        assert len(entry["summary"]) <= 200


def test_every_recorded_exception_is_complete() -> None:
    for exception in audit.read_exceptions(audit.EXCEPTIONS):
        assert exception.reason and exception.package and exception.id
