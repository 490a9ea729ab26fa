"""The docker compose stack, checked as files (no container engine runs here).

Validated: the services and their order (health checks, depends_on conditions),
the image versions, secrets coming only from docker/.env (every variable the
compose file and the setup script use is in .env.example, with a comment, and
nothing else is), the crawler image (slim base, non-root, Chromium only in the
browser stage), and the setup script's syntax and commands.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
DOCKER = ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yml").read_text("utf-8"))
SERVICES = COMPOSE["services"]


def _env_example() -> dict[str, str]:
    values = {}
    lines = (DOCKER / ".env.example").read_text("utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert lines[number - 1].startswith("#"), f"{key} has no comment above it"
            values[key] = value
    return values


def test_services_and_their_order():
    assert set(SERVICES) == {"elasticsearch", "kibana", "setup", "scheduler", "crawler"}
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
    assert SERVICES["setup"]["depends_on"] == {"elasticsearch": {"condition": "service_healthy"}}
    assert SERVICES["setup"]["command"] == ["corpus-stack-setup"] and SERVICES["setup"]["restart"] == "no"
    for name in ("scheduler", "crawler"):
        assert SERVICES[name]["depends_on"] == {"elasticsearch": {"condition": "service_healthy"},
                                                 "setup": {"condition": "service_completed_successfully"}}
        assert SERVICES[name]["image"] == "corpus-crawler:latest"
        assert SERVICES[name]["volumes"] == ["crawldata:/app/data"]
    assert "corpus schedule" in " ".join(SERVICES["scheduler"]["command"])
    assert SERVICES["scheduler"]["restart"] == "unless-stopped"
    assert SERVICES["crawler"]["profiles"] == ["tools"]  # only for `docker compose run --rm crawler ...`


def test_every_variable_comes_from_the_env_file_and_is_documented():
    used = set(re.findall(r"\$\{([A-Za-z_]\w*)", (DOCKER / "compose.yml").read_text("utf-8")))
    used |= set(re.findall(r"\$\{([A-Za-z_]\w*)", (DOCKER / "setup.sh").read_text("utf-8")))
    # set inside the containers by compose itself, not by the user
    internal = {"ELASTICSEARCH_URL", "KIBANA_URL", "KIBANA_WAIT"}
    example = _env_example()
    assert used - internal <= set(example), used - internal - set(example)
    assert set(example) <= used, set(example) - used
    for key, value in example.items():
        if "PASSWORD" in key:
            assert value.startswith("change-me"), key  # placeholders only, never a real secret
    ignored = subprocess.run(["git", "check-ignore", "docker/.env"], cwd=ROOT, capture_output=True, text=True)
    assert ignored.returncode == 0  # the real .env never goes into the repository
    assert not (DOCKER / ".env").exists() or ignored.returncode == 0


def test_crawler_image_is_slim_non_root_and_chromium_only_in_its_stage():
    stages: dict[str, list[str]] = {}
    current = ""
    for line in (DOCKER / "Dockerfile").read_text("utf-8").splitlines():
        if line.startswith("FROM "):
            current = line.split(" AS ")[-1]
            stages[current] = [line]
        elif current and line.strip() and not line.lstrip().startswith("#"):
            stages[current].append(line)
    assert list(stages) == ["base", "browser"]
    base, browser = "\n".join(stages["base"]), "\n".join(stages["browser"])
    assert base.startswith("FROM python:3.11-slim AS base") and browser.startswith("FROM base AS browser")
    assert "useradd" in base and stages["base"][-1] != "USER root" and "USER corpus" in base
    assert "chromium" not in base.lower() and "chromium" in browser and browser.rstrip().endswith("USER corpus")
    assert "docker/setup.sh /usr/local/bin/corpus-stack-setup" in base
    assert SERVICES["scheduler"]["build"]["target"] == "base"


def test_setup_script_is_valid_and_keeps_passwords_off_command_lines():
    script = (DOCKER / "setup.sh").read_text("utf-8")
    assert subprocess.run(["sh", "-n", str(DOCKER / "setup.sh")]).returncode == 0
    assert "corpus es setup" in script and "corpus kibana import" in script
    assert "/_security/user/kibana_system/_password" in script
    # credentials reach curl through its config on stdin (-K -), not as arguments
    assert "-K -" in script and " -u " not in script


def test_the_image_installs_the_locked_versions_then_the_project_without_resolving():
    """What users run is what CI audited: requirements.lock first, then the project with --no-deps."""
    runs = [line.strip() for line in (DOCKER / "Dockerfile").read_text("utf-8").splitlines()
            if "pip install" in line]
    assert runs[0] == "RUN pip install -r requirements.lock", runs
    assert runs[1].startswith("RUN pip install --no-deps ."), runs
    assert len(runs) == 2, runs
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "pip install --quiet -r requirements-dev.lock\n" in makefile
    assert "pip install --quiet --no-deps -e .\n" in makefile
    assert (ROOT / "requirements-dev.lock").read_text("utf-8").splitlines()[2] == "-r requirements.lock"
