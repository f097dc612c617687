"""Credentials secured as compact JWS (VC-JOSE-COSE), and their enveloped form.

Signing and signature checks are joserfc's; this module fixes the protected header
(``alg``, ``typ`` ``vc+jwt``, ``cty`` ``vc``, ``kid``), the payload bytes (the credential
as UTF-8 JSON) and the algorithms allowed (EdDSA and ES256, nothing else: no ``none``, no
HMAC).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import UnsupportedAlgorithmError
from joserfc.jws import CompactSignature, JWSRegistry

from sink.jose._keys import ALGORITHMS, JoseKey, KeyRing

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MEDIA_TYPE = "application/vc+jwt"
DATA_PREFIX = f"data:{MEDIA_TYPE},"
ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
TYP = "vc+jwt"
CTY = "vc"

# the signature may be empty so that an alg "none" token reaches the header check and is
# refused for its alg, not as unreadable
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class EnvelopeError(ValueError):
    """Input that is neither an enveloped credential nor a compact JWS."""


class _Registry(JWSRegistry):
    # joserfc's defaults cap payloads at 128 kB; a batch of traceability events is larger.
    max_header_length = 4096
    max_payload_length = 64 * 1024 * 1024

    def get_alg(self, name: str) -> Any:
        # The algorithm set is closed here. joserfc warns that "EdDSA" is superseded by the
        # fully specified "Ed25519" (RFC 9864), but VC-JOSE-COSE and the issue name EdDSA.
        if name not in ALGORITHMS:
            raise UnsupportedAlgorithmError(f"algorithm {name!r} is not allowed")
        return self.algorithms[name]


# Unknown header members are tolerated (other issuers add some); an unknown ``crit`` is not.
REGISTRY = _Registry(algorithms=ALGORITHMS, strict_check_header=False)


def credential_bytes(credential: Mapping[str, Any]) -> bytes:
    """The JWS payload: the credential as compact UTF-8 JSON."""
    return json.dumps(
        credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sign_payload(payload: bytes, ring: KeyRing) -> str:
    """Compact JWS of ready-made payload bytes with the ring's active key."""
    key = ring.active
    header = {"alg": key.alg, "typ": TYP, "cty": CTY, "kid": key.kid}
    return jws.serialize_compact(header, payload, key.signer, registry=REGISTRY)


def sign_credential(credential: Mapping[str, Any], ring: KeyRing) -> str:
    """The credential as a compact JWS (``typ`` vc+jwt, ``cty`` vc, ``kid`` the issuer's)."""
    return sign_payload(credential_bytes(credential), ring)


def envelope(token: str, contexts: list[str] | None = None) -> dict[str, Any]:
    """The ``EnvelopedVerifiableCredential`` carrying ``token`` as a data URL."""
    return {
        "@context": [VC_CONTEXT, *(c for c in contexts or [] if c != VC_CONTEXT)],
        "type": ENVELOPED_TYPE,
        "id": DATA_PREFIX + token,
    }


def unenvelope(value: str | bytes | Mapping[str, Any]) -> str:
    """The compact JWS inside an envelope (object or JSON text), a data URL, or bare."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError("not UTF-8 text") from None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EnvelopeError(f"not valid JSON: {exc}") from None
            return unenvelope(obj if isinstance(obj, Mapping) else {})
        token = text.removeprefix(DATA_PREFIX)
    elif isinstance(value, Mapping):
        types = value.get("type")
        types = [types] if isinstance(types, str) else types
        if not isinstance(types, list) or ENVELOPED_TYPE not in types:
            raise EnvelopeError(f"not an {ENVELOPED_TYPE} (type {value.get('type')!r})")
        ident = value.get("id")
        if not isinstance(ident, str) or not ident.startswith(DATA_PREFIX):
            raise EnvelopeError(f"the envelope's id is not a {DATA_PREFIX} URL")
        token = ident.removeprefix(DATA_PREFIX)
    else:
        raise EnvelopeError(f"cannot read a credential from {type(value).__name__}")
    if not _COMPACT.fullmatch(token):
        raise EnvelopeError("not a compact JWS (three base64url parts separated by dots)")
    return token


def extract(token: str) -> CompactSignature:
    """Header and payload of a compact JWS, not yet verified (joserfc DecodeError else)."""
    return jws.extract_compact(token.encode("ascii"), registry=REGISTRY)


def signature_valid(obj: CompactSignature, key: JoseKey) -> bool:
    return jws.validate_compact(obj, key, registry=REGISTRY)
