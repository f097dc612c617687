"""The OPC UA connector against a real asyncua server and the real Kafka broker.

The server (127.0.0.1, free port) exposes a furnace thermocouple and a weighbridge; the
test writes their values with chosen SourceTimestamps and a Bad status, and checks what
lands on Kafka, what is dead-lettered, what a restart skips, and user name login.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from asyncua import ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server

from connectors.iot import OpcUaConfig, OpcUaNode, OpcUaSource, reading_id
from connectors.sdk import HEADER_PREFIX
from oretrail._process import free_port
from oretrail.kafka import Received
from oretrail.serde import SingleObjectSerde
from tests.kafka_helpers import Collector, readings_and_dlq
from tests.runner_helpers import Running

SERDE = SingleObjectSerde()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NS = "urn:oretrail:test:plant"
T = TypeVar("T")


class Passwords:
    """Only operator / s3cret may log in."""

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:  # fmt: skip
        if (username, password) == ("operator", "s3cret"):
            return User(role=UserRole.User, name=username)
        return None


class PlantServer:
    """An asyncua server on its own event loop thread, driven from the (sync) test."""

    def __init__(self, port: int, *, passwords: bool = False) -> None:
        self.url = f"opc.tcp://127.0.0.1:{port}/oretrail/"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = Server(user_manager=Passwords() if passwords else None)  # type: ignore[arg-type]
        self.vars: dict[str, Any] = {}
        self.run(self._start(passwords))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _start(self, passwords: bool) -> None:
        await self.server.init()
        self.server.set_endpoint(self.url)
        if passwords:
            self.server.set_identity_tokens([ua.UserNameIdentityToken])
        idx = await self.server.register_namespace(NS)
        plant = await self.server.nodes.objects.add_object(idx, "Plant")
        for name, initial in (("Furnace3.TC1", 1400.0), ("Weighbridge1.Mass", 0.0)):
            var = await plant.add_variable(ua.NodeId(name, idx), name, initial)
            self.vars[name] = var
        await self.server.start()

    def node_id(self, name: str) -> str:
        return str(self.vars[name].nodeid.to_string())

    def write(self, name: str, value: float, when: datetime, status: int = 0) -> None:
        dv = ua.DataValue(
            ua.Variant(value, ua.VariantType.Double),
            StatusCode=ua.StatusCode(status),
            SourceTimestamp=when,
            ServerTimestamp=when,
        )
        self.run(self.vars[name].write_value(dv))

    def stop(self) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def plant() -> Iterator[PlantServer]:
    server = PlantServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def topics(bootstrap: str, unique_name: str) -> tuple[str, str]:
    return readings_and_dlq(bootstrap, unique_name)


def _nodes(plant: PlantServer) -> list[OpcUaNode]:
    return [
        OpcUaNode(node_id=plant.node_id("Furnace3.TC1"), type="Temperature", uom="°C",
                  device_id="urn:oretrail:device:furnace-3:tc-1",
                  asset_id="urn:oretrail:asset:furnace-3"),
        OpcUaNode(node_id=plant.node_id("Weighbridge1.Mass"), type="gs1:Mass", uom="kg",
                  device_id="urn:oretrail:device:weighbridge-1",
                  asset_id="urn:oretrail:asset:weighbridge-1"),
    ]  # fmt: skip


def _values(got: list[Received], schema: str = "sensor_reading") -> list[dict[str, Any]]:
    return [SERDE.decode(schema, m.value, m.topic) for m in got]


def test_data_changes_bad_status_and_restart(
    plant: PlantServer, bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    readings_topic, dlq = topics
    plant.write("Furnace3.TC1", 1452.5, T0)
    plant.write("Weighbridge1.Mass", 24310.0, T0)
    ghost = OpcUaNode(
        node_id="ns=2;s=NoSuchTag", type="Temperature", uom="CEL", device_id="urn:dev:ghost"
    )
    nodes = [*_nodes(plant), ghost]
    config = OpcUaConfig(endpoint=plant.url, nodes=nodes, kafka_topic=readings_topic,
                         publishing_interval_ms=100, sampling_interval_ms=50)  # fmt: skip
    state = tmp_path / "state.json"
    readings = Collector(bootstrap, readings_topic)
    dead = Collector(bootstrap, dlq)
    running = Running(bootstrap, OpcUaSource(config), dlq, state)
    try:
        readings.until(lambda got: len(got) >= 2)
        plant.write("Furnace3.TC1", 1460.0, T0 + timedelta(seconds=5))
        readings.until(lambda got: any(v["value"] == 1460.0 for v in _values(got)))
        plant.write("Furnace3.TC1", 0.0, T0 + timedelta(seconds=6), ua.StatusCodes.BadSensorFailure)
        dead.until(lambda got: len(got) >= 2)
        first = running.stop()
    finally:
        if running.thread.is_alive():
            running.stop()
    assert (first.accepted, first.rejected) == (3, 2)
    by_key = {}
    for msg, value in zip(readings.got, _values(readings.got), strict=True):
        by_key.setdefault(msg.key, []).append(value)
    furnace = by_key[b"urn:oretrail:device:furnace-3:tc-1"]
    assert [(v["value"], v["time"]) for v in furnace] == [
        (1452.5, T0), (1460.0, T0 + timedelta(seconds=5))]  # fmt: skip
    assert {(v["type"], v["uom"], v["assetID"]) for v in furnace} == {
        ("gs1:Temperature", "CEL", "urn:oretrail:asset:furnace-3")}  # fmt: skip
    (scale,) = by_key[b"urn:oretrail:device:weighbridge-1"]
    assert (scale["type"], scale["value"], scale["uom"], scale["time"]) == (
        "gs1:Mass", 24310.0, "KGM", T0)  # fmt: skip
    assert scale["readingID"] == reading_id(
        "urn:oretrail:device:weighbridge-1", "gs1:Mass", T0, 24310.0, None
    )
    assert scale["origin"]["connector"] == "opcua"
    letters = sorted(_values(dead.got, "dead_letter"), key=lambda v: v["stage"])
    assert [v["stage"] for v in letters] == ["subscribe", "validate"]
    assert "NoSuchTag" in letters[0]["errorMessage"]
    assert "BadNodeIdUnknown" in letters[0]["errorMessage"]
    assert "BadSensorFailure" in letters[1]["errorMessage"]
    assert b"BadSensorFailure" in letters[1]["payload"]
    assert dead.got[0].headers[HEADER_PREFIX + "connector.name"] == b"opcua"

    # A restart gets every current value again from the server, and publishes none of them.
    again = Running(bootstrap, OpcUaSource(config), dlq, state)
    try:
        time.sleep(2)
        plant.write("Weighbridge1.Mass", 24320.0, T0 + timedelta(seconds=9))
        readings.until(lambda got: any(v["value"] == 24320.0 for v in _values(got)))
    finally:
        second = again.stop()
        readings.close()
        dead.close()
    # the unknown node is reported again: the new run cannot know it was before
    assert (second.accepted, second.rejected) == (1, 1)


def test_username_password_and_server_restart(
    bootstrap: str, topics: tuple[str, str], tmp_path: Path
) -> None:
    readings_topic, dlq = topics
    port = free_port()
    plant = PlantServer(port, passwords=True)
    plant.write("Weighbridge1.Mass", 1000.0, T0)
    config = OpcUaConfig(endpoint=plant.url, nodes=_nodes(plant), kafka_topic=readings_topic,
                         username="operator", password="s3cret", publishing_interval_ms=100,
                         reconnect_min_s=0.5, reconnect_max_s=1)  # fmt: skip
    readings = Collector(bootstrap, readings_topic)
    running = Running(bootstrap, OpcUaSource(config), dlq, tmp_path / "state.json")
    try:
        readings.until(lambda got: any(v["value"] == 1000.0 for v in _values(got)))
        assert any(v["value"] == 1000.0 for v in _values(readings.got))
        plant.stop()
        plant = PlantServer(port, passwords=True)
        plant.write("Weighbridge1.Mass", 2000.0, T0 + timedelta(minutes=1))
        readings.until(lambda got: any(v["value"] == 2000.0 for v in _values(got)))
    finally:
        running.stop()
        plant.stop()
        readings.close()
    assert any(v["value"] == 2000.0 for v in _values(readings.got))


def test_wrong_password_publishes_nothing(
    bootstrap: str, topics: tuple[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    readings_topic, dlq = topics
    plant = PlantServer(free_port(), passwords=True)
    config = OpcUaConfig(endpoint=plant.url, nodes=_nodes(plant), kafka_topic=readings_topic,
                         username="operator", password="guess", reconnect_min_s=0.5)  # fmt: skip
    running = Running(bootstrap, OpcUaSource(config), dlq, tmp_path / "state.json")
    try:
        time.sleep(3)
    finally:
        counts = running.stop()
        plant.stop()
    assert (counts.accepted, counts.rejected) == (0, 0)
    refusals = [r.getMessage() for r in caplog.records if r.name == "connectors.iot._opcua"]
    assert refusals, "the connector never reported the refused login"
    assert all("BadUserAccessDenied" in text and "retrying" in text for text in refusals)
