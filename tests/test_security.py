"""Secrets stay secret; TLS verification is on unless turned off explicitly (and then it says so)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from corpus.search.config import EsConfig
from tests.mockserver import FixtureServer

ROOT = Path(__file__).parents[1]
SECRETS = {"url": "Pw-In-Url-7731", "password": "Pw-Setting-5519", "cmdline": "Pw-Cmdline-2207",
           "kibana": "Kb-Secret-9043"}


class Refusing:
    """Answers every request like an Elasticsearch node with security on and wrong credentials: 401."""

    def __init__(self) -> None:
        self.auth_headers: list[str] = []
        seen = self.auth_headers

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(self.headers.get("Authorization", ""))
                body = json.dumps({"error": {"type": "security_exception", "reason": "unable to authenticate user"},
                                   "status": 401}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-elastic-product", "Elasticsearch")
                self.send_header("WWW-Authenticate", 'Basic realm="security"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_no_secret_reaches_logs_records_or_output(tmp_path):
    es = Refusing()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELASTICSEARCH", "CORPUS_ES", "KIBANA"))}
    env.update(
        ELASTICSEARCH_URL=f"http://elastic:{SECRETS['url']}@127.0.0.1:{es.port}",
        CORPUS_ES_PASSWORD=SECRETS["password"], CORPUS_ES_USERNAME="elastic", KIBANA_PASSWORD=SECRETS["kibana"],
        CORPUS_OUTPUT_DIR=str(tmp_path / "data"), CORPUS_STATE_FILE=str(tmp_path / "state.sqlite"),
        CORPUS_ES_DEADLETTER_DIR=str(tmp_path / "deadletter"), CORPUS_ES_MAX_RETRIES="1",
    )
    with FixtureServer("cicero", "https://www.cicero.de") as site:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={site.base_url}",
             "-s", f"CORPUS_ES_PASSWORD={SECRETS['cmdline']}", "-s", "LOG_LEVEL=DEBUG",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-O", str(tmp_path / "out.jsonl")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert es.auth_headers  # the node was asked, with credentials ...
    # ... and refused them: indexing stops at once, naming what to fix; the items are kept locally
    assert "CORPUS_ES_API_KEY" in result.stderr or "CORPUS_ES_USERNAME" in result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 14
    everything = result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".jsonl", ".json", ".log"):
            everything += path.read_text("utf-8", errors="replace")
    assert "crawls.jsonl" in " ".join(str(p) for p in tmp_path.rglob("*"))  # the record was written locally
    for name, secret in SECRETS.items():
        assert secret not in everything, f"the {name} secret leaked"


def test_credentials_in_the_url_are_moved_out_of_it():
    config = EsConfig.from_env({"ELASTICSEARCH_URL": "https://elastic:p%40ss@es.example:9243"})
    assert config.hosts == ["https://es.example:9243"] and (config.username, config.password) == ("elastic", "p@ss")
    assert "p@ss" not in config.describe()
    explicit = EsConfig.from_env({"ELASTICSEARCH_URL": "https://a:b@es.example", "CORPUS_ES_USERNAME": "corpus",
                                  "CORPUS_ES_PASSWORD": "c"})
    assert (explicit.username, explicit.password) == ("corpus", "c")


def test_tls_verification_is_on_by_default_and_turning_it_off_warns(caplog):
    assert EsConfig.from_env({"ELASTICSEARCH_URL": "https://es.example"}).client_kwargs()["verify_certs"] is True
    ca = EsConfig.from_env({"ELASTICSEARCH_URL": "https://es.example", "CORPUS_ES_CA_CERTS": "/etc/es/ca.crt"})
    assert ca.client_kwargs()["ca_certs"] == "/etc/es/ca.crt"
    import corpus.search.config as config_module

    config_module._warned_unverified = False
    with caplog.at_level(logging.WARNING):
        off = EsConfig.from_env({"ELASTICSEARCH_URL": "https://es.example", "CORPUS_ES_VERIFY_CERTS": "False"})
        assert off.client_kwargs()["verify_certs"] is False
    assert "TLS certificate verification for Elasticsearch is off (CORPUS_ES_VERIFY_CERTS=False)" in caplog.text
