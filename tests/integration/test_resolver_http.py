"""The resolver over real HTTP: an aiohttp server on a loopback port serving a real file
credential store, asked with http.client (which never follows a redirect).

The store is filled the way the sink fills it: credentials signed with a real Ed25519 key
ring (sink.jose), published content-addressed, versions recorded and the latest pointer
moved. A passport fetched through the resolver then verifies in full with sink.jose, the
DID document and the status list fetched through the same resolver.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from sink.config import SinkSettings
from sink.jose import (
    KeyRing,
    StatusList,
    VerificationError,
    did_document,
    sign_credential,
    status_entry,
    status_list_credential,
    verify,
)
from sink.jose._fetch import DidWebResolver, fetch_text
from sink.resolver import create_resolver
from sink.storage import CredentialStore, FileStorage, Stored

GTIN = "09520123456788"
LOT_PATH = f"/01/{GTIN}/10/LOT1"
ITEM_PATH = f"/01/{GTIN}/21/SN1"
MOVING_PATH = f"/01/{GTIN}/10/LOT9"
DL = "https://id.gs1.org"
FACILITY = "https://id.gs1.org/414/4012345000016"
UNRECORDED_FACILITY = "https://id.gs1.org/414/9521234000016"
UNTP = "https://test.uncefact.org/vocabulary/linkTypes/"
VC_JWT = "application/vc+jwt"
LINKSET = "application/linkset+json"
PROBLEM = "application/problem+json"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass
class Site:
    """The running resolver and what was published behind it."""

    base: str
    store: CredentialStore
    ring: KeyRing
    did: str
    tokens: dict[str, str] = field(default_factory=dict)  # name -> compact JWS
    shas: dict[str, str] = field(default_factory=dict)  # name -> sha256

    def href(self, name: str) -> str:
        return f"{self.base}/credentials/{self.shas[name]}"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def ask(base: str, path: str, method: str = "GET", **headers: str) -> Answer:
    """One request on a fresh connection; redirects are answers, not followed."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def credential(site: Site, kind: str, subject: dict[str, Any], status_index: int) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            f"https://test.uncefact.org/vocabulary/untp/{kind}/0.6.1/",
        ],
        "type": ["VerifiableCredential", kind],
        "id": f"urn:uuid:00000000-0000-4000-8000-{status_index:012d}",
        "issuer": {"type": ["CredentialIssuer"], "id": site.did, "name": "oretrail"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialStatus": status_entry(f"{site.base}/status/revocation", status_index),
        "credentialSubject": subject,
    }


def publish(site: Site, name: str, document: dict[str, Any]) -> Stored:
    site.tokens[name] = sign_credential(document, site.ring)
    stored = site.store.publish(site.tokens[name].encode(), VC_JWT)
    site.shas[name] = stored.sha256
    return stored


def publish_passport(site: Site, path: str, version: int, index: int) -> None:
    product = DL + path
    subject = {"type": ["ProductPassport"], "id": product, "version": version}
    stored = publish(site, f"{path}@{version}", credential(site, "dpp", subject, index))
    site.store.record_passport_version(product, version, stored)
    site.store.move_latest(product, version)


def publish_status_list(site: Site, revoked: list[int]) -> None:
    bits = StatusList()
    for index in revoked:
        bits.revoke(index)
    url = f"{site.base}/status/revocation"
    document = status_list_credential(url, bits, issuer=site.did, valid_from=NOW)
    site.tokens["status"] = sign_credential(document, site.ring)
    site.shas["status"] = site.store.put_status_list(
        "revocation", site.tokens["status"].encode()
    ).sha256


