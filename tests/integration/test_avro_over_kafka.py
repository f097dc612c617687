"""Avro records survive the real broker, with each serde driver (registry-less and registry)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oretrail.kafka import TopicSpec, ensure_topics
from oretrail.serde import RegistrySerde, Serde, SingleObjectSerde
from tests.kafka_helpers import produce_readings, read_topic

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
    sent = produce_readings(bootstrap, unique_name, serde)
    got = [
        serde.decode("sensor_reading", m.value, unique_name)
        for m in read_topic(bootstrap, unique_name, expect=len(sent), settle=0)
    ]
    # Same key → same partition → order kept.
    assert got == sent
