"""The sink on a real broker: TraceEvents and PassportUpdates in, signed credentials in the
store and CredentialPublished records out; undecodable bytes dead-lettered; a restart from
the committed offsets re-reads nothing, and a fresh consumer group that re-reads everything
writes nothing new.

Every run has its own topics and group; the runner runs in a thread of the test.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from connectors.sdk import HEADER_PREFIX
from oretrail.config import Settings
from oretrail.kafka import TopicSpec, ensure_topics, producer_config
from oretrail.serde import Serde, serde_for
from sink.config import SinkSettings
from sink.jose import verify
from sink.pipeline import Publisher, SinkRunner, SinkTopics
from sink.storage import CredentialStore
from sink.untp import validate
from tests.kafka_helpers import read_topic
from tests.sink_inputs import (
    CSF,
    KOL,
    facilities_file,
    later_events,
    passport_update,
    refinery_events,
)

PARTITIONS = 3


@dataclass
class Sink:
    """One SinkRunner in a thread, and the exception it ended with."""

    runner: SinkRunner
    thread: threading.Thread = field(init=False)
    error: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        def target() -> None:
            try:
                self.runner.run()
            except BaseException as exc:
                self.error.append(exc)

        self.thread = threading.Thread(target=target, name="sink", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.runner.stop()
        self.thread.join(120)
        assert not self.thread.is_alive(), "the runner did not stop"
        assert not self.error, self.error

    def until(self, done: Callable[[], bool], what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert not self.error, self.error
            assert time.monotonic() < deadline, f"gave up waiting: {what}"
            time.sleep(0.2)


@pytest.fixture
def world(
    bootstrap: str, kafka_settings: Settings, unique_name: str, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    topics = SinkTopics(
        events_topic=f"{unique_name}.events",
        passports_topic=f"{unique_name}.passports",
        credentials_topic=f"{unique_name}.credentials",
        dlq_topic=f"{unique_name}.dlq",
        group_id=f"{unique_name}.sink",
    )
    ensure_topics(
        bootstrap,
        [
            TopicSpec(topics.events_topic, PARTITIONS),
            TopicSpec(topics.passports_topic, PARTITIONS),
            TopicSpec(topics.credentials_topic, 1),
            TopicSpec(topics.dlq_topic, 1),
        ],
    )
    cfg = SinkSettings(
        storage_url=(tmp_path / "store").as_uri(),
        key_dir=tmp_path / "keys",
        facilities=facilities_file(tmp_path),
    )
    publishers: list[Publisher] = []
    yield {
        "topics": topics,
        "cfg": cfg,
        "serde": serde_for(kafka_settings),
        "publishers": publishers,
    }
    for pub in publishers:
        pub.close()


def start(world: dict[str, Any], bootstrap: str, tmp: Path, **topics: str) -> Sink:
    pub = Publisher(world["cfg"], tmp)
    world["publishers"].append(pub)
    chosen = dataclasses.replace(world["topics"], **topics)
    return Sink(SinkRunner(pub, bootstrap, world["serde"], chosen, poll_seconds=0.1))


def produce(bootstrap: str, topic: str, serde: Serde, schema: str, records: list[Any]) -> None:
    producer = Producer(producer_config(bootstrap))
    for key, record in records:
        value = record if isinstance(record, bytes) else serde.encode(schema, record, topic)
        producer.produce(topic, key=key.encode(), value=value)
    assert producer.flush(30) == 0


def produce_markers(bootstrap: str, topics: SinkTopics) -> None:
    """An empty message (nothing to publish) at the end of every partition of both inputs."""
    producer = Producer(producer_config(bootstrap))
    for topic in (topics.events_topic, topics.passports_topic):
        for partition in range(PARTITIONS):
            producer.produce(topic, key=b"marker", value=b"", partition=partition)
    assert producer.flush(30) == 0


def snapshot(store: CredentialStore) -> dict[str, bytes]:
    return {key: store.storage.get(key) or b"" for key in store.storage.list()}


def published(bootstrap: str, topic: str, serde: Serde, expect: int = 0) -> list[dict[str, Any]]:
    return [
        serde.decode("credential_published", m.value, topic)
        for m in read_topic(bootstrap, topic, expect=expect, settle=0 if expect else 1.0)
    ]


def caught_up(sink: Sink, bootstrap: str, topics: SinkTopics) -> Callable[[], bool]:
    """True once the runner has read every message now on both input topics."""
    from confluent_kafka import Consumer

    from oretrail.kafka import consumer_config, end_offsets

    probe = Consumer(consumer_config(bootstrap, f"{topics.group_id}.probe"))
    try:
        ends = {
            (topic, p): end
            for topic in (topics.events_topic, topics.passports_topic)
            for p, end in end_offsets(probe, topic).items()
        }
    finally:
        probe.close()

    def done() -> bool:
        read = sink.runner.positions()
        return all(read.get(tp, 0) >= end for tp, end in ends.items() if end > 0)

    return done


def test_the_sink_publishes_verifiable_credentials_and_a_restart_writes_nothing_new(
    world: dict[str, Any], bootstrap: str, tmp_path: Path
) -> None:
    topics: SinkTopics = world["topics"]
    serde: Serde = world["serde"]
    events, later = refinery_events(), later_events()
    v1, state = passport_update(CSF, events, events)
    v2, _ = passport_update(CSF, events + later, later, previous=state)
    ore, _ = passport_update(KOL, events, events[:3])
    # the passports first: they wait for their events, which arrive afterwards
    updates = [(CSF, v1), (KOL, ore), (CSF, v2)]
    produce(bootstrap, topics.passports_topic, serde, "passport_update", updates)
    keyed = [(str(e["eventID"]), e) for e in events + later]
    produce(bootstrap, topics.events_topic, serde, "trace_event", [*keyed, ("junk", b"not Avro")])

    sink = start(world, bootstrap, tmp_path)
    records = published(bootstrap, topics.credentials_topic, serde, expect=1 + 5 + 2 + 3)
    sink.until(caught_up(sink, bootstrap, topics), "the sink read both topics")
    sink.stop()

    kinds = sorted(r["credentialType"] for r in records)
    assert kinds == sorted(
        ["BitstringStatusListCredential"]
        + ["DigitalTraceabilityEvent"] * 5
        + ["DigitalFacilityRecord"] * 2
        + ["DigitalProductPassport"] * 3
    )
    dpps = {(r["productID"], r["version"]) for r in records if r["productID"]}
    assert dpps == {(CSF, 1), (CSF, 2), (KOL, 1)}
    store = world["publishers"][0].store
    document = json.loads(store.did_document() or b"{}")

    def status(url: str) -> str:
        return (store.status_list("revocation") or b"").decode()

    for record in records:
        data = store.get(record["hashDigest"])
        assert data is not None, record
        untp = record["credentialType"] != "BitstringStatusListCredential"
        verified = verify(
            data.decode(),
            resolve_did=lambda did: document,
            fetch_status=status,
            validate=validate if untp else lambda credential: [],
            now=datetime.now(UTC),
        )
        assert verified.credential["id"] == record["credentialID"]
    latest = store.latest(CSF)
    assert latest is not None
    assert latest.version == 2

    (letter,) = read_topic(bootstrap, topics.dlq_topic, expect=1, settle=0)
    dead = serde.decode("dead_letter", letter.value, topics.dlq_topic)
    assert dead["stage"] == "parse"
    assert dead["sourceTopic"] == topics.events_topic
    assert dead["payload"] == b"not Avro"
    assert letter.headers[HEADER_PREFIX + "connector.name"] == b"oretrail-sink"

    # restart from the committed offsets: nothing to read again, nothing written
    before = snapshot(store)
    sink = start(world, bootstrap, tmp_path)
    produce_markers(bootstrap, topics)
    sink.until(caught_up(sink, bootstrap, topics), "the restarted sink reached the markers")
    sink.stop()
    assert (sink.runner.stats.events, sink.runner.stats.passports) == (0, 0)
    assert snapshot(store) == before
    assert len(published(bootstrap, topics.credentials_topic, serde)) == len(records)

    # a new group reads everything again: the store does not change
    replay = start(world, bootstrap, tmp_path, group_id=f"{topics.group_id}.replay")
    replay.until(caught_up(replay, bootstrap, topics), "the replaying sink read both topics")
    replay.stop()
    assert replay.runner.stats.events == len(events + later)
    assert replay.runner.stats.passports == 3
    assert snapshot(store) == before
