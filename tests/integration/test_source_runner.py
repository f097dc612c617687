"""The connector runner on the real broker: records land, bad input is dead-lettered with
Kafka Connect style headers, and positions are committed only once acknowledged."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.sdk import HEADER_PREFIX, Rejected, Source, SourceRecord, SourceRunner, StateStore
from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config, received
from oretrail.serde import SingleObjectSerde


class ListConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid")
    topic: str


def _reading(i: int) -> dict[str, Any]:
    when = datetime(2026, 11, 24, 9, 0, i % 60, tzinfo=UTC)
    return {
        "readingID": f"r{i}",
        "deviceID": "urn:dev:scale-1",
        "assetID": None,
        "type": "gs1:Mass",
        "time": when,
        "value": float(i),
        "stringValue": None,
        "uom": "KGM",
        "attributes": {},
        "origin": {
            "connector": "list",
            "source": "memory",
            "position": str(i),
            "format": "test",
            "receivedAt": when,
        },
    }


class ListSource(Source):
    name = "list"
    config_model = ListConfig
    summary = "test source over an in-memory list"

    def __init__(self, config: ListConfig, items: list[SourceRecord | Rejected]) -> None:
        super().__init__(config)
        self.items = items
        self.committed: list[str] = []
        self.closed = False

    def poll(self) -> Iterator[SourceRecord | Rejected]:
        assert self.state is not None
        start = int(self.state.load() or -1) + 1
        yield from self.items[start:]

    def commit(self, position: str) -> None:
        super().commit(position)
        self.committed.append(position)

    def close(self) -> None:
        self.closed = True


def _consume_all(bootstrap: str, topic: str, expect: int) -> list[Any]:
    consumer = Consumer(consumer_config(bootstrap, f"{topic}.reader"))
    consumer.subscribe([topic])
    got = []
    for _ in range(60):
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            got.append(received(msg))
        if len(got) >= expect:
            break
    consumer.close()
    return got


def _metric_points(reader: InMemoryMetricReader) -> dict[tuple[tuple[str, Any], ...], int]:
    data = reader.get_metrics_data()
    assert data is not None
    points = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "oretrail.connector.records":
                    for point in metric.data.data_points:
                        points[tuple(sorted(point.attributes.items()))] = point.value
    return points


def test_records_dlq_and_commit_after_ack(bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    events, dlq = f"{unique_name}.events", f"{unique_name}.dlq"
    ensure_topics(bootstrap, [TopicSpec(events, 2), TopicSpec(dlq, 1)])
    items: list[SourceRecord | Rejected] = []
    for i in range(10):
        items.append(SourceRecord(events, "sensor_reading", _reading(i), "urn:dev:scale-1", str(i)))
    items.insert(3, Rejected("memory", "3", "parse", "ValueError", "not a number: 'x'", b"x"))
    # A record that does not fit its schema becomes a dead letter at the serialise stage.
    items.insert(6, SourceRecord(events, "sensor_reading", {"readingID": 1}, None, "6"))
    items = [dataclasses.replace(item, position=str(pos)) for pos, item in enumerate(items)]
    serde = SingleObjectSerde()
    state = StateStore(tmp_path / "state.json")
    source = ListSource(ListConfig(topic=events), items)
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    runner = SourceRunner(Producer(producer_config(bootstrap)), serde, dlq_topic=dlq, meter=meter)
    counts = runner.run(source, state)

    assert (counts.accepted, counts.rejected) == (10, 2)
    assert _metric_points(reader) == {
        (("connector", "list"), ("outcome", "accepted")): 10,
        (("connector", "list"), ("outcome", "rejected"), ("stage", "parse")): 1,
        (("connector", "list"), ("outcome", "rejected"), ("stage", "serialise")): 1,
    }
    assert source.closed
    assert state.load() == str(len(items) - 1)
    assert source.committed[-1] == str(len(items) - 1)
    assert [int(p) for p in source.committed] == sorted(int(p) for p in source.committed)

    got = _consume_all(bootstrap, events, 10)
    assert sorted(serde.decode("sensor_reading", m.value, events)["value"] for m in got) == [
        float(i) for i in range(10)
    ]
    dead = _consume_all(bootstrap, dlq, 2)
    values = [serde.decode("dead_letter", m.value, dlq) for m in dead]
    assert [(v["stage"], v["errorClass"]) for v in values] == [
        ("parse", "ValueError"),
        ("serialise", "SerdeError"),
    ]
    assert values[0]["payload"] == b"x"
    headers = dead[0].headers
    assert headers[HEADER_PREFIX + "connector.name"] == b"list"
    assert headers[HEADER_PREFIX + "exception.message"] == b"not a number: 'x'"
    assert headers[HEADER_PREFIX + "source.position"] == b"3"

    # A restart resumes after the committed position: nothing is sent twice.
    again = ListSource(ListConfig(topic=events), items)
    counts = SourceRunner(Producer(producer_config(bootstrap)), serde, dlq_topic=dlq).run(
        again, state
    )
    assert (counts.accepted, counts.rejected) == (0, 0)
