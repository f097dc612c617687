"""Kafka client configuration and topic management, in one place for every role.

Producers are idempotent with ``acks=all``: a traceability record acknowledged once is
durable and never duplicated by a producer retry. Topics are created here with explicit
partition counts; the embedded broker has auto-creation switched off.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from oretrail.broker import status
from oretrail.config import Settings


class BootstrapError(RuntimeError):
    """No Kafka cluster is configured and no embedded broker is running."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""


# Keys are lot / device / product ids, so these partition counts bound the parallelism
# of the processors; they can grow later (keyed state is re-partitioned by faust).
TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("oretrail.events", 6, doc="TraceEvent, keyed by the lot the event is about"),
    TopicSpec("oretrail.sensor-readings", 6, doc="SensorReading, keyed by device"),
    TopicSpec(
        "oretrail.passport-updates",
        6,
        {"cleanup.policy": "compact,delete"},
        "PassportUpdate, keyed by product",
    ),
    TopicSpec("oretrail.credentials", 3, doc="CredentialPublished, keyed by credential id"),
    TopicSpec("oretrail.alerts", 3, doc="laundering / mass-balance alerts"),
    TopicSpec("oretrail.dlq", 3, doc="DeadLetter records from every connector and processor"),
)


def bootstrap(settings: Settings) -> str:
    """The configured cluster, else the embedded broker recorded under ``home``."""
    if settings.bootstrap:
        return settings.bootstrap
    info = status(settings)
    if info is None or not info.running:
        raise BootstrapError(
            "no Kafka configured: set ORETRAIL_BOOTSTRAP / --bootstrap, "
            "or start the embedded broker with `oretrail broker start`"
        )
    return info.bootstrap


def producer_config(bootstrap_servers: str, **overrides: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "lz4",
        "linger.ms": 5,
    }
    conf.update(overrides)
    return conf


def consumer_config(bootstrap_servers: str, group_id: str, **overrides: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }
    conf.update(overrides)
    return conf


def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec] = TOPICS, timeout: float = 30.0
) -> list[str]:
    """Create the missing topics; returns the names created (existing ones are kept)."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    existing = set(admin.list_topics(timeout=timeout).topics)
    wanted = [s for s in specs if s.name not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [NewTopic(s.name, s.partitions, 1, config=dict(s.config)) for s in wanted],
        operation_timeout=timeout,
    )
    created = []
    for name, fut in futures.items():
        try:
            fut.result()
            created.append(name)
        except KafkaException as exc:
            # Another process may have created it between list and create: that is fine.
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return sorted(created)


@dataclass(frozen=True)
class Received:
    """A consumed message with the optional parts the client types allow pinned down."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


def received(msg: Message) -> Received:
    """Unpack a consumed (non-error) message; tombstones arrive with an empty value."""
    headers: dict[str, bytes] = {}
    raw_headers = msg.headers() or []
    # librdkafka hands consumed headers back as a list of (name, bytes | None) pairs.
    pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
    for pair in pairs:
        if isinstance(pair, tuple) and len(pair) == 2:
            name, raw = pair
            headers[str(name)] = raw if isinstance(raw, bytes) else str(raw or "").encode()
    key, value = msg.key(), msg.value()
    return Received(
        topic=msg.topic() or "",
        partition=msg.partition() or 0,
        offset=msg.offset() or 0,
        key=key.encode() if isinstance(key, str) else key,
        value=value.encode() if isinstance(value, str) else (value or b""),
        headers=headers,
    )


# Right after a topic is created its partitions' leadership is still settling; these answers
# mean "ask again shortly", not "something is wrong".
_SETTLING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._TIMED_OUT,
}


def end_offsets(consumer: Consumer, topic: str, timeout: float = 30.0) -> dict[int, int]:
    """High watermark per partition of ``topic`` ({} when it does not exist)."""
    md = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if md is None or md.error is not None:
        return {}
    deadline = time.monotonic() + timeout
    ends: dict[int, int] = {}
    for partition in md.partitions:
        while True:
            try:
                ends[partition] = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )[1]
                break
            except KafkaException as exc:
                if exc.args[0].code() not in _SETTLING or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    return ends
