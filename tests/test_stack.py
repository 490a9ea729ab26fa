"""The docker compose stack (no container engine runs here: the files, and the scripts run for real).

Checked as files: the services and their order (health checks, depends_on conditions), that no
crawling service depends on Kibana (directly or through another service), memory limits and log
rotation on every service, the distributed profile, the compose file against the Compose
Specification's JSON schema (before and after interpolation with .env.example), secrets only from
docker/.env (every variable the compose file and the setup script use is in .env.example, with a
comment, and nothing else is), .dockerignore, and the crawler image (slim base, non-root, the
locked versions, Chromium only in the browser stage).

Run for real: docker/setup.sh under `sh` against stub Elasticsearch and Kibana servers (passwords
with quotes, backslashes, `$`, `%`, spaces and non-ASCII arrive intact in valid JSON bodies; no
command line of any process it starts contains them, seen with strace; a degraded Kibana whose
import fails makes the Kibana part exit non-zero with a clear message), the Elasticsearch health
check's command against a stub, the scheduler's health check against real processes, and Debian's
Chromium as the image's non-root user under Docker's default seccomp profile (tests/stack_seccomp.py).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stack_stubs import Answer, Seen, StubServer

ROOT = Path(__file__).parents[1]
TESTS = Path(__file__).parent
DOCKER = ROOT / "docker"
SETUP = DOCKER / "setup.sh"
COMPOSE_TEXT = (DOCKER / "compose.yml").read_text("utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
VENV_BIN = Path(sys.executable).parent

# passwords that break naive quoting in sh, JSON, curl config files and printf formats
ELASTIC_PASSWORD = 'el"as\\tic \'$HOME` %s ü€'
KIBANA_SYSTEM_PASSWORD = 'k\\"ib\\\\ana $(id) \'x\' ✓ '
CORPUS_ES_PASSWORD = "c'o\"r\\pus $1 ${X} %d ñ\\n"
PASSWORDS = (ELASTIC_PASSWORD, KIBANA_SYSTEM_PASSWORD, CORPUS_ES_PASSWORD)
ELASTIC_AUTH = "Basic " + base64.b64encode(b"elastic:" + ELASTIC_PASSWORD.encode()).decode()


def _env_example() -> dict[str, str]:
    values = {}
    lines = (DOCKER / ".env.example").read_text("utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert lines[number - 1].startswith("#"), f"{key} has no comment above it"
            values[key] = value
    return values


def _command(service: dict[str, Any]) -> str:
    command = service.get("command") or ""
    return " ".join(command) if isinstance(command, list) else command


def _depends_on(name: str) -> set[str]:
    return set(SERVICES[name].get("depends_on") or ())


def _needs(name: str) -> set[str]:
    """Every service ``name`` waits for, directly or through others."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in _depends_on(todo.pop()) - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


# --- the compose file --------------------------------------------------------------------------------

