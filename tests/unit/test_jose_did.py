"""did:web: the URL a DID resolves at, the issuer's DID document, and key lookup by kid."""

from __future__ import annotations

from typing import Any

import pytest

from sink.config import SinkSettings
from sink.jose import DidError, did_document, did_web_url, verification_key
from sink.jose._fetch import DidWebResolver, http_hosts, is_loopback
from tests.unit.jose_helpers import DID, env_ring


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
        ("did:web:example.com%3a3000:u:a", "https://example.com:3000/u/a/did.json"),
        ("did:web:127.0.0.1%3A8780", "https://127.0.0.1:8780/.well-known/did.json"),
        ("did:web:example.com:a%20b", "https://example.com/a%20b/did.json"),
        (
            "did:web:uncefact.github.io:project-vckit:test-and-development",
            "https://uncefact.github.io/project-vckit/test-and-development/did.json",
        ),
    ],
)
def test_did_web_url(did: str, url: str) -> None:
    assert did_web_url(did) == url


def test_did_web_url_over_http_for_a_loopback_resolver() -> None:
    assert (
        did_web_url("did:web:127.0.0.1%3A8780", scheme="http")
        == "http://127.0.0.1:8780/.well-known/did.json"
    )


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:web:",
        "did:web:example.com#key-1",
        "did:web:example.com::alice",
        "did:web:exa/mple.com",
        "did:web:example.com%2Fevil",
        "did:web:user@example.com",
        "did:web:example.com:a/b",
    ],
)
def test_did_web_url_refuses(did: str) -> None:
    with pytest.raises(DidError):
        did_web_url(did)


def test_the_default_settings_did_maps_to_the_resolvers_well_known_url() -> None:
    sink = SinkSettings(public_base_url="http://127.0.0.1:8780")
    resolver = DidWebResolver(plain_http=http_hosts([sink.public_base_url]))
    assert resolver.url_for(sink.did()) == "http://127.0.0.1:8780/.well-known/did.json"
    assert DidWebResolver().url_for("did:web:example.com") == (
        "https://example.com/.well-known/did.json"
    )
    # a host the credential was fetched from over http is asked over http too
    named = DidWebResolver(plain_http=http_hosts(["http://resolver.internal:8780/x"]))
    assert named.url_for("did:web:resolver.internal%3A8780").startswith("http://")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1:8780", True), ("localhost", True), ("[::1]:80", True), ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_did_document_shape() -> None:
    ring = env_ring("ES256")
    doc = did_document(DID, ring)
    kid = ring.active.kid
    assert doc == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": DID,
        "verificationMethod": [
            {
                "id": kid,
                "type": "JsonWebKey",
                "controller": DID,
                "publicKeyJwk": ring.active.public_jwk,
            }
        ],
        "assertionMethod": [kid],
        "authentication": [kid],
    }
    jwk = doc["verificationMethod"][0]["publicKeyJwk"]
    assert set(jwk) == {"kty", "crv", "x", "y"}  # public members only
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")


def test_did_document_for_another_did_is_refused() -> None:
    with pytest.raises(DidError, match="belongs to"):
        did_document("did:web:other.example", env_ring())


def _doc(**changes: Any) -> dict[str, Any]:
    doc = did_document(DID, env_ring())
    doc.update(changes)
    return doc


def test_verification_key_finds_the_key() -> None:
    ring = env_ring()
    key, alg = verification_key(_doc(), ring.active.kid)
    assert alg == "EdDSA"
    assert key.thumbprint() == ring.active.thumbprint


def test_verification_key_accepts_relative_ids() -> None:
    ring = env_ring()
    frag = "#" + ring.active.thumbprint
    method = {**_doc()["verificationMethod"][0], "id": frag}
    doc = _doc(verificationMethod=[method], assertionMethod=[frag])
    assert verification_key(doc, ring.active.kid)[1] == "EdDSA"


def test_verification_key_ignores_private_members_in_the_document() -> None:
    ring = env_ring()
    method = _doc()["verificationMethod"][0]
    leaked = {**method, "publicKeyJwk": {**method["publicKeyJwk"], "d": "A" * 43}}
    key, _ = verification_key(_doc(verificationMethod=[leaked]), ring.active.kid)
    assert not key.is_private


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "did:web:other.example"}, "is for"),
        ({"assertionMethod": []}, "not an assertionMethod"),
        ({"verificationMethod": []}, "not a verification method"),
    ],
)
def test_verification_key_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DidError, match=message):
        verification_key(_doc(**changes), env_ring().active.kid)


def test_verification_key_refuses_a_foreign_controller_and_an_alg_mismatch() -> None:
    kid = env_ring().active.kid
    method = _doc()["verificationMethod"][0]
    foreign = {**method, "controller": "did:web:evil.example"}
    with pytest.raises(DidError, match="controlled by"):
        verification_key(_doc(verificationMethod=[foreign]), kid)
    mislabelled = {**method, "publicKeyJwk": {**method["publicKeyJwk"], "alg": "ES256"}}
    with pytest.raises(DidError, match="the key is for"):
        verification_key(_doc(verificationMethod=[mislabelled]), kid)
    other_type = {**method, "type": "Ed25519VerificationKey2020"}
    with pytest.raises(DidError, match="JsonWebKey"):
        verification_key(_doc(verificationMethod=[other_type]), kid)


@pytest.mark.parametrize("kid", ["did:web:issuer.example", "key-1", "#key-1", "did:web#x"])
def test_a_kid_must_be_a_did_url_with_a_fragment(kid: str) -> None:
    with pytest.raises(DidError, match="not a DID URL"):
        verification_key(_doc(), kid)
