"""Reading topics back in tests, without consumer groups that outlive the test."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, TopicPartition

from connectors.sdk import DLQ_TOPIC, HEADER_PREFIX
from oretrail.kafka import Received, consumer_config, received


def read_topic(
    bootstrap: str, topic: str, *, expect: int = 0, timeout: float = 30.0
) -> list[Received]:
    """Every message on ``topic`` from the start; waits until ``expect`` arrived (or timeout)."""
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
                idle_until = time.monotonic() + 1.0
        return got
    finally:
        consumer.close()


def dead_letters(
    bootstrap: str, connector: str, *, source: str | None = None, expect: int = 0
) -> list[Received]:
    """Dead letters on the shared DLQ topic from one connector (and source), oldest first."""
    everything = read_topic(bootstrap, DLQ_TOPIC, timeout=30.0)
    wanted = []
    for msg in everything:
        if msg.headers.get(HEADER_PREFIX + "connector.name") != connector.encode():
            continue
        if source is not None and msg.headers.get(HEADER_PREFIX + "source.name") != source.encode():
            continue
        wanted.append(msg)
    return wanted
