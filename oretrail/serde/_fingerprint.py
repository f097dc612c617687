"""CRC-64-AVRO (Rabin) fingerprints of Parsing Canonical Form, as the Avro spec defines."""

from __future__ import annotations

from typing import Any

from fastavro.schema import to_parsing_canonical_form

_EMPTY = 0xC15D213AA4D7A795


def _table() -> tuple[int, ...]:
    out = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        out.append(fp)
    return tuple(out)


_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def fingerprint(schema: dict[str, Any]) -> bytes:
    """The 8-byte little-endian fingerprint used in single-object encoding."""
    canonical: str = to_parsing_canonical_form(schema)
    return crc64_avro(canonical.encode()).to_bytes(8, "little")
