"""Bitstring Status List v1.0: bit order, encoding, the entry and the list credential."""

from __future__ import annotations

import base64
import gzip
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sink.jose import MIN_BITS, StatusList, StatusListError, status_entry, status_list_credential
from tests.unit.jose_helpers import DID

URL = "https://issuer.example/status/revocation"


def _raw(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_an_empty_list_has_the_minimum_size_and_no_bit_set() -> None:
    bits = StatusList()
    assert len(bits) == MIN_BITS == 131_072
    assert bits.set_indices() == []
    assert _raw(bits.encode()) == bytes(MIN_BITS // 8)


def test_index_zero_is_the_leftmost_bit_of_the_first_byte() -> None:
    bits = StatusList()
    bits.revoke(0)
    bits.revoke(9)
    bits.revoke(MIN_BITS - 1)
    raw = _raw(bits.encode())
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert raw[-1] == 0b0000_0001
    assert sum(raw[2:-1]) == 0


def test_encoding_is_multibase_base64url_of_gzip_and_deterministic() -> None:
    bits = StatusList()
    bits.revoke(42)
    encoded = bits.encode()
    assert re.fullmatch(r"u[A-Za-z0-9_-]+", encoded)  # multibase base64url, unpadded
    assert base64.urlsafe_b64decode(encoded[1:] + "==")[:2] == b"\x1f\x8b"  # GZIP magic
    again = StatusList()
    again.revoke(42)
    assert again.encode() == encoded


@settings(max_examples=200, deadline=None)
@given(
    extra_bytes=st.integers(min_value=0, max_value=4096),
    picks=st.lists(st.integers(min_value=0), max_size=40),
)
def test_encode_decode_round_trip_and_set_bits_read_back(
    extra_bytes: int, picks: list[int]
) -> None:
    size = MIN_BITS + 8 * extra_bytes
    indices = sorted({p % size for p in picks})
    bits = StatusList(size)
    for index in indices:
        bits.revoke(index)
    decoded = StatusList.decode(bits.encode())
    assert len(decoded) == size
    assert decoded.set_indices() == indices
    assert all(decoded.get(i) for i in indices)
    # no other bit is set: the population count of the bytes is the number of indices
    assert sum(bin(byte).count("1") for byte in decoded.to_bytes()) == len(indices)
    assert decoded.to_bytes() == bits.to_bytes()


def test_clearing_a_bit() -> None:
    bits = StatusList()
    bits.set(5)
    bits.set(5, False)
    assert not bits.get(5)


@pytest.mark.parametrize("index", [-1, MIN_BITS])
def test_index_outside_the_list(index: int) -> None:
    with pytest.raises(StatusListError, match="outside"):
        StatusList().get(index)


@pytest.mark.parametrize("size", [MIN_BITS - 8, MIN_BITS + 1, 0])
def test_size_below_the_minimum_or_not_whole_bytes(size: int) -> None:
    with pytest.raises(StatusListError):
        StatusList(size)


def _encode_raw(data: bytes) -> str:
    packed = gzip.compress(data)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("H4sIAAAAAAAA", "prefix 'u'"),
        ("u", "base64url"),
        ("uAAA=", "base64url"),
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="), "GZIP"),
        (_encode_raw(bytes(1024)), "fewer than 131072"),
        (_encode_raw(bytes(MIN_BITS // 8))[:40], "truncated"),
        (_encode_raw(bytes(17 * 1024 * 1024)), "inflates past"),
    ],
)
def test_decode_refuses(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        StatusList.decode(encoded)


def test_status_entry() -> None:
    assert status_entry(URL, 94567) == {
        "id": f"{URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": URL,
    }
    with pytest.raises(StatusListError):
        status_entry(URL, -1)


def test_status_list_credential() -> None:
    bits = StatusList()
    bits.revoke(3)
    vc = status_list_credential(
        URL, bits, issuer=DID, valid_from=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    )
    assert vc == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": DID,
        "validFrom": "2026-01-02T03:04:05Z",
        "credentialSubject": {
            "id": f"{URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": bits.encode(),
        },
    }
    assert StatusList.decode(vc["credentialSubject"]["encodedList"]).set_indices() == [3]
    with pytest.raises(ValueError, match="time zone"):
        status_list_credential(URL, bits, issuer=DID, valid_from=datetime(2026, 1, 2))
