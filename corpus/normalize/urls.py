"""Canonical URLs and the ids derived from them.

Two links to the same article often differ only in tracking noise
(``?utm_source=...``, ``#comments``, ``?amp``); the canonical form drops that
noise so duplicates collapse and the document id (a hash of the canonical URL)
stays stable across crawls.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that never change what page is shown.
_TRACKING_PREFIXES = ("utm_", "wt_", "at_", "pk_", "mtm_")
_TRACKING_PARAMS = frozenset(
    {"amp", "fbclid", "gclid", "dclid", "msclkid", "igshid", "mc_cid", "mc_eid", "ref",
     "ref_src", "cmpid", "wt_mc", "xtor", "outputtype", "ns_mchannel", "ns_source",
     "ns_campaign", "ns_linkname", "ns_fee", "share", "src", "reduced"}
)


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%!$&'()*+,;=:@-._~"  # RFC 3986 pchar and "/"; "%" keeps the escapes already there


def normal_path(path: str) -> str:
    """A path in one form (RFC 3986): non-ASCII characters as UTF-8 escapes, escapes in upper case,
    escaped unreserved characters (letters, digits, ``-._~``) decoded. ``/putin-ära``,
    ``/putin-%c3%a4ra`` and ``/putin-%C3%A4ra`` all become ``/putin-%C3%A4ra``."""
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE.sub(one, path), safe=_PATH_SAFE)


def readable_path(url: str) -> str:
    """The path of a URL as people read it: escapes decoded (``/putin-ära``), for URL patterns."""
    return unquote(urlsplit(url).path)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an article URL.

    Args:
        url: an absolute http(s) URL.

    Returns:
        The URL with scheme and host lower-cased, ``http`` upgraded to
        ``https``, default ports, fragment and tracking parameters (``utm_*``,
        ``fbclid``, ``?amp`` ...) removed, remaining parameters sorted, the
        path in one percent-encoding (:func:`normal_path`), and trailing
        slashes dropped from non-root paths.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = normal_path(parts.path) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def url_id(canonical_url: str) -> str:
    """Stable document id for a canonical URL (hex SHA-1)."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()


def content_hash(*parts: str | None) -> str:
    """Hash of the given text parts, to notice when an article's content changed.

    Never raises on text that is not valid Unicode (a lone surrogate from a page's JSON):
    such code points are hashed as they are.
    """
    digest = hashlib.sha1()
    for part in parts:
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


MAX_ID_BYTES = 200  # Elasticsearch refuses ids over 512 bytes (and the whole bulk request with them)


def bounded_id(value: str) -> str:
    """An item id of at most :data:`MAX_ID_BYTES` UTF-8 bytes.

    Short ids are kept as they are; a longer one (an outlet's comment id can be anything a page
    says) becomes its prefix up to the first ``-`` (the outlet) and ``h`` + the SHA-1 of the
    whole id: ``cicero-h3f1c…``. The same long id always gives the same short one, so the
    indexer can bound ids of old files the same way and they still match new crawls.
    """
    raw = value.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_ID_BYTES:
        return value
    prefix = value.split("-", 1)[0] if "-" in value[:64] else "id"
    return f"{prefix}-h{hashlib.sha1(raw).hexdigest()}"