def fill(site: Site) -> None:
    """Two versions of a lot with two DTEs and a facility record; one version of an item
    with nothing else; the DID document and a status list revoking the item's passport."""
    site.store.put_did_document(json.dumps(did_document(site.did, site.ring)).encode())
    publish_passport(site, LOT_PATH, 1, 1)
    publish_passport(site, LOT_PATH, 2, 2)
    publish_passport(site, ITEM_PATH, 1, 3)
    lot = DL + LOT_PATH
    for number, events in ((1, ["urn:uuid:e1", "urn:uuid:e2"]), (2, ["urn:uuid:e3"])):
        subject = {"type": ["TransformationEvent"], "eventIDs": events}
        stored = publish(site, f"dte{number}", credential(site, "dte", subject, 10 + number))
        site.store.link_dte(lot, stored, events)
    subject = {"type": ["FacilityRecord"], "id": FACILITY, "name": "Cathode plant"}
    site.store.put_facility_record(
        FACILITY, publish(site, "dfr", credential(site, "dfr", subject, 20))
    )
    site.store.link_facility(lot, FACILITY)
    site.store.link_facility(lot, UNRECORDED_FACILITY)  # no record yet: not listed
    publish_status_list(site, revoked=[3])


@contextmanager
def serve(store: CredentialStore) -> Iterator[str]:
    """The resolver on 127.0.0.1 (a free port), its event loop in a thread; stopped after.
    Yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runner = web.AppRunner(create_resolver(store, base_url=base + "/"))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
        except BaseException as exc:
            failure.append(exc)
            return
        finally:
            started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="resolver", daemon=True)
    thread.start()
    try:
        started.wait()
        if failure:
            raise failure[0]
        yield base
    finally:
        if not failure:
            loop.call_soon_threadsafe(loop.stop)
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("resolver")
    store = CredentialStore(FileStorage(root / "store"))
    try:
        with serve(store) as base:
            did = SinkSettings(public_base_url=base).did()  # the issuer is this resolver
            site = Site(base, store, KeyRing.load(root / "keys", None, "EdDSA", did=did), did)
            fill(site)
            yield site
    finally:
        store.close()


def test_product_link_redirects_to_the_latest_passport(site: Site) -> None:
    for path in (LOT_PATH, f"/01/{GTIN[1:]}/10/LOT1", f"{LOT_PATH}/"):  # GTIN-13, trailing /
        answer = ask(site.base, path)
        assert answer.status == 307, path
        assert answer.headers["Location"] == site.href(f"{LOT_PATH}@2")
        assert answer.headers["Link"] == (
            f'<{site.base}{LOT_PATH}?linkType=linkset>; rel="linkset"; type="{LINKSET}"'
        )
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "Link" in answer.headers["Access-Control-Expose-Headers"]
    item = ask(site.base, ITEM_PATH)
    assert item.status == 307
    assert item.headers["Location"] == site.href(f"{ITEM_PATH}@1")


def test_redirect_target_serves_the_signed_bytes(site: Site) -> None:
    location = ask(site.base, LOT_PATH).headers["Location"]
    answer = ask(site.base, urlsplit(location).path)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == VC_JWT
    assert answer.body == site.tokens[f"{LOT_PATH}@2"].encode()
    sha = hashlib.sha256(answer.body).hexdigest()
    assert location.endswith("/" + sha)
    assert answer.headers["ETag"] == f'"{sha}"'
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = ask(site.base, urlsplit(location).path, **{"If-None-Match": f'W/"x", "{sha}"'})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == f'"{sha}"'


def test_passport_fetched_through_the_resolver_verifies(site: Site) -> None:
    """Signature against the did:web document and revocation against the status list, both
    fetched from the resolver; the item's passport is revoked in that list."""
    resolve = DidWebResolver()
    assert resolve.url_for(site.did) == f"{site.base}/.well-known/did.json"
    token = ask(site.base, urlsplit(ask(site.base, LOT_PATH).headers["Location"]).path).body
    verified = verify(
        token, resolve_did=resolve, fetch_status=fetch_text, validate=lambda _: [], now=NOW
    )
    assert verified.credential["credentialSubject"]["id"] == DL + LOT_PATH
    assert verified.credential["credentialSubject"]["version"] == 2
    revoked = ask(site.base, urlsplit(ask(site.base, ITEM_PATH).headers["Location"]).path).body
    with pytest.raises(VerificationError) as refused:
        verify(
            revoked, resolve_did=resolve, fetch_status=fetch_text, validate=lambda _: [], now=NOW
        )
    assert refused.value.reason == "revoked"


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?linkType=linkset", {}),
        ("?linkType=all", {}),
        ("", {"Accept": f"{LINKSET}, application/json;q=0.5"}),
    ],
)
def test_linkset(site: Site, query: str, headers: dict[str, str]) -> None:
    answer = ask(site.base, LOT_PATH + query, **headers)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == LINKSET
    assert answer.headers["Link"].startswith(f"<{site.base}{LOT_PATH}?linkType=linkset>")
    (context,) = answer.json()["linkset"]
    assert context["anchor"] == site.base + LOT_PATH
    latest, first = site.href(f"{LOT_PATH}@2"), site.href(f"{LOT_PATH}@1")
    assert context["https://ref.gs1.org/voc/defaultLink"] == [
        {"href": latest, "title": "Digital Product Passport (latest)", "type": VC_JWT}
    ]
    assert context[UNTP + "dpp"] == [
        {"href": latest, "title": "Digital Product Passport, version 2 (latest)",
         "type": VC_JWT, "rel": ["latest-version"]},
        {"href": first, "title": "Digital Product Passport, version 1",
         "type": VC_JWT, "rel": ["predecessor-version"]},
    ]  # fmt: skip
    dtes = {target["href"]: target for target in context[UNTP + "dte"]}
    assert set(dtes) == {site.href("dte1"), site.href("dte2")}
    assert dtes[site.href("dte1")]["title"].startswith("Digital Traceability Event credential (2")
    assert dtes[site.href("dte2")]["type"] == VC_JWT
    assert context[UNTP + "dfr"] == [
        {
            "href": site.href("dfr"),
            "title": f"Digital Facility Record of {FACILITY}",
            "type": VC_JWT,
        }
    ]
    # every target is served, with the media type the linkset announces
    for relation, targets in context.items():
        if relation in ("anchor", "description"):
            continue
        for target in targets:
            served = ask(site.base, urlsplit(target["href"]).path)
            assert served.status == 200
            assert served.headers["Content-Type"] == target["type"]


