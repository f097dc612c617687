"""Drives a :class:`Source`: encode, produce, dead-letter, and commit positions after acks.

Positions are committed strictly in source order and only when every earlier record was
acknowledged by the broker (``acks=all``, idempotent producer), so a crash at any moment
re-reads at most what was in flight: at-least-once, made harmless by event-id idempotency.

When tracing is on, every record is sent in a PRODUCER span whose W3C context goes into the
record's ``traceparent`` header (the root of the event's trace through the pipeline); the
span ends when the broker acknowledged the record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from opentelemetry.metrics import Meter
from opentelemetry.trace import Span

from connectors.sdk._dlq import dead_letter_headers, dead_letter_value
from connectors.sdk._records import Rejected, SourceRecord
from connectors.sdk._source import Source
from connectors.sdk._state import StateStore
from oretrail.serde import Serde, SerdeError
from oretrail.telemetry import Instruments, records_counter, tracing

DLQ_TOPIC = "oretrail.dlq"
_COMMIT_EVERY_S = 1.0


class DeliveryError(RuntimeError):
    """The broker did not acknowledge a record; nothing after it was committed."""


@dataclass
class Counts:
    accepted: int = 0
    rejected: int = 0


class SourceRunner:
    def __init__(
        self,
        producer: Producer,
        serde: Serde,
        *,
        dlq_topic: str = DLQ_TOPIC,
        progress: Callable[[Counts], None] | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.producer = producer
        self.serde = serde
        self.dlq_topic = dlq_topic
        self.progress = progress
        self.counts = Counts()
        self._records = records_counter(meter)
        self._obs = Instruments.of(meter)
        self._connector = ""
        self._accepted: dict[str, str] = {}
        self._positions: dict[int, str] = {}
        self._acked: set[int] = set()
        self._next_commit = 0
        self._seq = 0
        self._errors: list[str] = []

    def _on_delivery(
        self, seq: int, stage: str | None, span: Span | None
    ) -> Callable[[KafkaError | None, Message], None]:
        def callback(err: KafkaError | None, msg: Message) -> None:
            if span is not None:
                error = None if err is None else err.str()
                tracing.delivered(span, msg.partition(), msg.offset(), error)
            if err is not None:
                self._errors.append(f"{msg.topic()}: {err.str()}")
                return
            self._acked.add(seq)
            self._obs.produced.add(1, {"component": self._connector, "topic": msg.topic() or ""})
            if stage is None:
                self.counts.accepted += 1
                self._records.add(1, self._accepted)
            else:
                self.counts.rejected += 1
                attributes = {"connector": self._connector, "outcome": "rejected", "stage": stage}
                self._records.add(1, attributes)
                self._obs.dead_letters.add(1, {"component": self._connector, "stage": stage})

        return callback

    def _produce(
        self, topic: str, key: bytes | None, value: bytes, headers: Any, seq: int, stage: str | None
    ) -> None:
        span = None
        tracer = tracing.active()
        if tracer is not None:
            span = tracing.send_span(
                tracer, topic, key, attributes={"oretrail.connector": self._connector}
            )
            headers = tracing.with_context(span, headers)
        callback = self._on_delivery(seq, stage, span)
        while True:
            try:
                self.producer.produce(
                    topic, value=value, key=key, headers=headers, on_delivery=callback
                )
                return
            except BufferError:
                # Local queue full: serve delivery reports until there is room again.
                self.producer.poll(0.1)
            except BaseException as exc:
                if span is not None:
                    tracing.delivered(span, None, None, repr(exc))
                raise

    def _send(self, source: Source, item: SourceRecord | Rejected) -> None:
        seq = self._seq
        self._seq += 1
        self._positions[seq] = item.position
        if isinstance(item, SourceRecord):
            try:
                value = self.serde.encode(item.schema, item.value, item.topic)
            except SerdeError as exc:
                item = Rejected.from_exception(
                    exc,
                    source=item.topic,
                    position=item.position,
                    stage="serialise",
                    payload=repr(item.value).encode(),
                )
            else:
                key = item.key.encode() if item.key is not None else None
                self._produce(item.topic, key, value, list(item.headers), seq, stage=None)
                return
        dead = self.serde.encode(
            "dead_letter", dead_letter_value(source.name, item), self.dlq_topic
        )
        self._produce(
            self.dlq_topic,
            item.source.encode(),
            dead,
            dead_letter_headers(source.name, item),
            seq,
            stage=item.stage,
        )

    def _commit_acked(self, source: Source) -> None:
        if self._errors:
            raise DeliveryError("; ".join(self._errors[:5]))
        last: str | None = None
        while self._next_commit in self._acked:
            self._acked.discard(self._next_commit)
            last = self._positions.pop(self._next_commit)
            self._next_commit += 1
        if last is not None:
            source.commit(last)

    def run(self, source: Source, state: StateStore) -> Counts:
        self._connector = source.name
        self._accepted = {"connector": source.name, "outcome": "accepted"}
        source.open(state)
        try:
            next_commit_at = time.monotonic() + _COMMIT_EVERY_S
            for item in source.poll():
                if item is not None:
                    self._send(source, item)
                self.producer.poll(0 if item is not None else 0.05)
                if time.monotonic() >= next_commit_at:
                    self._commit_acked(source)
                    if self.progress is not None:
                        self.progress(self.counts)
                    next_commit_at = time.monotonic() + _COMMIT_EVERY_S
            remaining = self.producer.flush(60)
            if remaining:
                raise DeliveryError(f"{remaining} records not acknowledged within 60 s")
            self._commit_acked(source)
            if self.progress is not None:
                self.progress(self.counts)
            return self.counts
        finally:
            source.close()
