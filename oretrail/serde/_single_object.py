"""Registry-less Avro: single-object encoding (``C3 01`` + 8-byte fingerprint + body).

Writer schemas are found by fingerprint among every shipped and released version, so a
consumer reads what an older producer wrote, resolved to the current reader schema.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import fastavro

from oretrail.serde._base import SerdeError
from oretrail.serde._fingerprint import fingerprint
from oretrail.serde._schemas import historic_schemas, parsed_schema, raw_schema

MAGIC = b"\xc3\x01"


class SingleObjectSerde:
    def __init__(self) -> None:
        self._header: dict[str, bytes] = {}
        self._writers: dict[bytes, dict[str, Any]] = {}

    def _header_for(self, schema: str) -> bytes:
        header = self._header.get(schema)
        if header is None:
            header = MAGIC + fingerprint(raw_schema(schema))
            self._header[schema] = header
            for old in historic_schemas(schema):
                parsed = fastavro.parse_schema(old)
                if isinstance(parsed, dict):
                    self._writers[fingerprint(old)] = parsed
        return header

    def encode(self, schema: str, record: Mapping[str, Any], topic: str) -> bytes:
        buf = io.BytesIO()
        buf.write(self._header_for(schema))
        try:
            fastavro.schemaless_writer(buf, parsed_schema(schema), record)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise SerdeError(f"record does not match schema {schema}: {exc}") from exc
        return buf.getvalue()

    def decode(self, schema: str, data: bytes, topic: str) -> dict[str, Any]:
        self._header_for(schema)
        if len(data) < 10 or data[:2] != MAGIC:
            raise SerdeError("not Avro single-object encoded (missing C3 01 header)")
        writer = self._writers.get(bytes(data[2:10]))
        if writer is None:
            raise SerdeError(
                f"unknown writer schema fingerprint {data[2:10].hex()} for {schema}: "
                "written by a newer or foreign schema"
            )
        try:
            rec = fastavro.schemaless_reader(io.BytesIO(data[10:]), writer, parsed_schema(schema))
        except Exception as exc:  # fastavro raises assorted errors on corrupt bodies
            raise SerdeError(f"corrupt {schema} body: {exc}") from exc
        if not isinstance(rec, dict):
            raise SerdeError(f"{schema} decoded to {type(rec).__name__}, expected a record")
        return rec