def test_services_and_their_order():
    assert set(SERVICES) == {"elasticsearch", "kibana", "setup", "kibana-setup", "scheduler", "crawler",
                             "redis", "worker"}
    es, kibana = SERVICES["elasticsearch"], SERVICES["kibana"]
    assert es["image"].partition(":")[2] == kibana["image"].partition(":")[2] == "${STACK_VERSION:-8.19.21}"
    assert es["environment"]["xpack.security.enabled"] == "true"
    assert es["environment"]["discovery.type"] == "single-node"
    assert es["environment"]["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD")
    assert "${ES_HEAP" in es["environment"]["ES_JAVA_OPTS"]
    assert es["volumes"] == ["esdata:/usr/share/elasticsearch/data"] and "esdata" in COMPOSE["volumes"]
    for name in ("elasticsearch", "kibana"):
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD-SHELL"
        assert all(port.startswith("127.0.0.1:") for port in SERVICES[name]["ports"])
    assert kibana["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert kibana["depends_on"] == {"elasticsearch": {"condition": "service_healthy"}}
    # the Elasticsearch part, once; the crawls wait for it
    assert SERVICES["setup"]["depends_on"] == {"elasticsearch": {"condition": "service_healthy"}}
    assert SERVICES["setup"]["command"] == ["corpus-stack-setup", "elasticsearch"]
    assert SERVICES["setup"]["restart"] == "no"
    for name in ("scheduler", "crawler"):
        assert SERVICES[name]["depends_on"] == {"elasticsearch": {"condition": "service_healthy"},
                                                 "setup": {"condition": "service_completed_successfully"}}
        assert SERVICES[name]["image"] == "corpus-crawler:latest"
        assert SERVICES[name]["volumes"] == ["crawldata:/app/data"]
    assert "corpus schedule" in _command(SERVICES["scheduler"])
    assert SERVICES["scheduler"]["restart"] == "unless-stopped"
    assert SERVICES["crawler"]["profiles"] == ["tools"]  # only for `docker compose run --rm crawler ...`


def test_no_crawling_service_depends_on_kibana():
    """Crawling never waits for Kibana: not for the service, not for its import, not through another service."""
    crawling = {name for name, service in SERVICES.items()
                if "scrapy" in _command(service) or "corpus schedule" in _command(service)}
    assert crawling == {"scheduler", "crawler", "worker"}
    for name in crawling | {"setup"}:
        assert not _needs(name) & {"kibana", "kibana-setup"}, (name, _needs(name))
        assert "setup" in _needs(name) or name == "setup"
    # the import is a service of its own that nothing waits for, and it is tried again until it succeeds
    importer = SERVICES["kibana-setup"]
    assert importer["command"] == ["corpus-stack-setup", "kibana"]
    assert importer["depends_on"] == {"kibana": {"condition": "service_started"}}
    assert importer["restart"] == "on-failure"
    assert not [name for name in SERVICES if "kibana-setup" in _depends_on(name)]
    assert "KIBANA_URL" not in SERVICES["setup"]["environment"]
    assert _needs("kibana-setup") == {"kibana", "elasticsearch"}


def test_every_service_has_a_memory_limit_and_rotated_logs():
    for name, service in SERVICES.items():
        assert service.get("mem_limit"), f"{name} has no mem_limit"
        logging = service.get("logging") or {}
        assert logging.get("driver") == "json-file", name
        assert re.fullmatch(r"\d+[kmg]", logging["options"]["max-size"]), name
        assert int(logging["options"]["max-file"]) >= 1, name
    assert SERVICES["scheduler"]["mem_limit"] == "${SCHEDULER_MEM_LIMIT:-3g}"
    assert SERVICES["setup"]["mem_limit"] == SERVICES["kibana-setup"]["mem_limit"] == "512m"


def test_elasticsearch_locks_its_memory_and_may():
    """bootstrap.memory_lock and the memlock ulimit go together (one without the other is a warning or waste)."""
    es = SERVICES["elasticsearch"]
    assert es["environment"]["bootstrap.memory_lock"] == "true"
    assert es["ulimits"]["memlock"] == {"soft": -1, "hard": -1}


def test_kibana_keeps_its_encryption_keys_from_the_env_file():
    env = SERVICES["kibana"]["environment"]
    keys = {"XPACK_SECURITY_ENCRYPTIONKEY": "KIBANA_SECURITY_KEY",
            "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY": "KIBANA_SAVED_OBJECTS_KEY",
            "XPACK_REPORTING_ENCRYPTIONKEY": "KIBANA_REPORTING_KEY"}
    example = _env_example()
    for setting, variable in keys.items():
        assert env[setting] == f"${{{variable}:?set {variable} in docker/.env}}"  # required: no silent default
        assert len(example[variable]) >= 32 and example[variable].startswith("change-me"), variable
    assert len({example[v] for v in keys.values()}) == 3
    assert "openssl rand -hex 32" in (DOCKER / ".env.example").read_text("utf-8")


def test_the_distributed_profile_runs_redis_and_worker_replicas():
    redis, worker = SERVICES["redis"], SERVICES["worker"]
    assert redis["profiles"] == worker["profiles"] == ["distributed"]
    assert redis["image"].startswith("redis:") and redis["healthcheck"]
    assert "--appendonly" in redis["command"] and "noeviction" in redis["command"]
    assert redis["volumes"] == ["redisdata:/data"] and "redisdata" in COMPOSE["volumes"]
    assert "ports" not in redis  # the frontier is reachable on the compose network only
    assert worker["deploy"]["replicas"] == "${CORPUS_WORKERS:-3}"
    assert worker["environment"]["CORPUS_REDIS_URL"] == "redis://redis:6379/0"
    assert worker["environment"]["CORPUS_REDIS_CRAWL"] == "${CORPUS_REDIS_CRAWL:-}"  # "": the spider's name
    assert worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    assert worker["restart"] == "on-failure"  # a finished crawl does not start again
    assert _command(worker).startswith("sh -c exec scrapy crawl")
    # the settings the workers rely on exist in the project (README "Crawling on several machines")
    settings = (ROOT / "corpus" / "settings.py").read_text("utf-8")
    assert 'CORPUS_REDIS_URL = _env("CORPUS_REDIS_URL"' in settings
    assert 'CORPUS_REDIS_CRAWL = _env("CORPUS_REDIS_CRAWL"' in settings
    # the services outside a profile are what `up` starts; the profiles add to them
    default = {name for name, service in SERVICES.items() if not service.get("profiles")}
    assert default == {"elasticsearch", "kibana", "setup", "kibana-setup", "scheduler"}


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}, $$) of every string in ``value``."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"{name} is required: {arg}")
        return arg or ""

    return re.sub(r"\$\$|\$\{([A-Za-z_]\w*)(?:(:-|:\?)([^}]*))?\}", one, value)


