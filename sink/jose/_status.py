"""W3C Bitstring Status List v1.0: the revocation list and the entries that point into it.

The bitstring is at least 131,072 bits (16 KiB, the spec's herd-privacy minimum); bit 0 is
the left-most (most significant) bit of the first byte. ``encodedList`` is the multibase
base64url (prefix ``u``, no padding) of the GZIP of the bitstring.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from sink.jose._jws import VC_CONTEXT

MIN_BITS = 131_072
# a decoded list may not exceed this: a small GZIP can inflate to gigabytes
MAX_BYTES = 16 * 1024 * 1024
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
CREDENTIAL_TYPE = "BitstringStatusListCredential"
Purpose = Literal["revocation", "suspension"]


class StatusListError(ValueError):
    """An encoded list or an index that does not fit the Bitstring Status List rules."""


class StatusList:
    """A mutable bitstring of status bits (one bit per credential, statusSize 1)."""

    def __init__(self, size: int = MIN_BITS, data: bytes | None = None) -> None:
        if size < MIN_BITS or size % 8:
            raise StatusListError(f"a status list has a multiple of 8 bits >= {MIN_BITS}")
        if data is not None and len(data) * 8 != size:
            raise StatusListError(f"{len(data)} bytes do not hold {size} bits")
        self._bits = bytearray(data) if data is not None else bytearray(size // 8)

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self):
            raise StatusListError(f"index {index} is outside the list of {len(self)} bits")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        mask = 0x80 >> (index & 7)
        if value:
            self._bits[index >> 3] |= mask
        else:
            self._bits[index >> 3] &= ~mask & 0xFF

    def revoke(self, index: int) -> None:
        self.set(index, True)

    def set_indices(self) -> list[int]:
        return [
            (i << 3) + b
            for i, byte in enumerate(self._bits)
            if byte
            for b in range(8)
            if byte & (0x80 >> b)
        ]

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        # mtime=0: the same bits always encode to the same text (stable content hashes)
        packed = gzip.compress(bytes(self._bits), mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> StatusList:
        if not encoded.startswith("u"):
            raise StatusListError("encodedList is not multibase base64url (prefix 'u')")
        body = encoded[1:]
        if "=" in body or not body.replace("-", "").replace("_", "").isalnum():
            raise StatusListError("encodedList is not unpadded base64url")
        try:
            packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except binascii.Error as exc:
            raise StatusListError(f"encodedList is not base64url ({exc})") from None
        inflater = zlib.decompressobj(wbits=31)  # 31: GZIP container
        try:
            data = inflater.decompress(packed, MAX_BYTES + 1)
        except zlib.error as exc:
            raise StatusListError(f"encodedList is not GZIP data ({exc})") from None
        if len(data) > MAX_BYTES:
            raise StatusListError(f"encodedList inflates past {MAX_BYTES} bytes")
        if not inflater.eof:
            raise StatusListError("encodedList is truncated GZIP data")
        if len(data) * 8 < MIN_BITS:
            raise StatusListError(f"the list has {len(data) * 8} bits, fewer than {MIN_BITS}")
        return cls(len(data) * 8, data)


def status_entry(list_url: str, index: int, purpose: Purpose = "revocation") -> dict[str, Any]:
    """The ``credentialStatus`` of a credential whose status is bit ``index`` of the list."""
    if index < 0:
        raise StatusListError(f"a status list index is >= 0, not {index}")
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a credential time needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(
    list_url: str,
    status_list: StatusList,
    *,
    issuer: str | Mapping[str, Any],
    valid_from: datetime,
    purpose: Purpose = "revocation",
) -> dict[str, Any]:
    """The (unsigned) ``BitstringStatusListCredential`` published at ``list_url``."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": _timestamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": LIST_TYPE,
            "statusPurpose": purpose,
            "encodedList": status_list.encode(),
        },
    }


def status_list_problems(credential: Mapping[str, Any]) -> list[str]:
    """Why a credential is not a usable status list credential ([] when it is)."""
    problems: list[str] = []
    types = credential.get("type")
    if not isinstance(types, list) or CREDENTIAL_TYPE not in types:
        problems.append(f"type does not include {CREDENTIAL_TYPE}")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return [*problems, "credentialSubject is not an object"]
    if subject.get("type") != LIST_TYPE:
        problems.append(f"credentialSubject.type is not {LIST_TYPE}")
    if not isinstance(subject.get("statusPurpose"), str):
        problems.append("credentialSubject.statusPurpose is missing")
    if not isinstance(subject.get("encodedList"), str):
        problems.append("credentialSubject.encodedList is missing")
    return problems
