"""Elasticsearch connection and indexing settings, read in one place.

:class:`EsConfig` comes from Scrapy settings (``from_settings``) or from the
environment (``from_env``, for the ``corpus`` commands); both understand the
same names. Elasticsearch is switched on by giving it an address:
``ELASTICSEARCH_URL`` (or ``CORPUS_ES_HOSTS``, comma-separated).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from corpus.config import default, read
from corpus.paths import data_dir

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def _without_credentials(hosts: list[str]) -> tuple[list[str], str | None, str | None]:
    """Hosts without ``user:password@`` (credentials in a URL end up in logs); the first credentials found."""
    clean, username, password = [], None, None
    for host in hosts:
        parts = urlsplit(host)
        if parts.username is not None:
            username = username or unquote(parts.username)
            password = password or (unquote(parts.password) if parts.password is not None else None)
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            host = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        clean.append(host)
    return clean, username, password


_warned_unverified = False


def _warn_unverified() -> None:
    global _warned_unverified
    if not _warned_unverified:
        _warned_unverified = True
        logger.warning("TLS certificate verification for Elasticsearch is off (CORPUS_ES_VERIFY_CERTS=False): "
                       "use CORPUS_ES_CA_CERTS instead for a self-signed node")


def quiet_transport_log(log_calls: bool = False) -> None:
    """The client logs every HTTP call at INFO; the indexer logs one line per bulk request instead.

    With ``log_calls`` (the crawl's ``LOG_LEVEL`` is DEBUG) the calls are logged as the client does.
    """
    logging.getLogger("elastic_transport.transport").setLevel(logging.NOTSET if log_calls else logging.WARNING)


def _split(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


@dataclass
class EsConfig:
    """How to reach Elasticsearch and how to index into it."""

    hosts: list[str] = field(default_factory=list)
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    # defaults: written once, in corpus/settings.py (with their meaning)
    verify_certs: bool = bool(default("CORPUS_ES_VERIFY_CERTS"))
    request_timeout: float = float(default("CORPUS_ES_TIMEOUT"))
    prefix: str = str(default("CORPUS_ES_PREFIX"))
    chunk_size: int = int(default("CORPUS_ES_CHUNK_SIZE"))
    chunk_bytes: int = int(default("CORPUS_ES_CHUNK_BYTES"))
    flush_interval: float = float(default("CORPUS_ES_FLUSH_INTERVAL"))
    max_retries: int = int(default("CORPUS_ES_MAX_RETRIES"))
    retry_backoff: float = float(default("CORPUS_ES_RETRY_BACKOFF"))
    max_backoff: float = float(default("CORPUS_ES_MAX_BACKOFF"))
    outage_pause: float = float(default("CORPUS_ES_OUTAGE_PAUSE"))
    deadletter_dir: str = ""  # "" = <data directory>/deadletter (corpus/paths.py)
    log_calls: bool = False  # log every HTTP call of the client (LOG_LEVEL=DEBUG)

    @property
    def enabled(self) -> bool:
        return bool(self.hosts)

    def alias(self, kind: str) -> str:
        """Alias name for ``articles``, ``comments`` or ``crawls``: ``corpus-articles``."""
        return f"{self.prefix}-{kind}"

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> EsConfig:
        hosts, username, password = _without_credentials(_split(settings.get("CORPUS_ES_HOSTS")))
        return cls(
            hosts=hosts,
            api_key=read(settings, "CORPUS_ES_API_KEY", str) or None,
            username=read(settings, "CORPUS_ES_USERNAME", str) or username,
            password=read(settings, "CORPUS_ES_PASSWORD", str) or password,
            ca_certs=read(settings, "CORPUS_ES_CA_CERTS", str) or None,
            verify_certs=read(settings, "CORPUS_ES_VERIFY_CERTS", bool),
            request_timeout=read(settings, "CORPUS_ES_TIMEOUT", float),
            prefix=read(settings, "CORPUS_ES_PREFIX", str),
            chunk_size=read(settings, "CORPUS_ES_CHUNK_SIZE", int),
            chunk_bytes=read(settings, "CORPUS_ES_CHUNK_BYTES", int),
            flush_interval=read(settings, "CORPUS_ES_FLUSH_INTERVAL", float),
            max_retries=read(settings, "CORPUS_ES_MAX_RETRIES", int),
            retry_backoff=read(settings, "CORPUS_ES_RETRY_BACKOFF", float),
            max_backoff=read(settings, "CORPUS_ES_MAX_BACKOFF", float),
            outage_pause=read(settings, "CORPUS_ES_OUTAGE_PAUSE", float),
            deadletter_dir=read(settings, "CORPUS_ES_DEADLETTER_DIR", str)
            or str(data_dir(read(settings, "CORPUS_OUTPUT_DIR", str)) / "deadletter"),
            log_calls=str(settings.get("LOG_LEVEL") or "INFO").upper() == "DEBUG",
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> EsConfig:
        """The same settings from environment variables (used outside a crawl)."""
        from scrapy.settings import Settings

        from corpus import settings as project_settings

        env = os.environ if environ is None else environ
        values = {k: getattr(project_settings, k) for k in dir(project_settings) if k.startswith("CORPUS_ES_")}
        settings = Settings(values)
        for key in values:
            if key in env:
                settings.set(key, env[key])
        if env.get("ELASTICSEARCH_URL") and not env.get("CORPUS_ES_HOSTS"):
            settings.set("CORPUS_ES_HOSTS", env["ELASTICSEARCH_URL"])
        config = cls.from_settings(settings)
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Elasticsearch``/``AsyncElasticsearch``."""
        quiet_transport_log(self.log_calls)
        if not self.verify_certs:
            _warn_unverified()
        kwargs: dict[str, Any] = {
            "hosts": self.hosts,
            "request_timeout": self.request_timeout,
            "verify_certs": self.verify_certs,
            # retries of whole requests are ours (with back-off and a dead-letter file)
            "max_retries": 0,
            "retry_on_timeout": False,
        }
        if self.ca_certs:
            kwargs["ca_certs"] = self.ca_certs
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.username:
            kwargs["basic_auth"] = (self.username, self.password or "")
        return kwargs

    def describe(self) -> str:
        """Where we index, without secrets."""
        auth = "api key" if self.api_key else (f"user {self.username}" if self.username else "no auth")
        return f"{', '.join(self.hosts) or '(none)'} ({auth}, aliases {self.alias('*')})"
