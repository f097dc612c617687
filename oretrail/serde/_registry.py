"""Confluent wire format (``00`` + 4-byte schema id + body) through a schema registry.

The registry client is confluent-kafka's: ``http(s)://`` for a real Confluent-compatible
registry (Confluent, Apicurio's ccompat API), ``mock://`` for its in-process driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from oretrail.serde._base import SerdeError
from oretrail.serde._schemas import schema_text


def _to_dict(obj: Any, ctx: SerializationContext) -> Any:
    return obj


class RegistrySerde:
    def __init__(self, url: str, user: str | None = None, password: str | None = None) -> None:
        # A bounded wait per request: without it a registry that never answers (seen once in
        # a few runs with a fresh Apicurio client) hangs the caller forever; the client
        # retries transport errors, timeouts included, before raising.
        conf: dict[str, Any] = {"url": url, "timeout": 10}
        if user is not None and password is not None:
            conf["basic.auth.user.info"] = f"{user}:{password}"
        self.client = SchemaRegistryClient.new_client(conf)
        self._serializers: dict[str, AvroSerializer] = {}
        self._deserializers: dict[str, AvroDeserializer] = {}

    def encode(self, schema: str, record: Mapping[str, Any], topic: str) -> bytes:
        ser = self._serializers.get(schema)
        if ser is None:
            ser = AvroSerializer(
                self.client, schema_text(schema), _to_dict, {"auto.register.schemas": True}
            )
            self._serializers[schema] = ser
        try:
            data = ser(dict(record), SerializationContext(topic, MessageField.VALUE))
        except Exception as exc:
            raise SerdeError(f"record does not match schema {schema}: {exc}") from exc
        if not isinstance(data, bytes):
            raise SerdeError(f"serializer returned {type(data).__name__} for {schema}")
        return data

    def decode(self, schema: str, data: bytes, topic: str) -> dict[str, Any]:
        de = self._deserializers.get(schema)
        if de is None:
            de = AvroDeserializer(self.client, schema_text(schema))
            self._deserializers[schema] = de
        if len(data) < 5 or data[0] != 0:
            raise SerdeError("not Confluent wire format (missing magic byte 0)")
        try:
            rec = de(data, SerializationContext(topic, MessageField.VALUE))
        except Exception as exc:
            raise SerdeError(f"cannot decode {schema}: {exc}") from exc
        if not isinstance(rec, dict):
            raise SerdeError(f"{schema} decoded to {type(rec).__name__}, expected a record")
        return rec