def test_the_compose_file_follows_the_compose_specification():
    """Validated with the Compose Specification's own JSON schema, as written and once interpolated."""
    jsonschema = pytest.importorskip("jsonschema")
    # tests/stack_compose_spec.json: schema/compose-spec.json of the Go module
    # github.com/compose-spec/compose-go/v2 v2.17.0 (Apache-2.0), the schema `docker compose` validates with
    schema = json.loads((TESTS / "stack_compose_spec.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(COMPOSE))
    rendered = _interpolate(COMPOSE, _env_example())
    assert not list(validator.iter_errors(rendered))
    # the validator does catch mistakes: a misspelt key and a wrong type
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["scheduler"]["mem_limt"] = "1g"
    broken["services"]["setup"]["depends_on"] = {"elasticsearch": {"condition": "service_finished"}}
    assert len(list(validator.iter_errors(broken))) >= 2
    # what the .env.example values give
    for name, service in rendered["services"].items():
        assert re.fullmatch(r"\d+[bkmg]?", str(service["mem_limit"])), (name, service["mem_limit"])
    assert int(rendered["services"]["worker"]["deploy"]["replicas"]) >= 2
    assert all(len(v) >= 32 for k, v in rendered["services"]["kibana"]["environment"].items()
               if k.endswith("ENCRYPTIONKEY"))


def _compose_cli() -> list[str] | None:
    """Docker Compose v2, where there is one: $DOCKER_COMPOSE, `docker compose` or `docker-compose`."""
    candidates = [[os.environ["DOCKER_COMPOSE"]]] if os.environ.get("DOCKER_COMPOSE") else []
    candidates += [["docker", "compose"], ["docker-compose"]]
    for cli in candidates:
        if shutil.which(cli[0]):
            version = subprocess.run([*cli, "version", "--short"], capture_output=True, text=True, timeout=30)
            if version.returncode == 0 and not version.stdout.strip().startswith(("1.", "v1.")):
                return cli
    return None


def test_docker_compose_itself_loads_the_file(tmp_path: Path):
    """`docker compose config` (no engine needed): the file loads with .env.example's values, compose's own
    view of depends_on keeps Kibana out of the crawl's way, and a missing password stops it with a message."""
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no Docker Compose v2 here (set DOCKER_COMPOSE to a docker-compose binary)")
    base = [*cli, "-f", str(DOCKER / "compose.yml"), "--env-file", str(DOCKER / ".env.example"),
            "--profile", "distributed", "--profile", "tools"]
    result = subprocess.run([*base, "config", "--format", "json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == set(SERVICES)
    for name in ("setup", "scheduler", "crawler", "worker"):
        assert not set(services[name].get("depends_on") or {}) & {"kibana", "kibana-setup"}, name
    assert services["worker"]["deploy"]["replicas"] == 3
    assert all(service["logging"]["driver"] == "json-file" and service["mem_limit"] for service in services.values())
    empty = tmp_path / "empty.env"
    empty.write_text("")
    missing = subprocess.run([*cli, "-f", str(DOCKER / "compose.yml"), "--env-file", str(empty), "config", "--quiet"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "in docker/.env" in missing.stderr


def test_every_variable_comes_from_the_env_file_and_is_documented():
    used = set(re.findall(r"\$\{([A-Za-z_]\w*)", COMPOSE_TEXT))
    used |= set(re.findall(r"\$\{([A-Za-z_]\w*)", SETUP.read_text("utf-8")))
    # set inside the containers by compose itself, not by the user; ES_WAIT_TRIES only by the tests
    internal = {"ELASTICSEARCH_URL", "KIBANA_URL", "KIBANA_WAIT", "ES_WAIT_TRIES"}
    example = _env_example()
    assert used - internal <= set(example), used - internal - set(example)
    assert set(example) <= used, set(example) - used
    for key, value in example.items():
        if "PASSWORD" in key or key.endswith("_KEY"):
            assert value.startswith("change-me"), key  # placeholders only, never a real secret
    ignored = subprocess.run(["git", "check-ignore", "docker/.env"], cwd=ROOT, capture_output=True, text=True)
    assert ignored.returncode == 0  # the real .env never goes into the repository


def _dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as Docker reads it (moby/patternmatcher): `*` within a path segment, `**` across them,
    `!` re-includes; a pattern that matches a directory excludes what is inside it."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        text = os.path.normpath(line.lstrip("!").lstrip("/"))
        regex = ""
        i = 0
        while i < len(text):
            if text.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif text.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif text[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif text[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(text[i]), i + 1
        patterns.append((negate, re.compile(regex + "(?:/.*)?")))
    return patterns


def _excluded(path: str) -> bool:
    excluded = False
    for negate, pattern in _dockerignore_patterns():
        if pattern.fullmatch(path):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_env_files_out_of_the_build_context():
    for secret in ("docker/.env", ".env", "corpus/.env", "docker/.env.local"):
        assert _excluded(secret), secret
    for local in (".venv/bin/python", ".git/config", "data/cicero/x.jsonl", "corpus/__pycache__/x.pyc"):
        assert _excluded(local), local
    # what the Dockerfile copies stays in the context
    copied = re.findall(r"^COPY (?:--chmod=\d+ )?(.+) \S+$", (DOCKER / "Dockerfile").read_text("utf-8"), re.M)
    sources = [src for line in copied for src in line.split()]
    assert {"requirements.lock", "corpus", "docker/setup.sh", "docker/scheduler-health",
            "docker/chromium-no-sandbox"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not _excluded(source), source
    assert not _excluded("corpus/kibana/saved_objects.ndjson") and not _excluded("spiders/cicero.py")


def test_the_readme_says_what_starts_when_and_what_happens_without_kibana():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Run the whole stack"):]
    section = section[:section.index("\n## ", 1)]
    for words in ("What starts in which order", "When Kibana is down", "kibana-setup", "degraded",
                  "restart: on-failure", "When `setup` fails", "corpus-scheduler-health", "--profile distributed",
                  "--no-sandbox", "CORPUS_CHROMIUM_NO_SANDBOX=0", ".dockerignore", "--overwrite"):
        assert words in section, words
    # every service is named, and every variable the section names is one of docker/.env.example
    for name in SERVICES:
        assert f"`{name}`" in section, name
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section)) - {"CORPUS_CHROMIUM_NO_SANDBOX"}
    assert named <= set(_env_example()), named - set(_env_example())


# --- the image ---------------------------------------------------------------------------------------

def _stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = ""
    for line in (DOCKER / "Dockerfile").read_text("utf-8").splitlines():
        if line.startswith("FROM "):
            current = line.split(" AS ")[-1]
            stages[current] = [line]
        elif current and line.strip() and not line.lstrip().startswith("#"):
            stages[current].append(line)
    return stages


def test_crawler_image_is_slim_non_root_and_chromium_only_in_its_stage():
    stages = _stages()
    assert list(stages) == ["base", "browser"]
    base, browser = "\n".join(stages["base"]), "\n".join(stages["browser"])
    assert base.startswith("FROM python:3.11-slim AS base") and browser.startswith("FROM base AS browser")
    assert "useradd" in base and "--uid 10001" in base and "USER corpus" in base
    assert "chromium" not in base.lower() and "chromium" in browser and browser.rstrip().endswith("USER corpus")
    assert "COPY --chmod=0755 docker/setup.sh /usr/local/bin/corpus-stack-setup" in base
    assert "COPY --chmod=0755 docker/scheduler-health /usr/local/bin/corpus-scheduler-health" in base
    assert "COPY --chmod=0644 docker/chromium-no-sandbox /etc/chromium.d/corpus-no-sandbox" in browser
    assert "CORPUS_CHROMIUM_NO_SANDBOX=1" in browser and "CORPUS_CHROMIUM_NO_SANDBOX" not in base
    assert SERVICES["scheduler"]["build"]["target"] == "base"
    assert SERVICES["scheduler"]["healthcheck"]["test"] == ["CMD", "corpus-scheduler-health"]


def test_the_image_installs_the_locked_versions_then_the_project_without_resolving():
    """What users run is what CI audited: requirements.lock first, then the project with --no-deps."""
    runs = [line.strip() for line in (DOCKER / "Dockerfile").read_text("utf-8").splitlines()
            if "pip install" in line]
    assert runs[0] == "RUN pip install -r requirements.lock", runs
    assert runs[1].startswith("RUN pip install --no-deps ."), runs
    assert len(runs) == 2, runs
    base = "\n".join(_stages()["base"])
    assert base.index("COPY requirements.lock") < base.index("pip install -r requirements.lock") \
        < base.index("COPY corpus") < base.index("pip install --no-deps .") < base.index("pip check")
    # the image's Python is the one the lock was resolved with
    lock_python = re.search(r"with Python (\d+\.\d+)\.", (ROOT / "requirements.lock").read_text("utf-8"))
    assert lock_python and f"FROM python:{lock_python.group(1)}-slim" in base
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "pip install --quiet -r requirements-dev.lock\n" in makefile
    assert "pip install --quiet --no-deps -e .\n" in makefile
    assert (ROOT / "requirements-dev.lock").read_text("utf-8").splitlines()[2] == "-r requirements.lock"


# --- docker/setup.sh, run against stub servers -----------------------------------------------------

def _es_answer(seen: Seen, health: str = "yellow") -> Answer:
    if seen.headers.get("authorization") != ELASTIC_AUTH:
        return Answer(401, {"error": {"type": "security_exception"}, "status": 401})
    if seen.path == "/_cluster/health":
        return Answer(200, {"cluster_name": "stub", "status": health})
    return Answer(200, {"created": True})


def _shim(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{body}", "utf-8")
    path.chmod(0o755)


@pytest.fixture
def shims(tmp_path: Path) -> Path:
    """A `corpus` that records its arguments and the environment `corpus es setup` reads (the real command
    needs a real node: tests/test_elasticsearch.py covers it)."""
    directory = tmp_path / "shims"
    directory.mkdir()
    _shim(directory, "corpus", "import json, os, sys\n"
          "keys = ('ELASTICSEARCH_URL', 'CORPUS_ES_USERNAME', 'CORPUS_ES_PASSWORD')\n"
          "with open(os.environ['SHIM_LOG'], 'a', encoding='utf-8') as f:\n"
          "    f.write(json.dumps({'argv': sys.argv[1:], 'env': {k: os.environ.get(k) for k in keys}}) + '\\n')\n")
    return directory


def _run(args: list[str], env: dict[str, str], path: list[Path], timeout: float = 90,
         strace: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.pathsep.join([*map(str, path), str(VENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": tempfile.gettempdir(), "LANG": "C.UTF-8", **env}
    if strace is not None:
        # every program started, with its whole argv (-xx: as hex, so nothing is lost to escaping)
        args = ["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-s", "100000", "-xx",
                "-o", str(strace), *args]
    return subprocess.run(args, env=full, capture_output=True, text=True, timeout=timeout)


def _setup_env(es_url: str, shim_log: Path) -> dict[str, str]:
    return {"ELASTICSEARCH_URL": es_url, "ELASTIC_PASSWORD": ELASTIC_PASSWORD,
            "KIBANA_SYSTEM_PASSWORD": KIBANA_SYSTEM_PASSWORD, "CORPUS_ES_PASSWORD": CORPUS_ES_PASSWORD,
            "SHIM_LOG": str(shim_log)}


def _argvs(strace_log: Path) -> list[list[bytes]]:
    """The argv of every program started, from an `strace -f -xx` log (once per process: a shell may try
    several directories of PATH with the same argv)."""
    seen: dict[tuple[str, tuple[bytes, ...]], None] = {}
    for line in strace_log.read_text("ascii").splitlines():
        match = re.match(r'(\d+) +execve\("[^"]*", \[(.*?)\]', line)
        if match:
            argv = tuple(bytes.fromhex(s.replace("\\x", "")) for s in re.findall(r'"((?:\\x[0-9a-f]{2})*)"',
                                                                                   match.group(2)))
            seen[(match.group(1), argv)] = None
    return [list(argv) for _, argv in seen]


def _assert_no_secret_in(argvs: list[list[bytes]], secrets: list[str]) -> None:
    for secret in secrets:
        for argv in argvs:
            assert secret.encode() not in b"\0".join(argv), (secret, argv[:3])
            for part in secret.split():  # not even a piece of one
                if len(part) >= 4:
                    assert part.encode() not in b"\0".join(argv), (part, argv[:3])


def test_setup_sends_passwords_intact_in_valid_json(shims: Path, tmp_path: Path):
    shim_log = tmp_path / "corpus.log"
    with StubServer(_es_answer) as es:
        result = _run(["sh", str(SETUP), "elasticsearch"], _setup_env(es.url, shim_log), [shims])
    assert result.returncode == 0, result.stderr
    assert "setup: done" in result.stdout
    assert es.paths() == ["/_cluster/health", "/_security/user/kibana_system/_password",
                          "/_security/role/corpus_writer", "/_security/user/corpus"]
    assert all(r.headers["authorization"] == ELASTIC_AUTH for r in es.requests)
    bodies = {r.path: r for r in es.requests if r.body}
    assert all(r.headers["content-type"] == "application/json" for r in bodies.values())
    assert bodies["/_security/user/kibana_system/_password"].json() == {"password": KIBANA_SYSTEM_PASSWORD}
    assert bodies["/_security/user/corpus"].json() == {
        "password": CORPUS_ES_PASSWORD, "roles": ["corpus_writer"], "full_name": "corpus crawler"}
    assert bodies["/_security/role/corpus_writer"].json()["indices"] == [
        {"names": ["corpus-*"], "privileges": ["all"]}]
    assert bodies["/_security/user/kibana_system/_password"].method == "POST"
    # then `corpus es setup`, as the crawler's user, against the same node
    calls = [json.loads(line) for line in shim_log.read_text("utf-8").splitlines()]
    assert calls == [{"argv": ["es", "setup"], "env": {"ELASTICSEARCH_URL": es.url, "CORPUS_ES_USERNAME": "corpus",
                                                       "CORPUS_ES_PASSWORD": CORPUS_ES_PASSWORD}}]


def test_setup_keeps_every_password_off_every_command_line(shims: Path, tmp_path: Path):
    if not shutil.which("strace"):
        pytest.skip("strace is not installed (apt-get install strace)")
    log = tmp_path / "strace.log"
    with StubServer(_es_answer) as es:
        result = _run(["sh", str(SETUP), "elasticsearch"], _setup_env(es.url, tmp_path / "corpus.log"), [shims],
                      strace=log)
    assert result.returncode == 0, result.stderr
    argvs = _argvs(log)
    programs = [os.path.basename(argv[0]).decode() for argv in argvs if argv]
    # what was watched: the curl calls, the Python that builds the bodies, `corpus es setup`
    assert programs.count("curl") == 4 and programs.count("python3") == 3 and "corpus" in programs, programs
    assert all(b"@/dev/fd/3" in argv for argv in argvs if argv[0].endswith(b"curl"))
    _assert_no_secret_in(argvs, [*PASSWORDS, ELASTIC_AUTH.split()[1]])


def test_setup_gives_up_when_elasticsearch_refuses(shims: Path, tmp_path: Path):
    env = _setup_env("", tmp_path / "corpus.log")
    env["ELASTIC_PASSWORD"] = "wrong"
    env["ES_WAIT_TRIES"] = "2"
    with StubServer(_es_answer) as es:
        env["ELASTICSEARCH_URL"] = es.url
        result = _run(["sh", str(SETUP), "elasticsearch"], env, [shims], timeout=60)
    assert result.returncode == 1
    assert "did not answer in time" in result.stderr and "security_exception" in result.stderr
    assert set(es.paths()) == {"/_cluster/health"}
    assert not (tmp_path / "corpus.log").exists()


def test_setup_needs_a_mode():
    result = _run(["sh", str(SETUP)], {}, [])
    assert result.returncode == 2 and "usage: corpus-stack-setup elasticsearch|kibana" in result.stderr
    assert subprocess.run(["sh", "-n", str(SETUP)]).returncode == 0
    script = SETUP.read_text("utf-8")
    # credentials as a header on descriptor 3, bodies on stdin: nothing secret is an argument
    assert " -u " not in script and " -d " not in script and "-K" not in script


def _kibana(import_answer: Answer, level: str = "degraded") -> StubServer:
    def answer(seen: Seen) -> Answer:
        if seen.headers.get("authorization") != ELASTIC_AUTH:
            return Answer(401, {"statusCode": 401, "message": "stub: wrong credentials"})
        if seen.path == "/api/status":
            return Answer(200, {"status": {"overall": {"level": level, "summary": f"stub is {level}"}}})
        return import_answer

    return StubServer(answer)


def _kibana_env(url: str, wait: float) -> dict[str, str]:
    return {"KIBANA_URL": url, "KIBANA_WAIT": str(wait), "ELASTIC_PASSWORD": ELASTIC_PASSWORD}


@pytest.mark.parametrize("failure", ["http-500", "object-error"])
def test_kibana_setup_fails_loudly_when_kibana_is_degraded_and_the_import_fails(failure: str):
    """The Kibana part against a Kibana that answers `degraded`, then fails the import: a non-zero exit
    (the service's restart policy runs it again) and a message that says what happened."""
    if failure == "http-500":
        broken = Answer(500, {"statusCode": 500, "error": "Internal Server Error", "message": "stub: import broke"})
    else:
        broken = Answer(200, {"success": False, "successCount": 0, "errors": [
            {"id": "corpus-east-asia", "type": "dashboard", "title": "East Asia coverage",
             "error": {"type": "unknown", "message": "stub: broken object"}}]})
    started = time.monotonic()
    with _kibana(broken) as kibana:
        result = _run(["sh", str(SETUP), "kibana"], _kibana_env(kibana.url, 4), [], timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "degraded" in result.stderr  # what the wait saw
    assert "kibana-setup: the import failed (exit 1" in result.stderr
    assert "restarted to try again" in result.stderr and "Crawling does not wait for Kibana" in result.stderr
    imports = [r for r in kibana.requests if r.method == "POST"]
    assert imports and all(r.path.startswith("/api/saved_objects/_import") for r in imports)
    assert all("overwrite=true" not in r.path for r in imports)  # analysts' edits are never replaced
    assert all(r.headers["authorization"] == ELASTIC_AUTH for r in kibana.requests)
    if failure == "http-500":
        assert "HTTP 500" in result.stderr and "stub: import broke" in result.stderr
        assert len(imports) >= 2  # the client retried before it gave up
    else:
        assert "stub: broken object" in result.stdout and "1 failed" in result.stdout


@pytest.mark.parametrize("existing", [False, True])
def test_kibana_setup_imports_without_overwrite_and_keeps_the_password_off_command_lines(tmp_path: Path,
                                                                                        existing: bool):
    """A Kibana that takes the import: the service ends with 0, also when every object exists already
    (kept, not replaced: a restart of the stack never loops on objects that analysts edited)."""
    if existing:
        ok = Answer(200, {"success": False, "successCount": 0, "errors": [
            {"id": "corpus-articles", "type": "index-pattern", "title": "corpus-articles",
             "error": {"type": "conflict"}}]})
    else:
        ok = Answer(200, {"success": True, "successCount": 1, "successResults": [
            {"id": "corpus-articles", "type": "index-pattern", "meta": {"title": "corpus-articles"}}]})
    log = tmp_path / "strace.log"
    use_strace = shutil.which("strace") is not None
    with _kibana(ok, level="available") as kibana:
        result = _run(["sh", str(SETUP), "kibana"], _kibana_env(kibana.url, 20), [],
                      strace=log if use_strace else None)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "kibana-setup: done" in result.stdout
    assert ("0 imported, 1 kept, 0 failed" if existing else "1 imported") in result.stdout
    [imported] = [r for r in kibana.requests if r.method == "POST"]
    assert "overwrite=true" not in imported.path and b"corpus-articles" in imported.body
    if use_strace:
        argvs = _argvs(log)
        [call] = [argv for argv in argvs if argv[:3] == [b"corpus", b"kibana", b"import"]]
        assert call[3:] == [b"--kibana-url", kibana.url.encode(), b"--timeout", b"20"]  # no --overwrite
        _assert_no_secret_in(argvs, [ELASTIC_PASSWORD])


# --- the health checks ----------------------------------------------------------------------------------

def test_the_elasticsearch_health_check_sends_the_password_on_stdin(tmp_path: Path):
    command = SERVICES["elasticsearch"]["healthcheck"]["test"][1].replace("$$", "$")
    assert "http://localhost:9200/_cluster/health" in command and ELASTIC_PASSWORD not in command
    for health, expected in (("yellow", 0), ("green", 0), ("red", 1)):
        with StubServer(partial(_es_answer, health=health)) as es:
            log = tmp_path / f"strace-{health}.log"
            use_strace = shutil.which("strace") is not None
            result = _run(["sh", "-c", command.replace("http://localhost:9200", es.url)],
                          {"ELASTIC_PASSWORD": ELASTIC_PASSWORD}, [], timeout=30,
                          strace=log if use_strace else None)
        assert result.returncode == expected, (health, result.stderr)
        assert [r.headers.get("authorization") for r in es.requests] == [ELASTIC_AUTH]
        if use_strace:
            argvs = _argvs(log)
            assert any(argv[0].endswith(b"curl") for argv in argvs)
            _assert_no_secret_in(argvs, [ELASTIC_PASSWORD, ELASTIC_AUTH.split()[1]])
    with StubServer(_es_answer) as es:  # a wrong password is not healthy
        result = _run(["sh", "-c", command.replace("http://localhost:9200", es.url)], {"ELASTIC_PASSWORD": "x"}, [])
    assert result.returncode == 1


def _health_module() -> types.ModuleType:
    path = DOCKER / "scheduler-health"
    module = types.ModuleType("scheduler_health")
    exec(compile(path.read_text("utf-8"), str(path), "exec"), module.__dict__)
    return module


class _Processes:
    """Processes under a /proc of their own: symlinks to the real /proc/<pid> of the processes started here,
    so that the check reads real kernel data but sees no other scheduler that may run on this machine."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc = root / "proc"
        self.proc.mkdir()
        (root / "tmp").mkdir()
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started.append(process)
        (self.proc / str(process.pid)).symlink_to(f"/proc/{process.pid}")
        return process

    def check(self, stall: float = 1.0) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "CORPUS_HEALTH_PROC": str(self.proc), "TMPDIR": str(self.root / "tmp"),
               "CORPUS_HEALTH_STALL": str(stall)}
        return subprocess.run([sys.executable, str(DOCKER / "scheduler-health")], env=env, capture_output=True,
                              text=True, timeout=30)

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[_Processes]:
    procs = _Processes(tmp_path)
    yield procs
    procs.stop()


def _fake_scheduler(tmp_path: Path, loop: str) -> Path:
    """A program called `corpus` (started as `corpus schedule`, like the real console script) whose main
    thread either wakes up every 50 ms or sleeps in one long call."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "corpus"
    script.write_text(f"#!{sys.executable}\nimport time\n{loop}\n", "utf-8")
    script.chmod(0o755)
    return script


def _wait_for_argv(pid: int, word: bytes, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while word not in Path(f"/proc/{pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the process did not start"
        time.sleep(0.05)


def test_scheduler_health_sees_a_stuck_loop(processes: _Processes, tmp_path: Path):
    assert processes.check().stdout.strip() == "no `corpus schedule` process is running"
    stuck = _fake_scheduler(tmp_path, "time.sleep(120)")
    process = processes.start([str(stuck), "schedule", "--file", "/app/schedules.toml"])
    _wait_for_argv(process.pid, b"schedule")
    time.sleep(0.3)  # past the interpreter's start: from here on its main thread sleeps in one call
    first = processes.check()
    assert first.returncode == 0 and f"pid {process.pid}" in first.stdout, first.stdout
    time.sleep(1.6)  # longer than CORPUS_HEALTH_STALL=1 without one wake-up
    second = processes.check()
    assert second.returncode == 1 and "has not woken up" in second.stdout, second.stdout


def test_scheduler_health_passes_a_loop_that_wakes_up(processes: _Processes, tmp_path: Path):
    alive = _fake_scheduler(tmp_path, "while True:\n    time.sleep(0.05)")
    process = processes.start([str(alive), "schedule"])
    _wait_for_argv(process.pid, b"schedule")
    for _ in range(3):
        result = processes.check()
        assert result.returncode == 0 and f"pid {process.pid}" in result.stdout, result.stdout
        time.sleep(0.7)
    assert "quiet for" not in result.stdout  # the count moved between each two checks
    process.send_signal(signal.SIGSTOP)  # a stopped process is no running scheduler
    deadline = time.monotonic() + 10
    while "T" not in Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert processes.check().returncode == 1
    process.send_signal(signal.SIGCONT)


def test_scheduler_health_ignores_once_and_list(processes: _Processes, tmp_path: Path):
    alive = _fake_scheduler(tmp_path, "while True:\n    time.sleep(0.05)")
    for flag in ("--once", "--list"):
        process = processes.start([str(alive), "schedule", flag])
        _wait_for_argv(process.pid, flag.encode())
    result = processes.check()
    assert result.returncode == 1 and "no `corpus schedule` process" in result.stdout


def test_scheduler_health_finds_the_real_scheduler(processes: _Processes, tmp_path: Path):
    """`corpus schedule` as the console script starts it (a backfill job, so that no crawl starts)."""
    schedule = tmp_path / "schedules.toml"
    schedule.write_text('[jobs.b]\nspider = "cicero"\ncron = "0 3 1 1 *"\nargs = { mode = "backfill" }\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELASTICSEARCH", "CORPUS_"))}
    process = processes.start([str(VENV_BIN / "corpus"), "schedule", "--file", str(schedule),
                               "--data-dir", str(tmp_path / "data")], env=env)
    deadline = time.monotonic() + 60
    while not (tmp_path / "data" / "schedule" / "state.json").exists():  # the loop has run once
        assert process.poll() is None and time.monotonic() < deadline, "corpus schedule did not start"
        time.sleep(0.1)
    result = processes.check(stall=180)
    assert result.returncode == 0 and f"pid {process.pid}" in result.stdout, result.stdout
    assert _health_module().scheduler_pids(processes.proc) == [process.pid]
    process.kill()  # (SIGTERM stops it only when its current sleep of up to 60 s ends)
    process.wait(timeout=30)
    assert processes.check().returncode == 1


# --- Chromium in the browser image --------------------------------------------------------------------

def _flags(env: dict[str, str]) -> str:
    result = subprocess.run(["sh", "-c", '. "$0"; printf %s "$CHROMIUM_FLAGS"', str(DOCKER / "chromium-no-sandbox")],
                            env={"PATH": "/usr/bin:/bin", "CHROMIUM_FLAGS": "--debian-default", **env},
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_image_adds_no_sandbox_only_when_asked():
    assert _flags({"CORPUS_CHROMIUM_NO_SANDBOX": "1"}) == "--debian-default --no-sandbox"
    assert _flags({"CORPUS_CHROMIUM_NO_SANDBOX": "0"}) == "--debian-default"
    assert _flags({}) == "--debian-default"  # Chromium outside the image keeps its sandbox


@pytest.fixture
def page_server() -> Iterator[str]:
    """A page whose text only a script writes: proof that Chromium started and rendered it."""
    root = Path(tempfile.mkdtemp(prefix="corpus-page-"))
    (root / "index.html").write_text(
        '<html><body><p id="out">not rendered</p>'
        '<script>document.getElementById("out").textContent = "rendered " + (6 * 7);</script></body></html>')
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()
    shutil.rmtree(root)


def _chromium_in_a_container(url: str, work: Path, no_sandbox: str, seccomp: bool) -> subprocess.CompletedProcess[str]:
    """Debian's /usr/bin/chromium as uid 10001 (the image's user, no capabilities), with the image's
    /etc/chromium.d (Debian's files and docker/chromium-no-sandbox, bind-mounted in a mount namespace of
    its own: the machine's /etc is not touched), under Docker's default seccomp profile when ``seccomp``."""
    home = work / f"home-{no_sandbox}-{seccomp}"
    home.mkdir()
    os.chown(home, 10001, 10001)
    chromium = ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "--inh-caps=-all",
                "env", f"HOME={home}", f"CORPUS_CHROMIUM_NO_SANDBOX={no_sandbox}", "/usr/bin/chromium",
                "--headless", "--disable-gpu", f"--user-data-dir={home}/profile", "--dump-dom", url]
    if seccomp:
        chromium = [sys.executable, str(TESTS / "stack_seccomp.py"), *chromium]
    mount = 'mount --bind "$0" /etc/chromium.d && exec "$@"'
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount,
                           str(work / "chromium.d"), *chromium],
                          capture_output=True, text=True, timeout=90)


def test_chromium_starts_in_the_browser_image_under_dockers_default_seccomp_profile(page_server: str):
    """Chromium as the image's non-root user under Docker's default seccomp profile: without the image's
    flag it refuses to start (no user namespaces for its sandbox), with it it starts headless and renders."""
    if os.geteuid() != 0:
        pytest.skip("needs root: a mount namespace for the image's /etc/chromium.d, setpriv to uid 10001, seccomp")
    if not (Path("/usr/bin/chromium").exists() and Path("/etc/chromium.d").is_dir()):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    for tool in ("unshare", "setpriv"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool} (util-linux)")
    try:
        import ctypes.util

        if not ctypes.util.find_library("seccomp"):
            pytest.skip("needs libseccomp2")
    except OSError:
        pytest.skip("needs libseccomp2")
    work = Path(tempfile.mkdtemp(prefix="corpus-chromium-"))
    try:
        work.chmod(0o755)
        shutil.copytree("/etc/chromium.d", work / "chromium.d")
        shutil.copy(DOCKER / "chromium-no-sandbox", work / "chromium.d" / "corpus-no-sandbox")
        for path in [work / "chromium.d", *(work / "chromium.d").iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        # in the image: the flag is set, Chromium starts and runs the page's script
        image = _chromium_in_a_container(page_server, work, "1", seccomp=True)
        assert "rendered 42" in image.stdout, image.stderr[-2000:]
        # the same without the flag: the profile leaves the sandbox no user namespaces
        bare = _chromium_in_a_container(page_server, work, "0", seccomp=False)
        confined = _chromium_in_a_container(page_server, work, "0", seccomp=True)
        assert "rendered 42" not in confined.stdout and confined.returncode != 0
        assert "No usable sandbox" in confined.stderr, confined.stderr[-2000:]
        # outside Docker's profile the sandbox works as this user (where the kernel allows user namespaces)
        userns = [Path("/proc/sys/user/max_user_namespaces"), Path("/proc/sys/kernel/unprivileged_userns_clone")]
        if all(not path.exists() or path.read_text().strip() != "0" for path in userns):
            assert "rendered 42" in bare.stdout, bare.stderr[-2000:]
    finally:
        shutil.rmtree(work, ignore_errors=True)
