"""Avro records survive the real broker, with each serde driver (registry-less and registry)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from confluent_kafka import Consumer, Producer

from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config
from oretrail.serde import RegistrySerde, Serde, SingleObjectSerde

DRIVERS: dict[str, Callable[[], Serde]] = {
    "single-object": SingleObjectSerde,
    "registry-mock": lambda: RegistrySerde("mock://kafka-tests"),
}


def _reading(i: int) -> dict[str, object]:
    return {
        "readingID": f"r-{i}",
        "deviceID": "urn:dev:furnace-7",
        "assetID": "https://id.gs1.org/414/0614141073467",
        "type": "gs1:Temperature",
        "time": datetime(2026, 11, 24, 12, 0, i, tzinfo=UTC),
        "value": 1250.0 + i,
        "stringValue": None,
        "uom": "CEL",
        "attributes": {"line": "kiln-2"},
        "origin": {
            "connector": "test",
            "source": "mqtt://plant/furnace",
            "position": str(i),
            "format": "mqtt-json",
            "receivedAt": datetime(2026, 11, 24, 12, 0, 59, tzinfo=UTC),
        },
    }


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_produce_consume_decode(bootstrap: str, unique_name: str, driver: str) -> None:
    serde = DRIVERS[driver]()
    ensure_topics(bootstrap, [TopicSpec(unique_name, 3)])
    producer = Producer(producer_config(bootstrap))
    sent = [_reading(i) for i in range(20)]
    for rec in sent:
        producer.produce(
            unique_name,
            key=str(rec["deviceID"]).encode(),
            value=serde.encode("sensor_reading", rec, unique_name),
        )
    assert producer.flush(30) == 0
    consumer = Consumer(consumer_config(bootstrap, unique_name))
    consumer.subscribe([unique_name])
    got = []
    for _ in range(60):
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            got.append(serde.decode("sensor_reading", msg.value(), unique_name))
        if len(got) == len(sent):
            break
    consumer.close()
    # Same key → same partition → order kept.
    assert got == sent
