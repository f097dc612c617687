"""The CredentialStore contract (the sink's layout), run over every backend."""

from __future__ import annotations

import hashlib
import json

import pytest

from sink.storage import (
    CredentialStore,
    StorageConflict,
    StorageError,
    VersionConflict,
)
from tests.integration.storage.racing import expect_lost_swaps_unless_atomic, race

JWT = "application/vc+jwt"
LOT = "https://id.gs1.org/01/09520123456788/10/LOT1"
ITEM = "https://id.gs1.org/01/09520123456788/21/S%2F1-ü"
SITE = "https://id.gs1.org/414/9520123456788"


def cred(n: int) -> bytes:
    return f"eyJhbGciOiJFZERTQSJ9.payload-{n}.sig".encode()


def test_publish_is_content_addressed(store: CredentialStore) -> None:
    data = cred(1)
    stored = store.publish(data, JWT)
    sha = hashlib.sha256(data).hexdigest()
    assert stored.created is True
    assert (stored.sha256, stored.key, stored.url_path) == (
        sha,
        f"credentials/{sha}",
        f"/credentials/{sha}",
    )
    assert stored.media_type == JWT
    found = store.credential(sha)
    assert found is not None
    assert (found.data, found.media_type) == (data, JWT)
    assert hashlib.sha256(store.get(sha) or b"").hexdigest() == sha
    assert store.get(stored.key) == data


def test_republishing_writes_nothing(store: CredentialStore) -> None:
    first = store.publish(cred(1), JWT)
    keys = store.storage.list()
    again = store.publish(cred(1), JWT)
    assert again.created is False
    assert again.sha256 == first.sha256
    assert store.storage.list() == keys


def test_same_bytes_under_another_media_type_is_refused(store: CredentialStore) -> None:
    store.publish(b'{"a":1}', "application/json")
    with pytest.raises(StorageConflict, match="already published as application/json"):
        store.publish(b'{"a":1}', JWT)


def test_unknown_credential_is_none(store: CredentialStore) -> None:
    assert store.credential("0" * 64) is None
    assert store.get("0" * 64) is None


def test_corrupted_bytes_are_reported_not_served(store: CredentialStore) -> None:
    stored = store.publish(cred(1), JWT)
    store.storage.put(stored.key, b"tampered", JWT)
    with pytest.raises(StorageError, match="corrupt"):
        store.credential(stored.sha256)


def test_every_stored_credential_rehashes_to_its_name(store: CredentialStore) -> None:
    for n in range(5):
        stored = store.publish(cred(n), JWT)
        store.record_passport_version(LOT, n, stored)
    names = store.storage.list("credentials/")
    assert len(names) == 5
    for key in names:
        assert hashlib.sha256(store.storage.get(key) or b"").hexdigest() == key.split("/")[-1]


def test_a_version_is_immutable_and_redelivery_writes_nothing(store: CredentialStore) -> None:
    stored = store.publish(cred(1), JWT)
    assert store.record_passport_version(LOT, 1, stored) is True
    snapshot = {key: store.storage.get(key) for key in store.storage.list()}
    assert store.record_passport_version(LOT, 1, stored) is False
    assert {key: store.storage.get(key) for key in store.storage.list()} == snapshot
    other = store.publish(cred(2), JWT)
    with pytest.raises(VersionConflict, match="versions are immutable") as caught:
        store.record_passport_version(LOT, 1, other)
    assert stored.sha256 in str(caught.value)
    ref = store.version(LOT, 1)
    assert ref is not None
    assert ref.sha256 == stored.sha256


def test_versions_are_listed_in_version_order(store: CredentialStore) -> None:
    for version in (10, 2, 1, 100, 9):
        store.record_passport_version(LOT, version, store.publish(cred(version), JWT))
    refs = store.versions(LOT)
    assert [r.version for r in refs] == [1, 2, 9, 10, 100]
    assert all(r.product_id == LOT and r.media_type == JWT for r in refs)
    assert [r.sha256 for r in refs] == [
        hashlib.sha256(cred(v)).hexdigest() for v in (1, 2, 9, 10, 100)
    ]
    assert store.versions(ITEM) == []


def test_latest_never_moves_backwards(store: CredentialStore) -> None:
    assert store.latest(LOT) is None
    stored = {v: store.publish(cred(v), JWT) for v in (1, 2, 3)}
    for version, item in stored.items():
        store.record_passport_version(LOT, version, item)
    assert store.move_latest(LOT, 2) is True
    assert store.move_latest(LOT, 1) is False
    latest = store.latest(LOT)
    assert latest is not None
    assert (latest.version, latest.sha256) == (2, stored[2].sha256)
    assert latest.url_path == stored[2].url_path
    assert store.move_latest(LOT, 2) is False  # re-delivery
    assert store.move_latest(LOT, 3) is True
    assert store.latest(LOT) == store.version(LOT, 3)


