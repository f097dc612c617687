"""The MQTT connector between a real Mosquitto broker and the real Kafka broker.

Readings land keyed by device; bad payloads are dead-lettered with Kafka Connect headers
and still acked; a broker restart is ridden through; and a connector killed with -9 in the
middle of a stream loses nothing once restarted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from connectors.iot import MqttConfig, MqttSource, PayloadMapping, reading_id
from connectors.sdk import HEADER_PREFIX
from oretrail.kafka import Received
from oretrail.serde import SingleObjectSerde
from tests.integration.mosquitto_server import Mosquitto, running_mosquitto
from tests.kafka_helpers import Collector, readings_and_dlq
from tests.runner_helpers import Running

ROOT = Path(__file__).resolve().parents[2]
SERDE = SingleObjectSerde()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    with running_mosquitto(tmp_path / "mosquitto") as broker:
        yield broker


@pytest.fixture
def topics(bootstrap: str, unique_name: str) -> tuple[str, str]:
    return readings_and_dlq(bootstrap, unique_name)


class Publisher:
    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{port}")
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | dict[str, Any] | list[Any]) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, raw, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _reading(device: str, i: int, **extra: Any) -> dict[str, Any]:
    when = (T0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
    return {"deviceID": device, "type": "Temperature", "value": 1400 + i, "uom": "°C",
            "time": when, **extra}  # fmt: skip


def _wait_subscribed(publisher: Publisher, collector: Collector, device: str) -> None:
    """The connector subscribes asynchronously: publish probes until one comes through."""
    for attempt in range(40):
        publisher.send("plant/probe", _reading(device, attempt))
        if collector.until(lambda got: bool(got), timeout=0.5):
            return
    pytest.fail("the connector never received a probe reading")


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_readings_keyed_by_device_and_bad_payloads_dead_lettered(
    mosquitto: Mosquitto, bootstrap: str, topics: tuple[str, str], tmp_path: Path, protocol: Any
) -> None:
    readings_topic, dlq = topics
    mapping = PayloadMapping(
        topic="plant/{site}/{asset}/{device}/{type}",
        device_id="urn:oretrail:device:{site}:{device}",
        asset_id="urn:oretrail:asset:{site}:{asset}",
        type="{type}",
        value="/v",
        time="/ts",
        uom="/unit",
    )
    config = MqttConfig(port=mosquitto.port, client_id="oretrail-test-1", topics=["plant/#"],
                        kafka_topic=readings_topic, mappings=[mapping], protocol=protocol,
                        assets={"urn:dev:scale-1": "urn:oretrail:asset:weighbridge-1"})  # fmt: skip
    readings, dead = Collector(bootstrap, readings_topic), Collector(bootstrap, dlq)
    publisher = Publisher(mosquitto.port)
    running = Running(bootstrap, MqttSource(config), dlq, tmp_path / "state.json")
    try:
        _wait_subscribed(publisher, readings, "urn:dev:probe")
        publisher.send("plant/kokkola/furnace-3/tc-1/temperature",
                       {"v": 1452.5, "ts": 1772438400000, "unit": "degC", "q": 192})  # fmt: skip
        publisher.send("plant/gw", [
            {"deviceID": "urn:dev:scale-1", "type": "gs1:Mass", "value": "24.31", "uom": "t",
             "time": "2026-03-02T08:00:00+01:00"},
            {"deviceID": "urn:dev:meter-7", "type": "Energy", "value": 812, "uom": "kWh",
             "time": "2026-03-02T08:00:00Z", "assetID": "urn:oretrail:asset:furnace-3"},
        ])  # fmt: skip
        bad = [b"{not json", json.dumps(_reading("urn:dev:x", 1, value=None)).encode(),
               json.dumps(_reading("urn:dev:x", 2, uom="furlongs")).encode(),
               json.dumps(_reading("urn:dev:x", 3, time="yesterday")).encode()]  # fmt: skip
        for payload in bad:
            publisher.send("plant/gw/bad", payload)
        wanted = {b"urn:oretrail:device:kokkola:tc-1", b"urn:dev:scale-1", b"urn:dev:meter-7"}
        got = readings.until(lambda got: wanted <= {m.key for m in got})
        dead_got = dead.until(lambda got: len(got) >= 4)
    finally:
        counts = running.stop()
        publisher.close()
        readings.close()
        dead.close()
    assert counts.accepted >= 4
    assert counts.rejected == 4
    values = {m.key: SERDE.decode("sensor_reading", m.value, readings_topic) for m in got}
    furnace = values[b"urn:oretrail:device:kokkola:tc-1"]
    assert (furnace["type"], furnace["value"], furnace["uom"]) == ("gs1:Temperature", 1452.5, "CEL")
    assert furnace["assetID"] == "urn:oretrail:asset:kokkola:furnace-3"
    assert furnace["time"] == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert furnace["attributes"] == {"q": "192"}
    assert furnace["origin"]["source"] == "plant/kokkola/furnace-3/tc-1/temperature"
    scale = values[b"urn:dev:scale-1"]
    assert (scale["type"], scale["value"], scale["uom"]) == ("gs1:Mass", 24.31, "TNE")
    assert scale["assetID"] == "urn:oretrail:asset:weighbridge-1"
    assert scale["time"] == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    meter = values[b"urn:dev:meter-7"]
    assert (meter["type"], meter["uom"], meter["assetID"]) == (
        "gs1:Energy", "KWH", "urn:oretrail:asset:furnace-3")  # fmt: skip
    assert scale["readingID"] == reading_id(
        "urn:dev:scale-1", "gs1:Mass", datetime(2026, 3, 2, 7, 0, tzinfo=UTC), 24.31, None
    )

    letters = [SERDE.decode("dead_letter", m.value, dlq) for m in dead_got]
    assert [v["payload"] for v in letters] == bad
    assert [v["stage"] for v in letters] == ["parse", "validate", "validate", "validate"]
    messages = [v["errorMessage"] for v in letters]
    assert "not JSON" in messages[0]
    assert "missing value" in messages[1]
    assert "unknown unit 'furlongs'" in messages[2]
    assert "'yesterday'" in messages[3]
    headers = dead_got[0].headers
    assert headers[HEADER_PREFIX + "connector.name"] == b"mqtt"
    assert headers[HEADER_PREFIX + "source.name"] == b"plant/gw/bad"
    assert b"plant/gw/bad#" in headers[HEADER_PREFIX + "source.position"]

    # Every message, dead-lettered ones included, was acked: the session has nothing left.
    again = Running(bootstrap, MqttSource(config), dlq, tmp_path / "state.json")
    time.sleep(3)
    counts = again.stop()
    assert (counts.accepted, counts.rejected) == (0, 0)


def test_rides_through_a_broker_restart(
    mosquitto: Mosquitto, bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    readings_topic, dlq = topics
    config = MqttConfig(port=mosquitto.port, client_id="oretrail-test-2", topics=["plant/#"],
                        kafka_topic=readings_topic, reconnect_max_s=2)  # fmt: skip
    readings = Collector(bootstrap, readings_topic)
    running = Running(bootstrap, MqttSource(config), dlq, tmp_path / "state.json")
    try:
        publisher = Publisher(mosquitto.port)
        _wait_subscribed(publisher, readings, "urn:dev:before")
        publisher.close()
        mosquitto.stop()
        time.sleep(1.5)
        mosquitto.start()
        publisher = Publisher(mosquitto.port)
        publisher.send("plant/after", _reading("urn:dev:after", 0))
        publisher.close()
        got = readings.until(lambda got: any(m.key == b"urn:dev:after" for m in got))
    finally:
        running.stop()
        readings.close()
    assert any(m.key == b"urn:dev:after" for m in got)


def _spawn(bootstrap: str, port: int, topic: str, dlq: str, state: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tests.integration.mqtt_runner", bootstrap, str(port),
            "oretrail-crash", topic, dlq, str(state)]  # fmt: skip
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_kill_9_mid_stream_loses_nothing(
    mosquitto: Mosquitto, bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    readings_topic, dlq = topics
    n = 400
    device = "urn:dev:weighbridge-2"
    expected = {
        reading_id(device, "gs1:Temperature", T0 + timedelta(seconds=i), 1400.0 + i, None)
        for i in range(n)
    }
    state = tmp_path / "state.json"
    collector = Collector(bootstrap, readings_topic)
    publisher = Publisher(mosquitto.port)
    process = _spawn(bootstrap, mosquitto.port, readings_topic, dlq, state)
    try:
        _wait_subscribed(publisher, collector, device)  # i = 0.. are probes of the same stream
        probes = len(collector.got)
        sender = threading.Thread(
            target=lambda: [
                (publisher.send("plant/wb", _reading(device, i)), time.sleep(0.004))
                for i in range(n)
            ]
        )
        sender.start()
        collector.until(lambda got: len(got) >= probes + n // 4)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        seen_at_kill = {SERDE.decode("sensor_reading", m.value, readings_topic)["readingID"]
                        for m in collector.got}  # fmt: skip
        sender.join(60)
        process = _spawn(bootstrap, mosquitto.port, readings_topic, dlq, state)

        def ids(got: list[Received]) -> set[str]:
            return {SERDE.decode("sensor_reading", m.value, readings_topic)["readingID"]
                    for m in got}  # fmt: skip

        got = collector.until(lambda got: expected <= ids(got), timeout=90)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        publisher.close()
        collector.close()
    assert len(seen_at_kill & expected) < n, "the kill came after the stream had ended"
    assert expected <= ids(got)
    # Duplicates are redeliveries of the same measurement: same id, same value.
    by_id: dict[str, set[float]] = {}
    for m in got:
        value = SERDE.decode("sensor_reading", m.value, readings_topic)
        by_id.setdefault(value["readingID"], set()).add(value["value"])
        assert m.key == device.encode()
    assert all(len(values) == 1 for values in by_id.values())
