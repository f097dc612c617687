"""The issuer's ``did:web`` document, the URL it is served at, and key lookup by ``kid``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

from joserfc.jwk import ECKey, OKPKey

from sink.jose._keys import Algorithm, JoseKey, KeyRing, algorithm_of

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]
VM_TYPES = ("JsonWebKey", "JsonWebKey2020")

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
# members a public JWK may carry into a verifier; private ones (d, p, q, ...) never do
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "alg", "use", "key_ops")


class DidError(ValueError):
    """A DID, DID URL or DID document that cannot give the key asked for."""


def did_web_url(did: str, *, scheme: Literal["https", "http"] = "https") -> str:
    """Where a ``did:web`` document lives (did:web method, Read): ``:`` separators become
    ``/``, a percent-encoded port is decoded, a bare host uses ``/.well-known/did.json``.

    ``scheme`` is https by the method; http only serves a resolver on loopback.
    """
    if not did.startswith("did:web:"):
        raise DidError(f"{did!r} is not a did:web DID")
    segments = did.removeprefix("did:web:").split(":")
    host = unquote(segments[0])
    if not _HOST.fullmatch(host):
        raise DidError(f"{did!r}: {host!r} is not a host name with an optional port")
    path = segments[1:]
    for segment in path:
        if not _SEGMENT.fullmatch(segment):
            raise DidError(f"{did!r}: path segment {segment!r} is empty or not URL-safe")
    tail = "/".join(path) + "/did.json" if path else ".well-known/did.json"
    return f"{scheme}://{host}/{tail}"


def did_host(did: str) -> str:
    """The host (with port) a ``did:web`` names."""
    did_web_url(did)
    return unquote(did.removeprefix("did:web:").split(":")[0])


def did_of(kid: str) -> str:
    """The DID a key id (DID URL with a fragment) belongs to."""
    did, sep, fragment = kid.partition("#")
    if not sep or not fragment or not did.startswith("did:") or did.count(":") < 2:
        raise DidError(f"kid {kid!r} is not a DID URL with a fragment")
    return did


def did_document(did: str, ring: KeyRing) -> dict[str, Any]:
    """The DID document: every key of the ring (retired ones too, so older credentials keep
    verifying) as a ``JsonWebKey`` verification method for assertion and authentication."""
    if did != ring.did:
        raise DidError(f"the key ring belongs to {ring.did}, not {did}")
    methods = [
        {"id": k.kid, "type": "JsonWebKey", "controller": did, "publicKeyJwk": dict(k.public_jwk)}
        for k in ring.all
    ]
    kids = [k.kid for k in ring.all]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": kids,
        "authentication": list(kids),
    }


def _absolute(ref: str, did: str) -> str:
    return did + ref if ref.startswith("#") else ref


def verification_key(document: Mapping[str, Any], kid: str) -> tuple[JoseKey, Algorithm]:
    """The public key ``kid`` names in ``document``, which must list it for assertions."""
    did = did_of(kid)
    if document.get("id") != did:
        raise DidError(f"the DID document is for {document.get('id')!r}, not {did}")
    embedded = [m for m in document.get("assertionMethod") or [] if isinstance(m, Mapping)]
    listed = {
        _absolute(m if isinstance(m, str) else str(m.get("id")), did)
        for m in document.get("assertionMethod") or []
    }
    if kid not in listed:
        raise DidError(f"{kid} is not an assertionMethod of {did}")
    methods = [m for m in document.get("verificationMethod") or [] if isinstance(m, Mapping)]
    found = [m for m in [*methods, *embedded] if _absolute(str(m.get("id")), did) == kid]
    if not found:
        raise DidError(f"{kid} is not a verification method of {did}")
    method = found[0]
    if method.get("controller", did) != did:
        raise DidError(f"{kid} is controlled by {method.get('controller')!r}, not {did}")
    if method.get("type") not in VM_TYPES or not isinstance(method.get("publicKeyJwk"), Mapping):
        raise DidError(f"{kid} is not a JsonWebKey with a publicKeyJwk")
    jwk = {k: v for k, v in method["publicKeyJwk"].items() if k in _PUBLIC_MEMBERS}
    try:
        key: JoseKey = OKPKey.import_key(jwk) if jwk.get("kty") == "OKP" else ECKey.import_key(jwk)
        alg = algorithm_of(key)
    except Exception as exc:
        raise DidError(f"{kid}: unusable publicKeyJwk ({type(exc).__name__}: {exc})") from None
    if jwk.get("alg") not in (None, alg):
        raise DidError(f"{kid}: the key is for {jwk.get('alg')!r}, its type is for {alg}")
    return key, alg