def test_latest_only_points_at_recorded_versions(store: CredentialStore) -> None:
    with pytest.raises(StorageError, match="no version 7 recorded"):
        store.move_latest(LOT, 7)
    assert store.latest(LOT) is None


def test_racing_pointer_moves_end_at_the_newest(
    store: CredentialStore, swaps_atomically: bool, request: pytest.FixtureRequest
) -> None:
    expect_lost_swaps_unless_atomic(request, swaps_atomically)
    versions = list(range(1, 7))
    for version in versions:
        store.record_passport_version(LOT, version, store.publish(cred(version), JWT))
    results = race(len(versions), lambda i: store.move_latest(LOT, versions[i]))
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[-1] is True  # the newest always gets there
    latest = store.latest(LOT)
    assert latest is not None
    assert latest.version == versions[-1]


def test_products_are_stored_under_digests_with_their_ids(store: CredentialStore) -> None:
    store.record_passport_version(LOT, 1, store.publish(cred(1), JWT))
    store.record_passport_version(ITEM, 1, store.publish(cred(2), JWT))
    assert store.products() == sorted([LOT, ITEM])
    for product in (LOT, ITEM):
        digest = hashlib.sha256(product.encode()).hexdigest()
        assert store.storage.get(f"products/{digest}/id") == product.encode()
    # No part of a URI ever becomes a key.
    assert all("gs1" not in key and "%" not in key for key in store.storage.list())
    assert store.latest(ITEM) is None
    assert [r.product_id for r in store.versions(ITEM)] == [ITEM]


def test_dte_links(store: CredentialStore) -> None:
    dte = store.publish(cred(50), JWT)
    assert store.link_dte(LOT, dte, ["urn:uuid:2", "urn:uuid:1"]) is True
    assert store.link_dte(LOT, dte, ["urn:uuid:1", "urn:uuid:2", "urn:uuid:1"]) is False
    with pytest.raises(StorageConflict, match="other event ids"):
        store.link_dte(LOT, dte, ["urn:uuid:3"])
    links = store.dte_links(LOT)
    assert [(link.stored.sha256, link.event_ids) for link in links] == [
        (dte.sha256, ("urn:uuid:1", "urn:uuid:2"))
    ]
    assert store.dtes(LOT) == [links[0].stored]
    assert store.dtes(ITEM) == []


def test_facility_records_move_to_the_newest(store: CredentialStore) -> None:
    assert store.facility_record(SITE) is None
    first = store.publish(cred(60), JWT)
    assert store.put_facility_record(SITE, first) is True
    assert store.put_facility_record(SITE, first) is False
    second = store.publish(cred(61), JWT)
    assert store.put_facility_record(SITE, second) is True
    found = store.facility_record(SITE)
    assert found is not None
    assert found.sha256 == second.sha256
    assert store.facilities() == [SITE]
    assert store.credential(first.sha256) is not None  # older records stay retrievable
    assert store.link_facility(LOT, SITE) is True
    assert store.link_facility(LOT, SITE) is False
    assert store.product_facilities(LOT) == [SITE]
    assert store.product_facilities(ITEM) == []


def test_did_document(store: CredentialStore) -> None:
    assert store.did_document() is None
    doc = json.dumps({"id": "did:web:example.com"}).encode()
    assert store.put_did_document(doc) is True
    assert store.put_did_document(doc) is False
    assert store.did_document() == doc
    rotated = json.dumps({"id": "did:web:example.com", "n": 2}).encode()
    assert store.put_did_document(rotated) is True
    assert store.did_document() == rotated


def test_status_lists_by_name(store: CredentialStore) -> None:
    assert store.status_list("revocation") is None
    first = store.put_status_list("revocation", cred(70))
    assert store.status_list("revocation") == cred(70)
    found = store.status_list_credential("revocation")
    assert found is not None
    assert (found.media_type, found.sha256) == (JWT, first.sha256)
    store.put_status_list("revocation", cred(71))
    assert store.status_list("revocation") == cred(71)
    assert store.get(first.sha256) == cred(70)
    assert store.status_list("suspension") is None
    with pytest.raises(StorageError):
        store.put_status_list("../escape", cred(72))
