"""Helpers for the capture interface tests: a running API on a free port, job polling, and
reading what landed on Kafka."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from confluent_kafka import Consumer, TopicPartition

from connectors.capture import CaptureConfig, serving
from oretrail.kafka import Received, TopicSpec, consumer_config, ensure_topics, received
from oretrail.serde import SingleObjectSerde

SERDE = SingleObjectSerde()


@dataclass(frozen=True)
class Topics:
    events: str
    dlq: str


def make_topics(bootstrap: str, name: str) -> Topics:
    topics = Topics(f"{name}.events", f"{name}.dlq")
    ensure_topics(bootstrap, [TopicSpec(topics.events, 3), TopicSpec(topics.dlq, 1)])
    return topics


@asynccontextmanager
async def capture_api(
    home: Path, bootstrap: str, topics: Topics, **config: Any
) -> AsyncIterator[aiohttp.ClientSession]:
    """The capture interface on 127.0.0.1 (free port) and a client session bound to it."""
    cfg = CaptureConfig(
        host="127.0.0.1", port=0, topic=topics.events, dlq_topic=topics.dlq, **config
    )
    async with (
        serving(cfg, home=home, bootstrap=bootstrap, serde=SERDE) as url,
        aiohttp.ClientSession(base_url=url) as http,
    ):
        yield http


async def finished_job(http: aiohttp.ClientSession, location: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        async with http.get(location) as response:
            assert response.status == 200, await response.text()
            job = await response.json()
        if not job["running"]:
            return job
        assert time.monotonic() < deadline, f"job still running: {job}"
        await asyncio.sleep(0.1)


async def capture(
    http: aiohttp.ClientSession,
    body: bytes,
    media: str = "application/ld+json",
    behaviour: str | None = None,
) -> Any:
    """POST /capture, expect 202, and return the finished job."""
    headers = {"Content-Type": media}
    if behaviour is not None:
        headers["GS1-Capture-Error-Behaviour"] = behaviour
    async with http.post("/capture", data=body, headers=headers) as response:
        assert response.status == 202, await response.text()
        location = response.headers["Location"]
    assert location.startswith("/capture/")
    return await finished_job(http, location)


def record_count(bootstrap: str, topic: str) -> int:
    """Records (and transaction markers) ever written to ``topic``: its end offsets summed."""
    consumer = Consumer(consumer_config(bootstrap, f"{topic}.offsets"))
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        total = 0
        for partition in meta.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            total += high
        return total
    finally:
        consumer.close()


def consume(bootstrap: str, topic: str, expect: int, idle_s: float = 3.0) -> list[Received]:
    """Committed records of ``topic``: stops at ``expect`` plus ``idle_s`` without more."""
    consumer = Consumer(consumer_config(bootstrap, f"{topic}.reader.{time.monotonic_ns()}"))
    consumer.subscribe([topic])
    got: list[Received] = []
    deadline = time.monotonic() + 60
    quiet_until = None
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(received(msg))
                quiet_until = None
            if len(got) >= expect:
                quiet_until = quiet_until or time.monotonic() + idle_s
                if time.monotonic() >= quiet_until:
                    break
    finally:
        consumer.close()
    return got


def trace_events(bootstrap: str, topic: str, expect: int) -> list[dict[str, Any]]:
    return [SERDE.decode("trace_event", m.value, topic) for m in consume(bootstrap, topic, expect)]


CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"ex": "https://ex.org/"}]


def event(serial: int, *, event_id: bool = True, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{serial}"],
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "ex:shift": "night",
    }
    if event_id:
        body["eventID"] = f"urn:uuid:{uuid.uuid4()}"
    body.update(changes)
    return body


def document(*events: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-03-01T10:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()
