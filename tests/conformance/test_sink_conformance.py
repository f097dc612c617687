"""What the sink publishes, set beside the official UNTP files in ../shared/standards:

- the UNTP test suite's enveloped DPP (tests/e2e/valid-v2-enveloped-dpp.json) is read by
  ``sink.jose.unenvelope``; its JWS header has the members and values our signer writes, and
  our envelope of our own signed passport has its top-level shape;
- the linkset the resolver serves for a product, from a real file:// credential store the
  sink's own Publisher filled (two passport versions, DTEs, facility records), validates
  against the UNTP IDR LinksetSchema (v0.7.0-wip, draft-07, with format checking);
- the DID document the resolver serves holds public JWKs of RFC 7517 / RFC 8037 shape
  (kty/crv/x[/y], no private member), read back by jwcrypto as public keys whose RFC 7638
  thumbprints are the key ids' fragments.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from jsonschema import Draft7Validator
from jwcrypto import jwk

from sink.config import SinkSettings
from sink.jose import (
    DATA_PREFIX,
    VC_CONTEXT,
    Algorithm,
    KeyRing,
    did_document,
    did_of,
    envelope,
    sign_credential,
    status_entry,
    unenvelope,
)
from sink.pipeline import Publisher
from sink.resolver import create_resolver
from sink.storage import CredentialStore, open_storage
from sink.untp import Issuer, build_dpp, load_facilities
from tests.conformance.untp_standards import FORMATS
from tests.sink_inputs import CSF, facilities_file, later_events, passport_update, refinery_events
from tests.untp_inputs import CAM, ISSUED, update

ENVELOPED_DPP = "untp/tests/e2e/valid-v2-enveloped-dpp.json"
LINKSET_SCHEMA = "untp/v0.7.0-wip/schema/idr/LinksetSchema.json"
BASE = "https://passports.example.com"
DID = "did:web:passports.example.com"
CSF_PATH = "/01/09506000134420/10/CSF-2026-1101"
LINK_TYPES = "https://test.uncefact.org/vocabulary/linkTypes/"
UNTP_DPP_CONTEXT = re.compile(r"https://test\.uncefact\.org/vocabulary/untp/dpp/[^/]+/")
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")  # unpadded (RFC 7515 §2)
# every private member RFC 7518 / RFC 8037 define, for any key type
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
PUBLIC_MEMBERS = {
    "OKP": {"kty", "crv", "x", "alg", "use", "key_ops", "kid"},
    "EC": {"kty", "crv", "x", "y", "alg", "use", "key_ops", "kid"},
}
COORDINATE_BYTES = {"Ed25519": 32, "P-256": 32}


def b64url(part: str) -> bytes:
    assert BASE64URL.fullmatch(part), f"{part[:20]}... is not unpadded base64url"
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def header(token: str) -> dict[str, Any]:
    value = json.loads(b64url(token.split(".")[0]))
    assert isinstance(value, dict)
    return value


def payload(token: str) -> dict[str, Any]:
    value = json.loads(b64url(token.split(".")[1]))
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def official(standards: Path) -> dict[str, Any]:
    value = json.loads((standards / ENVELOPED_DPP).read_text())
    assert isinstance(value, dict)
    return value


def ring_in(folder: Path, algorithm: Algorithm = "EdDSA") -> KeyRing:
    return KeyRing.load(folder / f"keys-{algorithm}", None, algorithm, did=DID)


def our_passport() -> dict[str, Any]:
    """A DPP of the cathode lot of the battery chain, built by sink.untp."""
    return build_dpp(
        update(CAM),
        issuer=Issuer(DID, "oretrail"),
        credential_id="urn:uuid:6d1f7e0a-3b2c-4d5e-8f90-a1b2c3d4e5f6",
        status=status_entry(f"{BASE}/status/revocation", 7),
        traceability=(),
        valid_from=ISSUED,
    )


# --- the official enveloped passport ---------------------------------------------------------


def test_unenvelope_reads_the_official_enveloped_dpp(
    standards: Path, official: dict[str, Any]
) -> None:
    token = unenvelope(official)
    assert official["id"] == DATA_PREFIX + token
    # the same token from the file's bytes, its text and the bare data URL
    assert unenvelope((standards / ENVELOPED_DPP).read_bytes()) == token
    assert unenvelope((standards / ENVELOPED_DPP).read_text()) == token
    assert unenvelope(official["id"]) == token
    credential = payload(token)
    assert "DigitalProductPassport" in credential["type"]
    assert credential["@context"][0] == VC_CONTEXT
    assert len(b64url(token.split(".")[2])) == 64  # an Ed25519 signature


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_our_jws_header_has_the_official_members(
    official: dict[str, Any], tmp_path: Path, algorithm: Algorithm
) -> None:
    theirs = header(unenvelope(official))
    ring = ring_in(tmp_path, algorithm)
    ours = header(sign_credential(our_passport(), ring))
    assert set(ours) == set(theirs) == {"alg", "typ", "cty", "kid"}
    assert (ours["typ"], ours["cty"]) == (theirs["typ"], theirs["cty"]) == ("vc+jwt", "vc")
    assert ours["alg"] == algorithm
    assert theirs["alg"] == "EdDSA"
    # both key ids are DID URLs of a did:web issuer, with a fragment naming the key
    assert did_of(ours["kid"]) == DID
    assert ours["kid"] == ring.active.kid
    assert did_of(theirs["kid"]).startswith("did:web:")


def test_our_envelope_has_the_official_shape(official: dict[str, Any], tmp_path: Path) -> None:
    credential = our_passport()
    token = sign_credential(credential, ring_in(tmp_path))
    for ours in (envelope(token), envelope(token, credential["@context"])):
        assert set(ours) == set(official) == {"@context", "type", "id"}
        assert ours["type"] == official["type"] == "EnvelopedVerifiableCredential"
        assert ours["@context"][0] == official["@context"][0] == VC_CONTEXT
        assert ours["id"].startswith(DATA_PREFIX)
        assert official["id"].startswith(DATA_PREFIX)
        assert unenvelope(ours) == token
        assert unenvelope(json.dumps(ours)) == token
    # with the credential's contexts: the VC context, then the UNTP DPP context, as theirs
    full = envelope(token, credential["@context"])["@context"]
    assert len(full) == len(official["@context"]) == 2
    assert UNTP_DPP_CONTEXT.fullmatch(full[1])
    assert UNTP_DPP_CONTEXT.fullmatch(official["@context"][1])
    assert payload(token) == credential


# --- a store the sink filled, served by the resolver -----------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    location: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def _fetch(store: CredentialStore, paths: list[str]) -> list[Answer]:
    """GET each path from the resolver on a loopback port (stopped before returning)."""
    runner = web.AppRunner(create_resolver(store, base_url=BASE))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        answers = []
        async with aiohttp.ClientSession() as session:
            for path in paths:
                url = f"http://127.0.0.1:{port}{path}"
                async with session.get(url, allow_redirects=False) as response:
                    body = await response.read()
                    location = response.headers.get("Location")
                    answers.append(Answer(response.status, response.content_type, location, body))
        return answers
    finally:
        await runner.cleanup()


def fetch(store: CredentialStore, *paths: str) -> list[Answer]:
    return asyncio.run(_fetch(store, list(paths)))


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CredentialStore, KeyRing]]:
    """A file:// store holding what the Publisher made of the refinery's events and two
    passport versions of the refined lot, signed by a ring that was rotated once."""
    tmp = tmp_path_factory.mktemp("sink")
    settings = SinkSettings(public_base_url=BASE, key_dir=tmp / "keys", issuer_name="oretrail")
    assert settings.did() == DID
    ring = ring_in(tmp)
    ring.rotate()  # the DID document then lists a retired key as well
    store = CredentialStore(open_storage((tmp / "store").as_uri(), settings))
    facilities = load_facilities(facilities_file(tmp))
    publisher = Publisher(settings, tmp, store=store, ring=ring, facilities=facilities)
    try:
        outcome = publisher.start()
        events = refinery_events()
        for record in events + later_events():
            outcome += publisher.on_event(record)
        outcome += publisher.close_all()
        first, state = passport_update(CSF, events, events)
        second, _ = passport_update(CSF, events + later_events(), later_events(), state)
        outcome += publisher.on_passport(first)
        outcome += publisher.on_passport(second)
        assert not outcome.dead_letters, outcome.dead_letters
        assert not outcome.deferred, outcome.deferred
        yield store, ring
    finally:
        publisher.close()


def test_resolver_linkset_validates_against_the_untp_linkset_schema(
    standards: Path, filled: tuple[CredentialStore, KeyRing]
) -> None:
    schema = json.loads((standards / LINKSET_SCHEMA).read_text())
    Draft7Validator.check_schema(schema)
    validator = Draft7Validator(schema, format_checker=FORMATS)
    (answer,) = fetch(filled[0], f"{CSF_PATH}?linkType=linkset")
    assert (answer.status, answer.content_type) == (200, "application/linkset+json")
    document = answer.json()
    assert [e.message for e in validator.iter_errors(document)] == []

    (context,) = document["linkset"]
    assert context["anchor"] == BASE + CSF_PATH
    passports = context[LINK_TYPES + "dpp"]
    assert [p["rel"] for p in passports] == [["latest-version"], ["predecessor-version"]]
    for relation in ("dpp", "dte", "dfr"):
        targets = context[LINK_TYPES + relation]
        assert targets, f"no {relation} link"
        assert all(t["type"] == "application/vc+jwt" for t in targets)
        assert all(t["href"].startswith(f"{BASE}/credentials/") for t in targets)

    # the schema bites: a target without a title, or a member it does not define, fails it
    untitled = copy.deepcopy(document)
    del untitled["linkset"][0][LINK_TYPES + "dpp"][0]["title"]
    messages = [e.message for e in validator.iter_errors(untitled)]
    assert "'title' is a required property" in messages
    extra = copy.deepcopy(document)
    extra["linkset"][0][LINK_TYPES + "dpp"][0]["hashDigest"] = "ab" * 32
    assert list(validator.iter_errors(extra))


def check_public_jwk(key: dict[str, Any]) -> None:
    """RFC 7517 §4 members as strings; RFC 8037 (OKP) / RFC 7518 §6.2 (EC) public members
    of the right length; no private member at all."""
    assert all(isinstance(name, str) and isinstance(v, str) for name, v in key.items()), key
    assert not PRIVATE_MEMBERS & set(key), f"private members in {sorted(key)}"
    kty = key["kty"]
    assert kty in PUBLIC_MEMBERS, kty
    assert set(key) <= PUBLIC_MEMBERS[kty], sorted(key)
    crv = key["crv"]
    assert (kty, crv) in {("OKP", "Ed25519"), ("EC", "P-256")}
    coordinates = ("x",) if kty == "OKP" else ("x", "y")
    for name in coordinates:
        assert len(b64url(key[name])) == COORDINATE_BYTES[crv], name


def check_method(method: dict[str, Any], did: str) -> None:
    assert method["type"] == "JsonWebKey"
    assert method["controller"] == did
    public = method["publicKeyJwk"]
    check_public_jwk(public)
    # an independent JOSE implementation reads it as a public key with the same thumbprint
    imported = jwk.JWK(**public)
    assert not imported.has_private
    assert method["id"] == f"{did}#{imported.thumbprint()}"


def test_did_document_served_with_the_credentials_holds_public_jwks(
    filled: tuple[CredentialStore, KeyRing],
) -> None:
    store, ring = filled
    document_answer, passport_answer = fetch(store, "/.well-known/did.json", CSF_PATH)
    assert document_answer.status == 200
    document = document_answer.json()
    assert document["id"] == DID
    methods = document["verificationMethod"]
    # the active key and the one rotated out
    assert [m["id"] for m in methods] == [k.kid for k in ring.all]
    assert len(methods) == 2
    for method in methods:
        check_method(method, DID)
    assert set(document["assertionMethod"]) == {m["id"] for m in methods}
    # the passport the product link leads to names one of these keys
    assert passport_answer.status == 307
    assert passport_answer.location is not None
    assert passport_answer.location.startswith(f"{BASE}/credentials/")
    (credential,) = fetch(store, passport_answer.location.removeprefix(BASE))
    assert credential.content_type == "application/vc+jwt"
    assert header(credential.body.decode("ascii"))["kid"] in document["assertionMethod"]


def test_es256_did_document_holds_public_ec_jwks(tmp_path: Path) -> None:
    ring = ring_in(tmp_path, "ES256")
    document = did_document(DID, ring)
    (method,) = document["verificationMethod"]
    check_method(method, DID)
    assert method["publicKeyJwk"]["kty"] == "EC"
