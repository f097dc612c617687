"""What every UNTP credential builder shares: issuer and party, the VC envelope, URI and DID
checks, timestamps, readable names of GS1 identifiers, number formatting."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from sink.untp._contexts import CREDENTIAL_TYPES, Kind, contexts

# RFC 3986: scheme ":" then only URI characters (unreserved, reserved, percent escapes)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# W3C DID Core: did:<method>:<method-specific-id>, idchar = ALPHA DIGIT . - _ pct-encoded
_IDCHAR = r"(?:[A-Za-z0-9._\-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_IDCHAR}|:)*{_IDCHAR}")

GS1_HOST = "https://id.gs1.org/"
#: GS1 application identifiers of the keys and qualifiers a readable name mentions
_AI_NAMES = {
    "00": "SSCC",
    "01": "GTIN",
    "10": "lot",
    "21": "serial",
    "235": "TPX",
    "254": "extension",
    "414": "GLN",
    "417": "party GLN",
    "8003": "GRAI",
    "8004": "GIAI",
    "8006": "ITIP",
    "8010": "CPID",
    "8011": "serial",
    "8017": "GSRN-P",
    "8018": "GSRN",
    "253": "GDTI",
    "255": "GCN",
    "401": "GINC",
    "402": "GSIN",
}


def is_uri(value: Any) -> bool:
    """An absolute URI (RFC 3986): a scheme, URI characters only, valid percent escapes, at
    most one fragment; http(s) URIs need a host."""
    if not isinstance(value, str) or not _URI.fullmatch(value):
        return False
    if _PERCENT.search(value) or value.count("#") > 1:
        return False
    if value[:5].lower() in ("http:", "https"):
        try:
            return bool(urlsplit(value).hostname)
        except ValueError:  # a malformed IPv6 literal
            return False
    return True


def is_did(value: Any) -> bool:
    return isinstance(value, str) and _DID.fullmatch(value) is not None


@dataclass(frozen=True)
class Issuer:
    """The issuer of a credential: a W3C DID (did:web for oretrail) and a display name."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not is_did(self.id):
            raise ValueError(f"an issuer id must be a W3C DID (did:web:...), got {self.id!r}")
        if not self.name.strip():
            raise ValueError("an issuer needs a name")

    def json(self) -> dict[str, Any]:
        return {"type": ["CredentialIssuer"], "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Party:
    """An organisation named in a credential (producer, operator), by URI and name."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not is_uri(self.id):
            raise ValueError(f"a party id must be a URI, got {self.id!r}")
        if not self.name.strip():
            raise ValueError(f"party {self.id} needs a name")

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


def timestamp(moment: datetime, *, fraction: bool = False) -> str:
    """RFC 3339 in UTC with ``Z``; sub-second digits only when asked for and present."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a credential time needs a time zone, got naive {moment.isoformat()}")
    moment = moment.astimezone(UTC)
    return wall_clock(moment, fraction=fraction) + "Z"


def wall_clock(moment: datetime, *, fraction: bool = True) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.f]`` of the moment's own clock (strftime drops the leading
    zeros of years before 1000 on some platforms)."""
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if fraction and moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text


def number(value: float) -> float:
    """12 significant digits: the last bits of float noise (0.30000000000000004) would
    otherwise show in every share; -0.0 becomes 0.0."""
    return float(f"{value:.12g}") + 0.0


def gs1_parts(uri: str) -> list[tuple[str, str]] | None:
    """(AI, value) pairs of a canonical GS1 Digital Link URI, values percent-decoded; None
    for any other URI."""
    if not uri.startswith(GS1_HOST):
        return None
    path = urlsplit(uri).path.strip("/").split("/")
    if len(path) < 2 or len(path) % 2:
        return None
    return [(path[i], unquote(path[i + 1])) for i in range(0, len(path), 2)]


def describe(uri: str) -> str:
    """A readable name of an identifier: ``GTIN 09506000134352 lot KOL-2026-0917``; the URI
    itself when it is no GS1 Digital Link."""
    parts = gs1_parts(uri)
    if not parts:
        return uri
    return " ".join(f"{_AI_NAMES.get(ai, f'AI ({ai})')} {value}" for ai, value in parts)


def fragment(base: str, name: str) -> str:
    """A URI naming something inside ``base`` (a claim of a product, ...)."""
    return f"{base}{'-' if '#' in base else '#'}{name}"


def credential(
    kind: Kind,
    *,
    credential_id: str,
    issuer: Issuer,
    valid_from: datetime,
    status: Mapping[str, Any],
    subject: Any,
    name: str | None = None,
) -> dict[str, Any]:
    """The unsigned VC 2.0 envelope of a UNTP credential around its subject."""
    if not is_uri(credential_id):
        raise ValueError(f"a credential id must be a URI, got {credential_id!r}")
    if not isinstance(status, Mapping) or not status.get("type"):
        raise ValueError(f"credentialStatus needs a type, got {status!r}")
    out: dict[str, Any] = {
        "@context": contexts(kind),
        "type": [CREDENTIAL_TYPES[kind], "VerifiableCredential"],
        "id": credential_id,
    }
    if name:
        out["name"] = name
    out["issuer"] = issuer.json()
    out["validFrom"] = timestamp(valid_from)
    out["credentialStatus"] = dict(status)
    out["credentialSubject"] = subject
    return out
