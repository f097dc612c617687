"""Writing sample records to topics and reading topics back in tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import Consumer, Producer, TopicPartition

from connectors.sdk import DLQ_TOPIC, HEADER_PREFIX
from oretrail.kafka import (
    Received,
    TopicSpec,
    consumer_config,
    ensure_topics,
    producer_config,
    received,
)
from oretrail.serde import Serde
from tests.samples import sensor_reading


def readings_and_dlq(bootstrap: str, name: str) -> tuple[str, str]:
    """A readings topic (3 partitions) and a dead-letter topic of the test's own."""
    readings, dlq = f"{name}.readings", f"{name}.dlq"
    ensure_topics(bootstrap, [TopicSpec(readings, 3), TopicSpec(dlq, 1)])
    return readings, dlq


def produce_readings(
    bootstrap: str, topic: str, serde: Serde, count: int = 20
) -> list[dict[str, object]]:
    """``count`` sample sensor readings, keyed by device, acknowledged; returns them as sent."""
    producer = Producer(producer_config(bootstrap))
    sent = [sensor_reading(i) for i in range(count)]
    for rec in sent:
        producer.produce(
            topic,
            key=str(rec["deviceID"]).encode(),
            value=serde.encode("sensor_reading", rec, topic),
        )
    assert producer.flush(30) == 0
    return sent


def read_topic(
    bootstrap: str, topic: str, *, expect: int = 0, timeout: float = 30.0, settle: float = 1.0
) -> list[Received]:
    """Every message on ``topic`` from the start; waits until ``expect`` arrived (or timeout).

    Once they have, it listens ``settle`` more quiet seconds for any extra message; 0 returns
    at once.
    """
    consumer = Consumer(consumer_config(bootstrap, f"test-reader-{time.monotonic_ns()}"))
    try:
        md = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, 0) for p in md.partitions])
        got: list[Received] = []
        deadline = time.monotonic() + timeout
        idle_until = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                # with nothing expected, a few quiet seconds mean we have it all
                if expect == 0 and time.monotonic() > idle_until:
                    break
                if expect and len(got) >= expect and time.monotonic() > idle_until:
                    break
                continue
            if msg.error() is None:
                got.append(received(msg))
                if expect and len(got) >= expect and settle <= 0:
                    break
                idle_until = time.monotonic() + settle
        return got
    finally:
        consumer.close()


def dead_letters(bootstrap: str, connector: str, *, source: str | None = None) -> list[Received]:
    """Dead letters on the shared DLQ topic from one connector (and source), oldest first.

    Callers read after the connector returned: the runner only returns once every dead
    letter was acknowledged, so one read of the topic holds them all.
    """
    everything = read_topic(bootstrap, DLQ_TOPIC, timeout=30.0)
    wanted = []
    for msg in everything:
        if msg.headers.get(HEADER_PREFIX + "connector.name") != connector.encode():
            continue
        if source is not None and msg.headers.get(HEADER_PREFIX + "source.name") != source.encode():
            continue
        wanted.append(msg)
    return wanted


class Collector:
    """Reads a topic from its start, in steps, while the test drives the producing side."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer(consumer_config(bootstrap, f"{topic}.reader.{time.time_ns()}"))
        self.consumer.subscribe([topic])
        self.got: list[Received] = []

    def until(self, done: Callable[[list[Received]], bool], timeout: float = 60) -> list[Received]:
        """Everything read so far, once ``done`` says it is enough (or the time is up)."""
        deadline = time.monotonic() + timeout
        while not done(self.got) and time.monotonic() < deadline:
            msg = self.consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                self.got.append(received(msg))
        return self.got

    def close(self) -> None:
        self.consumer.close()
