"""sink.pipeline._status: status list indices handed out once per credential (also across
writers), growth of the list beyond the minimum size, revocation bits published signed."""

from __future__ import annotations

from pathlib import Path

from sink.jose import MIN_BITS, KeyRing, StatusList
from sink.pipeline._records import jws_payload
from sink.pipeline._status import RevocationList
from sink.storage import CredentialStore, FileStorage

DID = "did:web:127.0.0.1%3A8780"
URL = "http://127.0.0.1:8780/status/revocation"


def revocation_list(tmp: Path) -> RevocationList:
    store = CredentialStore(FileStorage(tmp / "store", durable=False))
    ring = KeyRing.load(tmp / "keys", None, "EdDSA", did=DID)
    return RevocationList(store, ring, DID, URL)


def published_bits(rl: RevocationList, tmp: Path) -> StatusList:
    store = CredentialStore(FileStorage(tmp / "store"))
    token = store.status_list("revocation")
    assert token is not None
    return StatusList.decode(jws_payload(token)["credentialSubject"]["encodedList"])


def test_a_credential_keeps_its_index_and_two_writers_never_share_one(tmp_path: Path) -> None:
    one, two = revocation_list(tmp_path), revocation_list(tmp_path)
    first, _ = one.entry("urn:uuid:a")
    again, _ = two.entry("urn:uuid:a")
    other, _ = two.entry("urn:uuid:b")
    assert first == again
    assert first["statusListIndex"] != other["statusListIndex"]
    assert first["statusListCredential"] == URL
    assert first["statusPurpose"] == "revocation"


def test_the_first_entry_publishes_the_empty_list(tmp_path: Path) -> None:
    rl = revocation_list(tmp_path)
    _, records = rl.entry("urn:uuid:a")
    (record,) = records
    assert record["credentialType"] == "BitstringStatusListCredential"
    assert len(published_bits(rl, tmp_path)) == MIN_BITS
    assert rl.sync() == [], "published and bits agree"


def test_revoking_sets_the_published_bit_once(tmp_path: Path) -> None:
    rl = revocation_list(tmp_path)
    entry, _ = rl.entry("urn:uuid:a")
    index = int(entry["statusListIndex"])
    assert not rl.is_revoked(index)
    (record,) = rl.revoke(index)
    assert record["version"] == 1
    assert published_bits(rl, tmp_path).set_indices() == [index]
    assert rl.revoke(index) == []
    assert revocation_list(tmp_path).is_revoked(index)


def test_an_index_beyond_the_list_grows_it_before_it_is_handed_out(tmp_path: Path) -> None:
    rl = revocation_list(tmp_path)
    rl.entry("urn:uuid:first")
    rl.revoke(0)
    # the first unreserved index is kept in the pipeline's own record: move it to the
    # list's end, then a new writer reserves its block there
    rl._storage.put("pipeline/status-lists/revocation/next", b'{"next":131072}', "application/json")
    entry, records = revocation_list(tmp_path).entry("urn:uuid:beyond")
    assert entry["statusListIndex"] == str(MIN_BITS)
    assert records, "the grown list was published"
    bits = published_bits(rl, tmp_path)
    assert len(bits) == 2 * MIN_BITS
    assert bits.set_indices() == [0], "earlier bits survive"
