"""Avro records survive the real broker, with each serde driver (registry-less and registry)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import Consumer, Producer

from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config
from oretrail.serde import RegistrySerde, Serde, SingleObjectSerde
from tests.samples import sensor_reading

# One behaviour, every serde backend: registry-less, the client's in-process mock registry,
# and a real Apicurio Registry through its Confluent-compatible API.
DRIVERS: dict[str, Callable[[pytest.FixtureRequest], Serde]] = {
    "single-object": lambda request: SingleObjectSerde(),
    "registry-mock": lambda request: RegistrySerde("mock://kafka-tests"),
    "registry-apicurio": lambda request: RegistrySerde(request.getfixturevalue("registry_url")),
}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_produce_consume_decode(
    bootstrap: str, unique_name: str, driver: str, request: pytest.FixtureRequest
) -> None:
    serde = DRIVERS[driver](request)
    ensure_topics(bootstrap, [TopicSpec(unique_name, 3)])
    producer = Producer(producer_config(bootstrap))
    sent = [sensor_reading(i) for i in range(20)]
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
