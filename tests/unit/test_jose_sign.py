"""Signing: the JWS shape VC-JOSE-COSE asks for, independent verification with jwcrypto,
and one changed byte anywhere in header or payload failing both verifiers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sink.jose import (
    DATA_PREFIX,
    VC_CONTEXT,
    EnvelopeError,
    VerificationError,
    credential_bytes,
    envelope,
    sign_credential,
    unenvelope,
)
from tests.unit.jose_helpers import (
    credential,
    env_ring,
    jwcrypto_accepts,
    tamper,
    unb64url,
    verify_offline,
)

ALGS = ["EdDSA", "ES256"]


@pytest.mark.parametrize("alg", ALGS)
def test_protected_header_is_exactly_alg_typ_cty_kid(alg: str) -> None:
    ring = env_ring(alg)
    token = sign_credential(credential(), ring)
    header = json.loads(unb64url(token.split(".")[0]))
    assert header == {"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": ring.active.kid}
    assert ring.active.kid.startswith(ring.did + "#")


def test_payload_is_the_credential_as_utf8_json() -> None:
    vc = credential(name="Kobalt—Ø lot")
    token = sign_credential(vc, env_ring())
    payload = unb64url(token.split(".")[1])
    assert payload == credential_bytes(vc)
    assert json.loads(payload.decode("utf-8")) == vc
    assert "Kobalt—Ø".encode() in payload  # UTF-8, not \\u escapes


@pytest.mark.parametrize("alg", ALGS)
def test_jwcrypto_verifies_our_signature(alg: str) -> None:
    ring = env_ring(alg)
    token = sign_credential(credential(), ring)
    assert jwcrypto_accepts(token, ring.active.public_jwk)
    assert verify_offline(token, ring).kid == ring.active.kid


@pytest.mark.parametrize("alg", ALGS)
def test_jwcrypto_rejects_another_keys_signature(alg: str) -> None:
    token = sign_credential(credential(), env_ring(alg))
    other = env_ring(alg, did="did:web:other.example")
    assert not jwcrypto_accepts(token, other.active.public_jwk)


@pytest.mark.parametrize("alg", ALGS)
@settings(max_examples=150, deadline=None)
@given(
    part=st.sampled_from([0, 1]),
    position=st.integers(min_value=0, max_value=10_000),
    delta=st.integers(min_value=1, max_value=255),
)
def test_one_changed_byte_fails_both_verifiers(
    alg: str, part: int, position: int, delta: int
) -> None:
    ring = env_ring(alg)
    token = sign_credential(credential(), ring)
    changed = tamper(token, part, position, delta)
    assert changed != token
    assert not jwcrypto_accepts(changed, ring.active.public_jwk)
    with pytest.raises(VerificationError):
        verify_offline(changed, ring)


def test_envelope_shape_and_round_trip() -> None:
    token = sign_credential(credential(), env_ring())
    env = envelope(token)
    assert env == {
        "@context": [VC_CONTEXT],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt," + token,
    }
    assert unenvelope(env) == token
    assert unenvelope(json.dumps(env)) == token
    assert unenvelope(json.dumps(env).encode()) == token
    assert unenvelope(token) == token
    assert unenvelope(f"  {DATA_PREFIX}{token}\n") == token


def test_envelope_keeps_extra_contexts_after_the_vc_context() -> None:
    untp = "https://test.uncefact.org/vocabulary/untp/dpp/0.6.1/"
    env = envelope("a.b.c", [VC_CONTEXT, untp])
    assert env["@context"] == [VC_CONTEXT, untp]


@pytest.mark.parametrize(
    "value",
    [
        {"type": "VerifiableCredential", "id": "data:application/vc+jwt,a.b.c"},
        {"type": "EnvelopedVerifiableCredential", "id": "data:application/json,a.b.c"},
        {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,not a jws"},
        "{not json",
        "only.two",
        "a.b.c.d",
        b"\xff\xfe",
    ],
)
def test_unenvelope_refuses_what_is_not_a_secured_credential(value: object) -> None:
    with pytest.raises(EnvelopeError):
        unenvelope(value)  # type: ignore[arg-type]
