"""Key rules and the credential store's key mapping (pure: no storage is touched)."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.storage import InvalidKey, validate_key, validate_prefix
from sink.storage import _layout as L
from sink.storage._base import MAX_KEY_LENGTH

SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
segments = st.text(alphabet=SAFE, min_size=1, max_size=20).filter(lambda s: not s.startswith("."))
keys = st.lists(segments, min_size=1, max_size=6).map("/".join)
# Ids are any text without control characters: URIs, percent-encoding, non-ASCII, slashes.
ids = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200)


@given(keys)
def test_keys_of_safe_segments_are_valid(key: str) -> None:
    assert validate_key(key) == key


@given(st.text(max_size=80))
def test_whatever_passes_is_a_relative_path_inside_its_root(text: str) -> None:
    try:
        validate_key(text)
    except InvalidKey:
        return
    path = PurePosixPath(text)
    assert not path.is_absolute()
    assert all(part not in ("", ".", "..") and not part.startswith(".") for part in path.parts)
    assert set(text) <= set(SAFE + "/")
    assert PurePosixPath("/root", text).is_relative_to("/root")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "non-empty"),
        ("/etc/passwd", "relative"),
        ("a//b", "empty segment"),
        ("a/", "empty segment"),
        ("..", "'..'"),
        ("a/../../b", "'..'"),
        (".", "'.'"),
        (".lock-x", "must not start with '.'"),
        ("a b", "letters, digits"),
        ("a\\b", "letters, digits"),
        ("x" * (MAX_KEY_LENGTH + 1), "longer than"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_unsafe_keys_say_why(key: str, reason: str) -> None:
    with pytest.raises(InvalidKey, match=reason.replace("(", r"\(").replace(".", r"\.")):
        validate_key(key)


@pytest.mark.parametrize("prefix", ["", "a", "a/", "a/b", "a/b/", "products/ab"])
def test_prefixes(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "/a", "a//", "a//b", "../", "a/../", ".x"])
def test_unsafe_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidKey):
        validate_prefix(prefix)


@given(ids)
def test_product_ids_map_to_valid_keys_of_their_digest(product_id: str) -> None:
    digest = hashlib.sha256(product_id.encode("utf-8")).hexdigest()
    assert L.product_prefix(product_id) == f"products/{digest}/"
    for key in (
        L.product_id_key(product_id),
        L.latest_key(product_id),
        L.version_key(product_id, 7),
        L.dte_key(product_id, "a" * 64),
        L.product_facility_key(product_id, product_id),
        L.facility_key(product_id),
    ):
        assert validate_key(key) == key
        assert key.startswith(("products/", "facilities/"))


@given(ids, ids)
def test_distinct_product_ids_never_share_a_folder(a: str, b: str) -> None:
    assert (L.product_prefix(a) == L.product_prefix(b)) == (a == b)


def test_the_mapping_is_exact_not_canonicalising() -> None:
    # Canonical ids are the caller's business (oretrail.identifiers); the store keys the
    # string it is given, so two spellings are two products.
    lot = "https://id.gs1.org/01/09520123456788/10/LOT1"
    assert L.product_prefix(lot) != L.product_prefix(lot + "/")
    assert L.product_prefix(lot) != L.product_prefix(lot.upper())


@pytest.mark.parametrize("bad", ["", "a\nb", "tab\there", "nul\x00", "x" * (L.MAX_ID_LENGTH + 1)])
def test_unusable_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidKey):
        L.product_prefix(bad)
    with pytest.raises(InvalidKey):
        L.facility_key(bad)


@given(st.integers(0, L.MAX_VERSION), st.integers(0, L.MAX_VERSION))
def test_version_keys_sort_like_versions(a: int, b: int) -> None:
    ka, kb = L.version_key("p", a), L.version_key("p", b)
    assert (ka < kb) == (a < b)
    assert L.version_of_key(ka) == a


@pytest.mark.parametrize("bad", [-1, L.MAX_VERSION + 1, True, 1.0, "3"])
def test_versions_outside_an_avro_long_are_refused(bad: object) -> None:
    with pytest.raises(InvalidKey):
        L.version_key("p", bad)  # type: ignore[arg-type]  # the check under test


@given(st.binary(max_size=300))
def test_credential_keys_are_their_digest(data: bytes) -> None:
    sha = L.sha256_hex(data)
    assert L.is_sha256(sha)
    assert L.credential_key(sha) == f"credentials/{sha}"
    assert L.credential_url_path(sha) == f"/credentials/{sha}"


@pytest.mark.parametrize("bad", ["", "A" * 64, "a" * 63, "g" * 64, "../" + "a" * 61])
def test_non_digests_are_refused(bad: str) -> None:
    assert not L.is_sha256(bad)
    with pytest.raises(InvalidKey):
        L.credential_key(bad)


def test_status_list_names_are_one_segment() -> None:
    assert L.status_list_key("revocation") == "status/revocation"
    for bad in ("a/b", "..", ".hidden", ""):
        with pytest.raises(InvalidKey):
            L.status_list_key(bad)


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=6))
def test_records_encode_the_same_whatever_the_insertion_order(record: dict[str, object]) -> None:
    reordered = dict(reversed(list(record.items())))
    assert L.encode_record(record) == L.encode_record(reordered)
    assert L.decode_record("k", L.encode_record(record)) == record
