"""Fetching what verification needs over HTTP: did:web documents and status lists.

did:web prescribes https; the project's own resolver listens on plain http on loopback, so
hosts named as http (this resolver, the host a credential was fetched from over http) and
loopback hosts are asked over http.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from sink.jose._did import did_host, did_web_url

MAX_BODY = 64 * 1024 * 1024
ACCEPT = "application/vc+jwt, application/did+json, application/json;q=0.9, */*;q=0.1"


class FetchError(Exception):
    """A URL that could not be read; the message names it and says why."""


def http_get(url: str, timeout: float = 10.0) -> bytes:
    """The body of ``GET url`` (http or https only), at most 64 MiB."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched")
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            body: bytes = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"GET {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"GET {url}: {reason}") from None
    if len(body) > MAX_BODY:
        raise FetchError(f"GET {url}: the body exceeds {MAX_BODY} bytes")
    return body


def fetch_text(url: str) -> str:
    """A status list credential (or any credential) as text: a JWS or envelope JSON."""
    try:
        return http_get(url).decode("utf-8")
    except UnicodeDecodeError:
        raise FetchError(f"GET {url}: the body is not UTF-8 text") from None


def is_loopback(host: str) -> bool:
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def http_hosts(urls: Iterable[str]) -> frozenset[str]:
    """The ``host[:port]`` of every plain-http URL among ``urls``."""
    return frozenset(p.netloc for p in map(urlsplit, urls) if p.scheme == "http" and p.netloc)


@dataclass(frozen=True)
class DidWebResolver:
    """Resolve a did:web: a document given offline, else GET its ``did.json``."""

    plain_http: frozenset[str] = frozenset()
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def url_for(self, did: str) -> str:
        host = did_host(did)
        plain = host in self.plain_http or is_loopback(host)
        scheme: Literal["http", "https"] = "http" if plain else "https"
        return did_web_url(did, scheme=scheme)

    def __call__(self, did: str) -> Mapping[str, Any]:
        if did in self.documents:
            return self.documents[did]
        url = self.url_for(did)
        try:
            document = json.loads(http_get(url))
        except json.JSONDecodeError as exc:
            raise FetchError(f"GET {url}: not JSON ({exc})") from None
        if not isinstance(document, dict):
            raise FetchError(f"GET {url}: not a JSON object")
        return document
