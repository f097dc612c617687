"""The resolver's aiohttp application: the link on a product, the stored credentials, the
issuer's DID document and the status lists, all read from a :class:`CredentialStore`.

Routes (GET, and HEAD wherever GET works):

- ``/01/{gtin}/10/{lot}``, ``/01/{gtin}/21/{serial}``: 307 to the latest passport; with
  ``?linkType=linkset`` (``all``) or ``Accept: application/linkset+json`` the RFC 9264
  linkset; ``?linkType=untp:dpp|untp:dte|untp:dfr`` a 307 to the first link of that type.
- ``/credentials/{sha256}``: the stored bytes with their media type, immutable.
- ``/status/{name}``: a status list credential; ``/.well-known/did.json``: the DID document.
- ``/problems/{name}``: what each problem ``type`` means.

Every error is ``application/problem+json``; every answer allows any origin (CORS), as
public resolvers do. Store reads are blocking (files, S3), so they
run in worker threads and the event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from sink.resolver import _lookup
from sink.resolver._ids import MalformedIdError, ProductIdError, from_path
from sink.resolver._linkset import (
    DEFAULT_LINK,
    LINKSET_JSON,
    UnknownLinkTypeError,
    compact,
    first,
    link_header,
    linkset,
    select,
)
from sink.resolver._problems import KINDS, PROBLEM_JSON, problem
from sink.storage import CredentialStore, StorageError

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_STATUS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # pointers, status lists and keys change: always ask again

_STORE = web.AppKey("store", CredentialStore)
_BASE = web.AppKey("base_url", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_resolver(store: CredentialStore, *, base_url: str) -> web.Application:
    """The resolver answering for ``store`` at ``base_url`` (the public base every link,
    credential URL and problem type is built on)."""
    app = web.Application(middlewares=[_errors_as_problems])
    app.on_response_prepare.append(_cors)
    app[_STORE] = store
    app[_BASE] = base_url.rstrip("/")
    app.router.add_get("/01/{rest:.+}", _resolve)
    app.router.add_get("/credentials/{sha256}", _credential)
    app.router.add_get("/status/{name}", _status_list)
    app.router.add_get("/.well-known/did.json", _did_document)
    app.router.add_get("/problems/{name}", _problem_type)
    return app


async def _cors(_: web.Request, response: web.StreamResponse) -> None:
    # everything here is public; a web page scanning the code reads links across origins
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Link, Location, ETag"


def _problem(request: web.Request, name: str, detail: str, **headers: str) -> web.Response:
    body = problem(request.app[_BASE], name, detail)
    body["instance"] = str(request.rel_url)
    return web.Response(
        status=body["status"],
        body=json.dumps(body).encode(),
        headers={"Content-Type": PROBLEM_JSON, **headers},
    )


@web.middleware
async def _errors_as_problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own 404 and 405, and a failing store, become problem+json like every other
    error here (storage errors name keys and reasons, never secrets)."""
    try:
        return await handler(request)
    except StorageError as exc:
        log.error("credential store failed answering %s: %s", request.path, exc)
        return _problem(request, "storage-error", str(exc))
    except web.HTTPMethodNotAllowed as exc:
        detail = f"{request.method} is not served at {request.path}"
        return _problem(request, "method-not-allowed", detail, Allow=", ".join(exc.allowed_methods))
    except web.HTTPNotFound:
        return _problem(request, "not-found", f"nothing is served at {request.path}")


async def _resolve(request: web.Request) -> web.StreamResponse:
    base = request.app[_BASE]
    try:
        ref = from_path(request.rel_url.raw_path)
    except MalformedIdError as exc:
        return _problem(request, "malformed-identifier", str(exc))
    except ProductIdError as exc:
        return _problem(request, "unknown-product", str(exc))
    try:
        selection = select(request.query.get("linkType"), request.headers.get("Accept"))
    except UnknownLinkTypeError as exc:
        return _problem(request, "unknown-link-type", str(exc))
    links = await asyncio.to_thread(_lookup.product_links, request.app[_STORE], base, ref)
    if not links:
        return _problem(request, "unknown-product", f"no passport of {ref.product_id}")
    anchor = ref.link(base)
    headers = {"Link": link_header(anchor), "Vary": "Accept", "Cache-Control": REVALIDATE}
    if selection.kind == "linkset":
        document = linkset(anchor, links, description=f"credentials of {ref.product_id}")
        body = json.dumps(document).encode()
        return web.Response(body=body, headers={"Content-Type": LINKSET_JSON, **headers})
    wanted = selection.link_type or DEFAULT_LINK  # a "one" selection names its link type
    target = first(links, wanted)
    if target is None:
        detail = f"{ref.product_id} has no {compact(wanted)} link"
        return _problem(request, "no-link-of-type", detail, Link=headers["Link"])
    headers["Location"] = target.href
    return web.Response(status=307, headers=headers)


def _etag_matches(request: web.Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names this (strong) entity tag; weak comparison, as
    RFC 9110 §13.1.2 asks for If-None-Match."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _bytes_response(
    request: web.Request, found: _lookup.Resource, cache: str, etag_hex: str | None = None
) -> web.Response:
    etag = f'"{etag_hex or hashlib.sha256(found.data).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if _etag_matches(request, etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.data, headers={"Content-Type": found.media_type, **headers})


async def _credential(request: web.Request) -> web.StreamResponse:
    digest = request.match_info["sha256"]
    if not _SHA256.fullmatch(digest):
        detail = f"{digest!r} is no SHA-256 digest (64 lowercase hexadecimal digits)"
        return _problem(request, "unknown-credential", detail)
    # the store checks the bytes against their digest: a damaged object is never served
    found = await asyncio.to_thread(_lookup.credential, request.app[_STORE], digest)
    if found is None:
        return _problem(request, "unknown-credential", f"no credential {digest}")
    return _bytes_response(request, found, IMMUTABLE, digest)


async def _status_list(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    found = None
    if _STATUS_NAME.fullmatch(name):
        found = await asyncio.to_thread(_lookup.status_list, request.app[_STORE], name)
    if found is None:
        return _problem(request, "unknown-status-list", f"no status list {name!r}")
    return _bytes_response(request, found, REVALIDATE)


async def _did_document(request: web.Request) -> web.StreamResponse:
    found = await asyncio.to_thread(_lookup.did_document, request.app[_STORE])
    if found is None:
        return _problem(request, "no-did-document", "the issuer has published no DID document")
    return _bytes_response(request, found, REVALIDATE)


async def _problem_type(request: web.Request) -> web.StreamResponse:
    kind = KINDS.get(request.match_info["name"])
    if kind is None:
        raise web.HTTPNotFound()
    text = f"{kind.title} (HTTP {kind.status})\n\n{kind.explanation}\n"
    return web.Response(text=text, content_type="text/plain")