def test_linkset_of_a_product_with_only_a_passport(site: Site) -> None:
    (context,) = ask(site.base, ITEM_PATH + "?linkType=linkset").json()["linkset"]
    assert sorted(context) == sorted(
        ["anchor", "description", "https://ref.gs1.org/voc/defaultLink", UNTP + "dpp"]
    )


@pytest.mark.parametrize(
    ("link_type", "name"),
    [
        ("untp:dpp", f"{LOT_PATH}@2"),
        (UNTP + "dpp", f"{LOT_PATH}@2"),
        ("gs1:defaultLink", f"{LOT_PATH}@2"),
        ("untp:dfr", "dfr"),
    ],
)
def test_link_type_selects_one(site: Site, link_type: str, name: str) -> None:
    answer = ask(site.base, f"{LOT_PATH}?linkType={link_type}")
    assert answer.status == 307
    assert answer.headers["Location"] == site.href(name)


def test_link_type_dte_redirects_to_the_first_listed(site: Site) -> None:
    (context,) = ask(site.base, LOT_PATH + "?linkType=linkset").json()["linkset"]
    answer = ask(site.base, f"{LOT_PATH}?linkType=untp:dte")
    assert answer.status == 307
    assert answer.headers["Location"] == context[UNTP + "dte"][0]["href"]


