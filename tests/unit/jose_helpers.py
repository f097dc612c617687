"""Shared by the sink.jose tests: key rings without files, credentials, tampering, and the
second JOSE implementation (jwcrypto) used as an independent verifier."""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwcrypto import jwk as jj_jwk
from jwcrypto import jws as jj_jws
from pydantic import SecretStr

from sink.jose import VC_CONTEXT, KeyRing, did_document, verify

DID = "did:web:issuer.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def private_pem(alg: Literal["EdDSA", "ES256"]) -> str:
    native = (
        ed25519.Ed25519PrivateKey.generate()
        if alg == "EdDSA"
        else ec.generate_private_key(ec.SECP256R1())
    )
    return native.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@functools.cache
def env_ring(alg: Literal["EdDSA", "ES256"] = "EdDSA", did: str = DID) -> KeyRing:
    """A ring of one key given as ``ORETRAIL_SINK_SIGNING_KEY`` would give it (no files)."""
    return KeyRing.load(None, SecretStr(private_pem(alg)), alg, did=did)


def credential(issuer: str = DID, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT],
        "id": "https://issuer.example/credentials/1",
        "type": ["VerifiableCredential", "DigitalProductPassport"],
        "issuer": {"type": ["CredentialIssuer"], "id": issuer, "name": "Issuer Ltd"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "https://id.gs1.org/01/09520123456788/10/LOT1"},
        **extra,
    }


def no_status(url: str) -> str:
    raise AssertionError(f"no status list was expected, asked for {url}")


def accept_all(credential: Mapping[str, Any]) -> list[str]:
    return []


def verify_offline(token: Any, ring: KeyRing, **kwargs: Any) -> Any:
    """``verify`` against the ring's own DID document, no status lists, no schema."""
    document = did_document(ring.did, ring)
    options: dict[str, Any] = {
        "resolve_did": lambda did: document,
        "fetch_status": no_status,
        "validate": accept_all,
        "now": NOW,
    }
    options.update(kwargs)
    return verify(token, **options)


def jwcrypto_accepts(token: str, public_jwk: Mapping[str, str]) -> bool:
    """Whether jwcrypto, not joserfc, finds ``token`` correctly signed by ``public_jwk``."""
    key = jj_jwk.JWK(**public_jwk)
    obj = jj_jws.JWS()
    try:
        obj.deserialize(token)
        obj.verify(key)
    except (
        jj_jws.InvalidJWSSignature,
        jj_jws.InvalidJWSObject,
        jj_jws.InvalidJWSOperation,
        ValueError,
    ):
        return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tamper(token: str, part: int, position: int, delta: int) -> str:
    """``token`` with one byte of its decoded header (part 0) or payload (part 1) changed
    by XOR ``delta`` (1..255), re-encoded as base64url."""
    parts = token.split(".")
    raw = bytearray(unb64url(parts[part]))
    raw[position % len(raw)] ^= delta
    parts[part] = b64url(bytes(raw))
    return ".".join(parts)
