"""Full verification: every reason a credential is refused, revocation through a signed
status list, and credentials signed before a key rotation."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import OctKey
from pydantic import SecretStr

from sink.jose import (
    KeyRing,
    StatusList,
    VerificationError,
    did_document,
    envelope,
    sign_credential,
    sign_payload,
    status_entry,
    status_list_credential,
)
from sink.jose._jws import REGISTRY
from tests.unit.jose_helpers import (
    DID,
    b64url,
    credential,
    env_ring,
    private_pem,
    verify_offline,
)

LIST_URL = "https://issuer.example/status/revocation"
NOT_VC = "not a credential"


def _reason(token: Any, ring: KeyRing, **kwargs: Any) -> str:
    with pytest.raises(VerificationError) as info:
        verify_offline(token, ring, **kwargs)
    return info.value.reason


def _forge(header: Mapping[str, Any], payload: bytes, signature: bytes = b"") -> str:
    return ".".join([b64url(json.dumps(header).encode()), b64url(payload), b64url(signature)])


def _sign(header: Mapping[str, Any], key: Any, vc: Mapping[str, Any] | None = None) -> str:
    """A JWS with any header our algorithms allow, signed with joserfc."""
    return jws.serialize_compact(
        dict(header), json.dumps(vc or credential()), key, registry=REGISTRY
    )


def test_a_valid_credential_verifies() -> None:
    ring = env_ring()
    vc = credential()
    result = verify_offline(envelope(sign_credential(vc, ring)), ring)
    assert result.credential == vc
    assert result.kid == ring.active.kid
    assert result.issuer == DID
    assert result.header["typ"] == "vc+jwt"


def test_alg_none_is_refused() -> None:
    ring = env_ring()
    header = {"alg": "none", "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid}
    token = _forge(header, json.dumps(credential()).encode())
    with pytest.raises(VerificationError, match="alg 'none' is not allowed"):
        verify_offline(token, ring)


def test_hmac_with_the_public_key_as_secret_is_refused() -> None:
    # the classic confusion: HS256 keyed with the issuer's published key bytes
    ring = env_ring()
    header = {"alg": "HS256", "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid}
    secret = OctKey.import_key(ring.active.public_jwk["x"])
    token = jws.serialize_compact(header, json.dumps(credential()), secret, algorithms=["HS256"])
    with pytest.raises(VerificationError, match="alg 'HS256' is not allowed") as info:
        verify_offline(token, ring)
    assert info.value.reason == "header"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"typ": "JWT"}, "typ 'JWT'"),
        ({"typ": None}, "typ None"),
        ({"cty": "json"}, "cty 'json'"),
        ({"crit": ["exp"]}, "crit"),
    ],
)
def test_wrong_header_members_are_refused(changes: dict[str, Any], message: str) -> None:
    ring = env_ring()
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid, **changes}
    header = {k: v for k, v in header.items() if v is not None}
    if "crit" in header:  # joserfc would not sign with an unknown crit
        token = _forge(header, b"{}", b"x" * 64)
    else:
        token = _sign(header, ring.active.signer)
    with pytest.raises(VerificationError, match=message) as info:
        verify_offline(token, ring)
    assert info.value.reason == "header"


def test_alg_must_match_the_key_the_kid_names() -> None:
    ring = env_ring()
    header = {"alg": "ES256", "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid}
    es = env_ring("ES256")
    token = _sign(header, es.active.signer)
    assert _reason(token, ring) == "header"


def test_unknown_kid() -> None:
    ring = env_ring()
    other = env_ring(did="did:web:other.example")
    token = sign_credential(credential(issuer=other.did), other)
    # our DID document does not hold the other issuer's key
    assert _reason(token, ring) == "unknown kid"
    assert _reason(token, other, resolve_did=_raises(OSError("connection refused"))) == (
        "unknown kid"
    )


def _raises(exc: Exception) -> Callable[[str], Any]:
    def fail(_: str) -> Any:
        raise exc

    return fail


def test_a_signature_by_another_key_under_our_kid() -> None:
    ring = env_ring()
    impostor = KeyRing.load(None, SecretStr(private_pem("EdDSA")), "EdDSA", did=DID)
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid}
    token = _sign(header, impostor.active.signer)
    with pytest.raises(VerificationError, match="signature mismatch"):
        verify_offline(token, ring)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "malformed"),
        (b"\xff\xfe", "malformed"),
        (b"[1, 2]", "malformed"),
        (
            json.dumps({"type": ["VerifiableCredential"], "issuer": DID}).encode(),
            "not a credential",
        ),
        (
            json.dumps(
                {"@context": ["https://www.w3.org/ns/credentials/v2"], "issuer": DID}
            ).encode(),
            "not a credential",
        ),
    ],
)
def test_payload_that_is_not_a_credential(payload: bytes, reason: str) -> None:
    ring = env_ring()
    assert _reason(sign_payload(payload, ring), ring) == reason


@pytest.mark.parametrize("issuer", ["did:web:other.example", {"id": "did:web:other.example"}, None])
def test_issuer_must_be_the_did_of_the_kid(issuer: Any) -> None:
    ring = env_ring()
    vc = credential()
    vc["issuer"] = issuer
    assert _reason(sign_credential(vc, ring), ring) == "issuer mismatch"


@pytest.mark.parametrize(
    ("dates", "reason"),
    [
        ({"validFrom": "2026-06-01T12:00:01Z"}, "not yet valid"),
        ({"validUntil": "2026-06-01T11:59:59+00:00"}, "expired"),
        ({"exp": int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())}, "expired"),
        ({"nbf": int(datetime(2026, 7, 1, tzinfo=UTC).timestamp())}, "not yet valid"),
        ({"validFrom": "2026-01-01T00:00:00"}, "malformed credential"),
        ({"validUntil": "next tuesday"}, "malformed credential"),
    ],
)
def test_validity_dates(dates: dict[str, Any], reason: str) -> None:
    ring = env_ring()
    assert _reason(sign_credential(credential(**dates), ring), ring) == reason


def test_validity_period_including_now_passes() -> None:
    ring = env_ring()
    vc = credential(validFrom="2026-06-01T12:00:00Z", validUntil="2026-06-01T12:00:00Z")
    assert verify_offline(sign_credential(vc, ring), ring).credential == vc


def test_schema_problems_are_the_reason() -> None:
    ring = env_ring()
    token = sign_credential(credential(), ring)

    def untp(vc: Mapping[str, Any]) -> list[str]:
        return ["credentialSubject.product is required", "@context[1] is not pinned"]

    with pytest.raises(VerificationError, match="product is required; @context") as info:
        verify_offline(token, ring, validate=untp)
    assert info.value.reason == "schema"


def test_now_must_be_aware() -> None:
    ring = env_ring()
    with pytest.raises(ValueError, match="time zone"):
        verify_offline(sign_credential(credential(), ring), ring, now=datetime(2026, 6, 1))


# --- status lists ---------------------------------------------------------------------


def _published_list(
    ring: KeyRing, revoked: list[int], *, signed: bool = True, **changes: Any
) -> Any:
    bits = StatusList()
    for index in revoked:
        bits.revoke(index)
    vc = status_list_credential(
        LIST_URL, bits, issuer=ring.did, valid_from=datetime(2026, 1, 1, tzinfo=UTC)
    )
    vc.update(changes)
    return envelope(sign_credential(vc, ring)) if signed else vc


def _status_check(ring: KeyRing, index: int, published: Any, **entry: Any) -> Any:
    vc = credential(credentialStatus={**status_entry(LIST_URL, index), **entry})
    fetched: list[str] = []

    def fetch(url: str) -> Any:
        fetched.append(url)
        return published

    result = verify_offline(sign_credential(vc, ring), ring, fetch_status=fetch)
    assert fetched == [LIST_URL]
    return result


def test_a_clear_status_bit_verifies() -> None:
    ring = env_ring()
    assert _status_check(ring, 7, _published_list(ring, [6, 8])).kid == ring.active.kid


def test_a_set_status_bit_is_revoked() -> None:
    ring = env_ring()
    with pytest.raises(VerificationError, match=f"bit 7 of {LIST_URL} is set") as info:
        _status_check(ring, 7, _published_list(ring, [7]))
    assert info.value.reason == "revoked"


def test_the_status_list_may_come_as_a_bare_jws() -> None:
    ring = env_ring()
    bare = _published_list(ring, [3])["id"].removeprefix("data:application/vc+jwt,")
    with pytest.raises(VerificationError) as info:
        _status_check(ring, 3, bare)
    assert info.value.reason == "revoked"


def test_a_suspension_list() -> None:
    ring = env_ring()
    published = _published_list(
        ring,
        [5],
        credentialSubject={
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": _encoded([5]),
        },
    )
    with pytest.raises(VerificationError) as info:
        _status_check(ring, 5, published, statusPurpose="suspension")
    assert info.value.reason == "suspended"


def _encoded(indices: list[int]) -> str:
    bits = StatusList()
    for index in indices:
        bits.revoke(index)
    return bits.encode()


def test_an_unsigned_status_list_is_refused() -> None:
    ring = env_ring()
    with pytest.raises(VerificationError, match="EnvelopedVerifiableCredential") as info:
        _status_check(ring, 7, _published_list(ring, [], signed=False))
    assert info.value.reason == "status list invalid"


def test_a_status_list_from_another_issuer_is_refused() -> None:
    ring, other = env_ring(), env_ring(did="did:web:other.example")
    document = {ring.did: did_document(ring.did, ring), other.did: did_document(other.did, other)}
    vc = credential(credentialStatus=status_entry(LIST_URL, 1))
    with pytest.raises(VerificationError, match="not by the credential's issuer") as info:
        verify_offline(
            sign_credential(vc, ring),
            ring,
            resolve_did=document.__getitem__,
            fetch_status=lambda url: _published_list(other, []),
        )
    assert info.value.reason == "status list invalid"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"validUntil": "2026-02-01T00:00:00Z"}, "expired"),
        ({"id": "https://elsewhere.example/list"}, "its id is"),
        ({"type": ["VerifiableCredential"]}, "BitstringStatusListCredential"),
        ({"credentialSubject": {"type": "BitstringStatusList"}}, "statusPurpose is missing"),
        (
            {
                "credentialSubject": {
                    "type": "BitstringStatusList",
                    "statusPurpose": "revocation",
                    "encodedList": "uH4sIAAAAAAAA",
                }
            },
            "GZIP",
        ),
    ],
)
def test_a_broken_status_list_is_refused(changes: dict[str, Any], message: str) -> None:
    ring = env_ring()
    with pytest.raises(VerificationError, match=message) as info:
        _status_check(ring, 1, _published_list(ring, [], **changes))
    assert info.value.reason == "status list invalid"


def test_status_purpose_and_index_must_fit_the_list() -> None:
    ring = env_ring()
    with pytest.raises(VerificationError, match="is a revocation list") as info:
        _status_check(ring, 1, _published_list(ring, []), statusPurpose="suspension")
    assert info.value.reason == "status list invalid"
    with pytest.raises(VerificationError, match="outside") as info:
        _status_check(ring, 131_072, _published_list(ring, []))
    assert info.value.reason == "status list invalid"


def test_status_list_unreachable_or_of_unknown_type() -> None:
    ring = env_ring()
    vc = credential(credentialStatus=status_entry(LIST_URL, 1))
    token = sign_credential(vc, ring)
    assert _reason(token, ring, fetch_status=_raises(OSError("timed out"))) == (
        "status unavailable"
    )
    other = credential(credentialStatus={"type": "StatusList2021Entry", "id": "x"})
    assert _reason(sign_credential(other, ring), ring) == "status unsupported"


def test_a_credential_signed_before_rotation_verifies_with_the_new_document(
    tmp_path: Path,
) -> None:
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    vc = credential(credentialStatus=status_entry(LIST_URL, 9))
    old_token = sign_credential(vc, ring)
    old_kid = ring.active.kid
    ring.rotate()
    # the status list is re-signed with the new key; both keys are in the new document
    published = _published_list(ring, [])
    result = verify_offline(old_token, ring, fetch_status=lambda url: published)
    assert result.kid == old_kid != ring.active.kid
    revoked = _published_list(ring, [9])
    with pytest.raises(VerificationError) as info:
        verify_offline(old_token, ring, fetch_status=lambda url: revoked)
    assert info.value.reason == "revoked"