def problem_of(answer: Answer, status: int, name: str, base: str) -> dict[str, Any]:
    assert answer.status == status
    assert answer.headers["Content-Type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"{base}/problems/{name}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


@pytest.mark.parametrize(
    ("path", "status", "name", "detail"),
    [
        (f"/01/{GTIN}/10/LOT2", 404, "unknown-product", f"no passport of {DL}/01/{GTIN}/10/LOT2"),
        (f"/01/{GTIN}", 404, "unknown-product", "without a lot"),
        ("/01/09520123456789/10/LOT1", 400, "malformed-identifier", "check digit 9, expected 8"),
        ("/01/123/10/LOT1", 400, "malformed-identifier", "8 or 12 or 13 or 14 digits"),
        (f"{LOT_PATH}?linkType=untp:dcc", 404, "unknown-link-type", "'untp:dcc' is not one of"),
        (f"{ITEM_PATH}?linkType=untp:dte", 404, "no-link-of-type", "has no untp:dte link"),
        (f"{ITEM_PATH}?linkType=untp:dfr", 404, "no-link-of-type", "has no untp:dfr link"),
        ("/credentials/" + "0" * 64, 404, "unknown-credential", "no credential 000"),
        ("/credentials/NOT-A-DIGEST", 404, "unknown-credential", "no SHA-256 digest"),
        ("/status/suspension", 404, "unknown-status-list", "no status list 'suspension'"),
        ("/status/..%2Fdid", 404, "unknown-status-list", "no status list"),
        ("/nothing/here", 404, "not-found", "nothing is served at /nothing/here"),
        ("/problems/no-such-kind", 404, "not-found", "nothing is served"),
    ],
)
def test_problems(site: Site, path: str, status: int, name: str, detail: str) -> None:
    answer = ask(site.base, path)
    body = problem_of(answer, status, name, site.base)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert detail in body["detail"]
    assert body["instance"] == path
    explained = ask(site.base, f"/problems/{name}")  # the type is a URL that explains itself
    assert explained.status == 200
    assert explained.headers["Content-Type"].startswith("text/plain")
    assert body["title"] in explained.body.decode()


def test_other_methods_are_refused(site: Site) -> None:
    answer = ask(site.base, LOT_PATH, method="POST")
    problem_of(answer, 405, "method-not-allowed", site.base)
    assert "GET" in answer.headers["Allow"]


def test_head_answers_like_get_without_a_body(site: Site) -> None:
    redirect = ask(site.base, LOT_PATH, method="HEAD")
    assert redirect.status == 307
    assert redirect.headers["Location"] == site.href(f"{LOT_PATH}@2")
    assert redirect.body == b""
    stored = ask(site.base, f"/credentials/{site.shas['dfr']}", method="HEAD")
    assert stored.status == 200
    assert stored.headers["Content-Type"] == VC_JWT
    assert int(stored.headers["Content-Length"]) == len(site.tokens["dfr"])
    assert stored.headers["ETag"] == f'"{site.shas["dfr"]}"'
    assert stored.body == b""
    linkset = ask(site.base, LOT_PATH + "?linkType=linkset", method="HEAD")
    assert linkset.status == 200
    assert linkset.headers["Content-Type"] == LINKSET
    assert linkset.body == b""
    missing = ask(site.base, f"/01/{GTIN}/10/LOT2", method="HEAD")
    assert missing.status == 404
    assert missing.headers["Content-Type"] == PROBLEM
    for path in ("/.well-known/did.json", "/status/revocation"):
        assert ask(site.base, path, method="HEAD").status == 200


def test_did_document_and_status_list(site: Site) -> None:
    did = ask(site.base, "/.well-known/did.json")
    assert did.status == 200
    assert did.headers["Content-Type"] == "application/did+json"
    assert did.json() == did_document(site.did, site.ring)
    assert did.headers["Cache-Control"] == "no-cache"
    status = ask(site.base, "/status/revocation")
    assert status.status == 200
    assert status.headers["Content-Type"] == VC_JWT
    assert status.body == site.tokens["status"].encode()
    assert status.headers["ETag"] == f'"{site.shas["status"]}"'
    assert status.headers["Cache-Control"] == "no-cache"


def test_redirect_follows_the_latest_pointer_as_it_moves(site: Site) -> None:
    publish_passport(site, MOVING_PATH, 1, 30)
    assert ask(site.base, MOVING_PATH).headers["Location"] == site.href(f"{MOVING_PATH}@1")
    publish_passport(site, MOVING_PATH, 2, 31)
    assert ask(site.base, MOVING_PATH).headers["Location"] == site.href(f"{MOVING_PATH}@2")


def test_a_damaged_credential_is_never_served(site: Site) -> None:
    stored = publish(site, "spare", credential(site, "dpp", {"id": "spare"}, 40))
    storage = site.store.storage
    assert isinstance(storage, FileStorage)
    path = storage.root / "credentials" / stored.sha256
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(damaged))
    answer = ask(site.base, f"/credentials/{stored.sha256}")
    body = problem_of(answer, 500, "storage-error", site.base)
    assert "corrupt" in body["detail"]
    assert bytes(damaged) not in answer.body
