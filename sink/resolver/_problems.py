"""The resolver's error answers: RFC 9457 problem details (``application/problem+json``).

Each kind of problem has a stable name; its ``type`` is ``<base>/problems/<name>``, a URL
the resolver itself serves with a plain-text explanation, so a client can tell an unknown
product from an unknown link type without reading the prose in ``detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    status: int
    title: str
    explanation: str


KINDS: dict[str, Kind] = {
    "malformed-identifier": Kind(
        400,
        "Malformed GS1 identifier",
        "The path holds a GS1 key that is invalid in itself: a wrong check digit, a GTIN "
        "that is not 8, 12, 13 or 14 digits, or a lot or serial with characters outside "
        "the GS1 character set.",
    ),
    "unknown-product": Kind(
        404,
        "Unknown product",
        "No passport has been published for this lot or item (or the path names no lot or "
        "serialised item of a GTIN).",
    ),
    "unknown-link-type": Kind(
        404,
        "Unknown link type",
        "The linkType query parameter names a link type this resolver does not serve. "
        "Served: linkset, all, gs1:defaultLink, untp:dpp, untp:dte, untp:dfr.",
    ),
    "no-link-of-type": Kind(
        404,
        "No link of this type",
        "The product is known but has no link of the requested type yet (for instance no "
        "traceability event or facility record has been published for it).",
    ),
    "unknown-credential": Kind(
        404,
        "Unknown credential",
        "No credential with this SHA-256 digest is stored here.",
    ),
    "unknown-status-list": Kind(
        404,
        "Unknown status list",
        "No status list credential of this name is published here.",
    ),
    "no-did-document": Kind(
        404,
        "No DID document",
        "The issuer's did:web document has not been published yet.",
    ),
    "not-found": Kind(404, "Not found", "Nothing is served at this path."),
    "method-not-allowed": Kind(
        405, "Method not allowed", "The resolver answers GET and HEAD only."
    ),
    "storage-error": Kind(
        500,
        "Credential store failure",
        "Reading the credential store failed, or what it holds is damaged (for instance "
        "bytes that do not hash to their content address, which are never served).",
    ),
}


def problem_type(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/problems/{name}"


def problem(base_url: str, name: str, detail: str) -> dict[str, Any]:
    """The problem object of kind ``name`` (one of :data:`KINDS`) with this ``detail``."""
    kind = KINDS[name]
    return {
        "type": problem_type(base_url, name),
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
    }
