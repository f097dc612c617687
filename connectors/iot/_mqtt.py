"""MQTT source: JSON sensor payloads → SensorReading records, acked only after Kafka acked.

Delivery guarantee. The client keeps a persistent session (fixed client id, clean start
off, a long session expiry) and subscribes with QoS 1 and *manual acks*: a message is
PUBACKed to the broker only in :meth:`MqttSource.commit`, which the runner calls once every
record up to that message was acknowledged by Kafka. After a crash (even kill -9) the broker
redelivers every unacked message to the session, so nothing is lost; a redelivered message
maps to the same readingIDs, so duplicates downstream are recognisable.

Positions are ``"<seq>.<i>/<n> <topic>#<mid>"``: a local sequence number per received
message, the index of the reading among the ``n`` the message held, and the MQTT topic and
packet id for people reading the DLQ. A message is acked once its last reading is committed.
Acks are never sent for messages received on an earlier connection: a broker re-sends those
after a reconnect, and an old packet id may by then name another message.

Broker limits to size for: with MQTT 5 the broker keeps at most ``receive_maximum`` unacked
messages in flight to us; Mosquitto also caps what it queues for an offline session
(``max_queued_messages``, 1000 by default): raise it to cover the longest outage you want
to ride through.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.iot._errors import ReadingError
from connectors.iot._mapping import PayloadMapping, readings_from_payload
from connectors.iot._readings import to_record
from connectors.sdk import Rejected, Source, SourceRecord

log = logging.getLogger(__name__)

SENSOR_TOPIC = "oretrail.sensor-readings"
_IDLE_TICK_S = 0.5
_FATAL_CONNACK = {134, 135}  # bad user name or password, not authorised: retrying won't help


class MqttConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_MQTT_")

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str = Field(default="oretrail-mqtt", min_length=1)
    topics: list[str] = Field(default_factory=lambda: ["plant/#"], min_length=1)
    username: str | None = None
    password: SecretStr | None = None
    tls: bool = Field(default=False, description="TLS with the system's CA certificates")
    protocol: Literal["5", "3.1.1"] = "5"
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=60, description="MQTT 5 only")
    receive_maximum: int = Field(default=1000, ge=1, le=65535, description="MQTT 5 only")
    keepalive_s: int = Field(default=30, ge=5)
    reconnect_min_s: int = Field(default=1, ge=1)
    reconnect_max_s: int = Field(default=30, ge=1)
    kafka_topic: str = SENSOR_TOPIC
    mappings: list[PayloadMapping] = Field(default_factory=list)
    assets: dict[str, str] = Field(
        default_factory=dict, description="deviceID -> assetID where the payload has none"
    )


class MqttError(RuntimeError):
    """The broker refused us for good (credentials, authorisation, subscription)."""


def parse_position(position: str) -> tuple[int, int, int]:
    """``(seq, index, count)`` of a position this source wrote."""
    head = position.split(" ", 1)[0]
    seq, _, rest = head.partition(".")
    index, _, count = rest.partition("/")
    return int(seq), int(index), int(count)


class MqttSource(Source):
    name = "mqtt"
    config_model = MqttConfig
    summary = "MQTT JSON sensor payloads -> SensorReading (QoS 1, acked after Kafka)"
    config: MqttConfig

    def __init__(self, config: MqttConfig) -> None:
        super().__init__(config)
        self._inbox: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._seq = 0
        self._pending: dict[int, tuple[int, int, int]] = {}  # seq -> (generation, mid, qos)
        self._fatal: str | None = None
        self._client: mqtt.Client | None = None

    # -- paho callbacks (its network thread) ---------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _u: Any, flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if reason.is_failure:
            if reason.value in _FATAL_CONNACK:
                self._fatal = f"broker refused the connection: {reason}"
            log.warning("MQTT connect to %s failed: %s", self.config.host, reason)
            return
        with self._lock:
            self._generation += 1
        log.info("MQTT connected (session present: %s)", flags.session_present)
        client.subscribe([(t, 1) for t in self.config.topics])

    def _on_subscribe(
        self, _c: Any, _u: Any, _mid: int, reasons: list[ReasonCode], _p: Any
    ) -> None:
        refused = [f"{t}: {r}" for t, r in zip(self.config.topics, reasons, strict=False)
                   if r.is_failure]  # fmt: skip
        if refused:
            self._fatal = "subscription refused: " + "; ".join(refused)
        for topic, reason in zip(self.config.topics, reasons, strict=False):
            if reason.value == 0:
                log.warning("broker granted QoS 0 on %s: its messages are not redelivered", topic)

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            generation = self._generation
        self._inbox.put((generation, message))

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        if not self.stopping:
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    # -- lifecycle -----------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        cfg = self.config
        v5 = cfg.protocol == "5"
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=None if v5 else False,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            manual_ack=True,
        )
        if cfg.username is not None:
            password = cfg.password.get_secret_value() if cfg.password else None
            client.username_pw_set(cfg.username, password)
        if cfg.tls:
            client.tls_set()
        client.reconnect_delay_set(
            cfg.reconnect_min_s, max(cfg.reconnect_max_s, cfg.reconnect_min_s)
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        properties = None
        if v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = cfg.session_expiry_s
            properties.ReceiveMaximum = cfg.receive_maximum
        client.connect_async(
            cfg.host,
            cfg.port,
            keepalive=cfg.keepalive_s,
            clean_start=False if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        return client

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        if self._client is None:
            self._client = self._make_client()
            self._client.loop_start()  # paho's thread connects, and reconnects with backoff
        last_tick = time.monotonic()
        while not self.stopping:
            if self._fatal is not None:
                raise MqttError(self._fatal)
            try:
                generation, message = self._inbox.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                yield from self._items(generation, message)
            if time.monotonic() - last_tick >= _IDLE_TICK_S:
                last_tick = time.monotonic()
                yield None

    def _items(
        self, generation: int, message: mqtt.MQTTMessage
    ) -> Iterator[SourceRecord | Rejected]:
        seq = self._seq
        self._seq += 1
        with self._lock:
            self._pending[seq] = (generation, message.mid, message.qos)
        received = datetime.now(UTC)
        topic, payload = message.topic, bytes(message.payload)
        results = list(
            readings_from_payload(payload, topic, self.config.mappings, self.config.assets)
        )
        for i, result in enumerate(results):
            position = f"{seq}.{i}/{len(results)} {topic}#{message.mid}"
            if isinstance(result, ReadingError):
                yield Rejected.from_exception(
                    result, source=topic, position=position, stage=result.stage, payload=payload
                )
                continue
            value = to_record(
                result,
                connector=self.name,
                source=topic,
                position=position,
                fmt="mqtt-json",
                received_at=received,
            )
            yield SourceRecord(
                self.config.kafka_topic, "sensor_reading", value, result.device_id, position
            )

    def commit(self, position: str) -> None:
        """PUBACK every message whose readings are all acknowledged by Kafka, in order."""
        seq, index, count = parse_position(position)
        upto = seq if index + 1 >= count else seq - 1
        with self._lock:
            done = sorted(s for s in self._pending if s <= upto)
            acks = [self._pending.pop(s) for s in done]
            current = self._generation
        client = self._client
        for generation, mid, qos in acks:
            if client is not None and qos > 0 and generation == current:
                client.ack(mid, qos)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
