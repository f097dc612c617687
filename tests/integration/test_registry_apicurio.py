"""Avro over the real broker through a real registry (Apicurio's Confluent-compatible API).

The same produce / consume / decode round trip as the ``registry-mock`` driver, then what a
mock cannot prove: the schema ids in the messages are the registry's own, a fresh client
decodes from the registry alone, and the registry enforces compatibility as the project's
own BACKWARD rules (``oretrail.schema_compat``) predict.
"""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from oretrail.kafka import TopicSpec, ensure_topics
from oretrail.schema_compat import backward_problems
from oretrail.serde import RegistrySerde, raw_schema
from tests.kafka_helpers import produce_readings, read_topic


def _schema_id(message: bytes) -> int:
    # Confluent wire format: magic byte 0, then the schema id as a big-endian int32.
    (schema_id,) = struct.unpack(">I", message[1:5])
    return int(schema_id)


def _avro(schema: dict[str, Any]) -> Schema:
    return Schema(json.dumps(schema), "AVRO")


def test_produce_consume_decode(bootstrap: str, unique_name: str, registry_url: str) -> None:
    serde = RegistrySerde(registry_url)
    ensure_topics(bootstrap, [TopicSpec(unique_name, 3)])
    sent = produce_readings(bootstrap, unique_name, serde)
    # settle=0, decode at once: after a few idle seconds a fresh client's first request to
    # Apicurio has been seen to get no answer, and RegistrySerde sets no HTTP timeout.
    raw = [m.value for m in read_topic(bootstrap, unique_name, expect=len(sent), settle=0)]
    # A new client has no cached schemas: every decode fetches the writer schema by id.
    fresh = RegistrySerde(registry_url)
    assert [fresh.decode("sensor_reading", m, unique_name) for m in raw] == sent

    subject = f"{unique_name}-value"
    assert subject in fresh.client.get_subjects()
    registered_id = fresh.client.get_latest_version(subject).schema_id
    assert registered_id is not None
    assert {_schema_id(m) for m in raw} == {registered_id}
    served_text = fresh.client.get_schema(registered_id).schema_str
    assert served_text is not None
    served = json.loads(served_text)
    assert served["name"] == "SensorReading"
    assert [f["name"] for f in served["fields"]] == [
        f["name"] for f in raw_schema("sensor_reading")["fields"]
    ]


def _with_field(schema: dict[str, Any], field: dict[str, Any]) -> dict[str, Any]:
    evolved = copy.deepcopy(schema)
    evolved["fields"].append(field)
    return evolved


def test_registry_enforces_backward_compatibility(registry_url: str, unique_name: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = f"{unique_name}-value"
    v1 = raw_schema("sensor_reading")
    first_id = client.register_schema(subject, _avro(v1))
    client.set_compatibility(subject, "BACKWARD")
    assert client.get_compatibility(subject) == "BACKWARD"

    # An optional field with a default: old records still read, so the registry takes it.
    v2 = _with_field(v1, {"name": "batchID", "type": ["null", "string"], "default": None})
    assert backward_problems(v2, v1) == []
    assert client.test_compatibility(subject, _avro(v2)) is True
    second_id = client.register_schema(subject, _avro(v2))
    assert second_id != first_id

    # A required field without a default: records written with v2 lack it.
    v3 = _with_field(v2, {"name": "furnaceZone", "type": "string"})
    assert backward_problems(v3, v2) != []
    assert client.test_compatibility(subject, _avro(v3)) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, _avro(v3))
    assert refused.value.http_status_code == 409
    assert client.get_versions(subject) == [1, 2]
