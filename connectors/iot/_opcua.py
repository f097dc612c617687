"""OPC UA source: data changes of configured variables → SensorReading records.

An asyncua client runs its asyncio loop in a background thread: it connects, subscribes
(data change) to every configured node, and hands each notification to :meth:`poll`
through a queue. The reading's time is the server's SourceTimestamp (ServerTimestamp when
the device gives none). A lost connection is re-established with exponential backoff.

Positions: OPC UA has no replay. What is committed is a watermark per node, the last
SourceTimestamp published (see :mod:`connectors.iot._nodes`), so a restart does not re-emit
a value it already published; changes made while the connector was down are not recovered.

Security: anonymous or user name + password (``username`` / ``password``) over the
``None`` security policy, which is what plant networks behind a DMZ gateway commonly use.
Signed or encrypted channels (Basic256Sha256, Aes128/256) need a client certificate and the
server's trust list; asyncua supports them through ``Client.set_security_string`` and they
are not wired into this config yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeNotif
from asyncua.ua.uaerrors import UaStringParsingError
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.iot._errors import ReadingError
from connectors.iot._mqtt import SENSOR_TOPIC
from connectors.iot._nodes import (
    OpcUaNode,
    dump_watermarks,
    load_watermarks,
    node_reading,
    utc,
)
from connectors.iot._readings import to_record
from connectors.sdk import Rejected, Source, SourceRecord, StateStore

log = logging.getLogger(__name__)

_IDLE_TICK_S = 0.5


class OpcUaConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_OPCUA_")

    endpoint: str = "opc.tcp://127.0.0.1:4840/"
    nodes: list[OpcUaNode] = Field(min_length=1)
    username: str | None = None
    password: SecretStr | None = None
    publishing_interval_ms: float = Field(default=500, gt=0)
    sampling_interval_ms: float = Field(default=250, ge=0)
    queue_size: int = Field(
        default=100, ge=1, description="server-side queue per node between two publishes"
    )
    timeout_s: float = Field(default=10, gt=0)
    reconnect_min_s: float = Field(default=1, gt=0)
    reconnect_max_s: float = Field(default=30, gt=0)
    kafka_topic: str = SENSOR_TOPIC

    @model_validator(mode="after")
    def _unique_nodes(self) -> OpcUaConfig:
        seen: set[str] = set()
        for node in self.nodes:
            key = canonical_node_id(node.node_id)
            if key in seen:
                raise ValueError(f"node {node.node_id} is configured twice")
            seen.add(key)
        return self


def canonical_node_id(node_id: str) -> str:
    """``ns=2;s=X`` as the server will spell it back, so configured ids match notifications."""
    try:
        return str(ua.NodeId.from_string(node_id).to_string())
    except (ValueError, UaStringParsingError) as exc:
        raise ValueError(f"{node_id!r} is not an OPC UA node id: {exc}") from exc


@dataclass(frozen=True, slots=True)
class _Change:
    node_id: str
    value: Any
    status: str
    good: bool
    uncertain: bool
    source_time: datetime | None
    server_time: datetime | None

    def payload(self) -> bytes:
        return json.dumps(
            {"nodeId": self.node_id, "value": repr(self.value), "status": self.status,
             "sourceTimestamp": self.source_time and utc(self.source_time).isoformat(),
             "serverTimestamp": self.server_time and utc(self.server_time).isoformat()},
        ).encode()  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Refused:
    node_id: str
    status: str


class _Handler:
    """asyncua calls this on its loop; it only copies the notification onto the queue."""

    def __init__(self, inbox: queue.Queue[_Change | _Refused]) -> None:
        self.inbox = inbox

    def datachange_notification(self, node: Node, val: Any, data: DataChangeNotif) -> None:
        dv = data.monitored_item.Value
        code = dv.StatusCode if dv.StatusCode is not None else ua.StatusCode()
        self.inbox.put(
            _Change(
                node_id=str(node.nodeid.to_string()),
                value=val,
                status=str(code.name),
                good=code.is_good(),
                uncertain=code.is_uncertain(),
                source_time=dv.SourceTimestamp,
                server_time=dv.ServerTimestamp,
            )
        )


class OpcUaSource(Source):
    name = "opcua"
    config_model = OpcUaConfig
    summary = "OPC UA data changes -> SensorReading (per-node timestamp watermark)"
    config: OpcUaConfig

    def __init__(self, config: OpcUaConfig) -> None:
        super().__init__(config)
        self._nodes = {canonical_node_id(n.node_id): n for n in config.nodes}
        self._inbox: queue.Queue[_Change | _Refused] = queue.Queue()
        self._marks: dict[str, datetime] = {}
        self._thread: threading.Thread | None = None

    def open(self, state: StateStore) -> None:
        super().open(state)
        self._marks = load_watermarks(state.load())

    # -- the asyncua side (background thread) --------------------------------------------

    async def _session(self, refused: set[str]) -> None:
        cfg = self.config
        client = Client(cfg.endpoint, timeout=cfg.timeout_s)
        if cfg.username is not None:
            client.set_user(cfg.username)
        if cfg.password is not None:
            client.set_password(cfg.password.get_secret_value())
        await client.connect()
        try:
            log.info("OPC UA connected to %s", cfg.endpoint)
            sub = await client.create_subscription(
                cfg.publishing_interval_ms, _Handler(self._inbox)
            )
            ids = list(self._nodes)
            results = await sub.subscribe_data_change(
                [client.get_node(i) for i in ids],
                sampling_interval=ua.Double(cfg.sampling_interval_ms),
                queuesize=cfg.queue_size,
            )
            for node_id, result in zip(ids, results, strict=True):
                if isinstance(result, ua.StatusCode) and node_id not in refused:
                    refused.add(node_id)  # once per run, not on every reconnect
                    self._inbox.put(_Refused(node_id, str(result.name)))
            while not self.stopping:
                await asyncio.sleep(0.2)
                if client.state is not UaClientState.CONNECTED:
                    raise ConnectionError(f"connection to {cfg.endpoint} lost")
        finally:
            try:
                await client.disconnect()
            except Exception:  # the connection may already be gone
                log.debug("OPC UA disconnect failed", exc_info=True)

    async def _main(self) -> None:
        delay = self.config.reconnect_min_s
        refused: set[str] = set()
        while not self.stopping:
            try:
                await self._session(refused)
                delay = self.config.reconnect_min_s
            except Exception as exc:  # any failure means: back off, reconnect
                log.warning("OPC UA %s: %s; retrying in %.1f s", self.config.endpoint, exc, delay)
                deadline = time.monotonic() + delay
                while not self.stopping and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                delay = min(delay * 2, self.config.reconnect_max_s)

    # -- the runner side -----------------------------------------------------------------

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        if self._thread is None:
            self._thread = threading.Thread(
                target=asyncio.run, args=(self._main(),), name="opcua-client", daemon=True
            )
            self._thread.start()
        last_tick = time.monotonic()
        while not self.stopping:
            try:
                event = self._inbox.get(timeout=0.1)
            except queue.Empty:
                event = None
            if event is not None:
                item = self._item(event)
                if item is not None:
                    yield item
            if time.monotonic() - last_tick >= _IDLE_TICK_S:
                last_tick = time.monotonic()
                yield None

    def _item(self, event: _Change | _Refused) -> SourceRecord | Rejected | None:
        endpoint = self.config.endpoint
        if isinstance(event, _Refused):
            return Rejected(endpoint, dump_watermarks(self._marks), "subscribe",
                            "BadStatus", f"server refused node {event.node_id}: {event.status}",
                            event.node_id.encode())  # fmt: skip
        when = event.source_time or event.server_time
        if when is not None:
            mark = self._marks.get(event.node_id)
            if mark is not None and utc(when) <= mark:
                return None  # already published before a restart or reconnect
            self._marks[event.node_id] = utc(when)
        position = dump_watermarks(self._marks)
        node = self._nodes.get(event.node_id)
        try:
            if node is None:
                raise ReadingError(f"notification for unconfigured node {event.node_id}")
            reading = node_reading(node, event.value, status=event.status, good=event.good,
                                   uncertain=event.uncertain, source_time=event.source_time,
                                   server_time=event.server_time)  # fmt: skip
        except ReadingError as exc:
            return Rejected.from_exception(
                exc, source=endpoint, position=position, stage=exc.stage, payload=event.payload()
            )
        value = to_record(reading, connector=self.name, source=endpoint, position=position,
                          fmt="opcua", received_at=datetime.now(UTC))  # fmt: skip
        return SourceRecord(self.config.kafka_topic, "sensor_reading", value, reading.device_id,
                            position)  # fmt: skip

    def close(self) -> None:
        self.stop()  # the client thread has nothing to hand over once the runner is gone
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self.config.timeout_s + 5)
