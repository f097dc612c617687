"""The sink on Kafka: TraceEvents and PassportUpdates in, CredentialPublished and dead
letters out, around the pure :class:`~sink.pipeline.Publisher`.

Delivery guarantee: **at-least-once**, made harmless by idempotent writes.

- An input's offset is committed only after its credentials are in the store and every
  record it caused (CredentialPublished, dead letter) was acknowledged by the broker
  (idempotent producer, ``acks=all``): the runner flushes the producer, then commits.
- Per partition the commit never passes the lowest offset still held by the publisher: an
  event buffered in an open window, a passport waiting for its events. A crash re-reads
  from there.
- A re-read input writes nothing new: credential ids are name-based, EdDSA is deterministic
  and credentials are content-addressed (``put_if_absent`` of the same bytes is a no-op);
  an event records its DTE once; a passport version is immutable once recorded and
  ``latest`` never moves back. The re-read input announces its stored credential again, so
  a CredentialPublished lost in a crash is sent later; consumers see duplicates with the
  same ``credentialID`` and ``hashDigest``. Facility records and the status list are
  announced when they change.
- A clean stop (:meth:`SinkRunner.stop`, from SIGINT/SIGTERM) publishes the open windows
  and commits before leaving the group; passports still waiting stay uncommitted and are
  read again by the next run. Partitions taken away in a rebalance are handled the same way.
- Bytes that do not decode as Avro go to the dead-letter topic with Kafka Connect style
  headers; so do inputs the credentials cannot be made from (with the reason).

Observability (``oretrail.telemetry``): with tracing on, each input is processed in a
CONSUMER span, child of the context in its headers; signing is a span of its own; every
record sent carries its PRODUCER span's context in a ``traceparent`` header, and a
passport's CredentialPublished continues the trace of its PassportUpdate even when it was
published later (after waiting for its events). Metrics: records in and out, dead letters,
processing time per input, credentials signed and signing time per type, the time from a
passport update to its credential, and the group's consumer lag.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from opentelemetry import trace
from opentelemetry.context import Context as TraceContext
from opentelemetry.metrics import Meter

from connectors.sdk import DLQ_TOPIC, Rejected, dead_letter_headers, dead_letter_value
from oretrail.kafka import Received, consumer_config, producer_config, received
from oretrail.serde import Serde, SerdeError
from oretrail.telemetry import Instruments, LagMonitor, metrics_enabled, tracing
from sink.config import SinkSettings
from sink.pipeline._context import Context
from sink.pipeline._publisher import Publisher
from sink.pipeline._records import SINK, Outcome
from sink.pipeline._windows import Position
from sink.storage import Stored

log = logging.getLogger(__name__)

COMPONENT = "sink"
_REMEMBERED_PASSPORTS = 10_000  # passport updates whose trace and time are kept until published


class DeliveryError(RuntimeError):
    """The broker did not acknowledge a record the sink produced; nothing was committed."""


@dataclass(frozen=True)
class SinkTopics:
    """Where the sink reads and writes (from ``SinkSettings``: ``ORETRAIL_SINK_*_TOPIC``,
    ``ORETRAIL_SINK_GROUP_ID``)."""

    events_topic: str = "oretrail.events"
    passports_topic: str = "oretrail.passport-updates"
    credentials_topic: str = "oretrail.credentials"
    dlq_topic: str = DLQ_TOPIC
    group_id: str = "oretrail-sink"

    @classmethod
    def of(cls, cfg: SinkSettings) -> SinkTopics:
        return cls(
            cfg.events_topic,
            cfg.passports_topic,
            cfg.credentials_topic,
            cfg.dlq_topic,
            cfg.group_id,
        )


@dataclass
class SinkStats:
    events: int = 0
    passports: int = 0
    published: int = 0
    dead_letters: int = 0
    commits: int = 0
    committed: dict[tuple[str, int], int] = field(default_factory=dict)


class SinkRunner:
    """Consume, publish, produce, commit; :meth:`run` blocks until :meth:`stop`."""

    def __init__(
        self,
        publisher: Publisher,
        bootstrap: str,
        serde: Serde,
        topics: SinkTopics | None = None,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
        flush_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
        consumer_overrides: Mapping[str, Any] | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.publisher = publisher
        self.topics = topics or SinkTopics()
        self.serde = serde
        self.stats = SinkStats()
        self._bootstrap = bootstrap
        self._batch = batch_size
        self._poll = poll_seconds
        self._flush = flush_seconds
        self._clock = clock
        self._overrides = dict(consumer_overrides or {})
        self._stop = threading.Event()
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._next: dict[tuple[str, int], int] = {}  # offset after the last one read
        self._lock = threading.Lock()  # guards _next for positions() from other threads
        self._failures: list[str] = []
        self._broken = False
        self._obs = Instruments.of(meter)
        self._watch_lag = meter is not None or metrics_enabled()
        self._meter = meter
        # (productID, version) -> the update's trace context and Kafka timestamp (s), until
        # its credential is announced (possibly later, when its events have their DTEs)
        self._passports: OrderedDict[tuple[str, int], tuple[TraceContext | None, float]] = (
            OrderedDict()
        )
        instrument_signing(publisher.ctx, self._obs)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from a signal handler or another thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def positions(self) -> dict[tuple[str, int], int]:
        """The offset after the last message read, per (topic, partition) owned."""
        with self._lock:
            return dict(self._next)

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        t = self.topics
        self._consumer = Consumer(consumer_config(self._bootstrap, t.group_id, **self._overrides))
        self._producer = Producer(producer_config(self._bootstrap))
        lag = None
        if self._watch_lag:
            topics = [t.events_topic, t.passports_topic]
            lag = LagMonitor(self._bootstrap, t.group_id, topics, meter=self._meter).start()
        try:
            self._emit(self.publisher.start())
            self._checkpoint()
            self._consumer.subscribe(
                [t.events_topic, t.passports_topic],
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
            while not self._stop.is_set():
                for msg in self._consumer.consume(self._batch, self._poll):
                    self._handle(msg)
                self._emit(self.publisher.close_windows(self._clock()))
                self._checkpoint()
            self._emit(self.publisher.close_all(self._clock()))
            self._checkpoint()
        except BaseException:
            # leaving the group calls on_revoke: it must not commit what may not be done
            self._broken = True
            raise
        finally:
            if lag is not None:
                lag.stop()
            self._consumer.close()
            self._producer.flush(self._flush)
            # drop the clients now: a lingering producer keeps reconnecting to the broker
            self._consumer = None
            self._producer = None

    def _handle(self, msg: Message) -> None:
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                return
            if err.fatal() or not err.retriable():
                raise KafkaException(err)
            log.warning("consumer: %s", err.str())
            return
        r = received(msg)
        with self._lock:
            self._next[(r.topic, r.partition)] = r.offset + 1
        if not r.value:
            return  # a tombstone of the compacted passport topic: nothing to publish
        started = time.perf_counter()
        tracer = tracing.active()
        if tracer is None:
            self._process(r, msg, None)
        else:
            group = self.topics.group_id
            span = tracing.process_span(
                tracer, r.topic, r.partition, r.offset, r.key, group, r.headers
            )
            with trace.use_span(span, end_on_exit=True):
                self._process(r, msg, trace.set_span_in_context(span))
        self._obs.consumed.add(1, {"component": COMPONENT, "topic": r.topic})
        self._obs.sink_duration.record(time.perf_counter() - started, {"topic": r.topic})

    def _process(self, r: Received, msg: Message, context: TraceContext | None) -> None:
        position = Position(r.topic, r.partition, r.offset)
        events = r.topic == self.topics.events_topic
        try:
            record = self.serde.decode(
                "trace_event" if events else "passport_update", r.value, r.topic
            )
        except SerdeError as exc:
            bad = Rejected.from_exception(
                exc, source=r.topic, position=position.text(), stage="parse", payload=r.value
            )
            self._emit(Outcome(dead_letters=(bad,)))
            return
        now = self._clock()
        if events:
            self.stats.events += 1
            self._emit(self.publisher.on_event(record, position, r.value, now))
        else:
            self.stats.passports += 1
            self._remember_passport(record, msg, context)
            self._emit(self.publisher.on_passport(record, position, r.value, now))

    def _remember_passport(
        self, record: Mapping[str, Any], msg: Message, context: TraceContext | None
    ) -> None:
        kind, ms = msg.timestamp()
        at = ms / 1000 if kind != TIMESTAMP_NOT_AVAILABLE else self._clock()
        key = (str(record.get("productID")), int(record.get("version") or 0))
        self._passports[key] = (context, at)
        self._passports.move_to_end(key)
        while len(self._passports) > _REMEMBERED_PASSPORTS:
            self._passports.popitem(last=False)

    # -- producing -------------------------------------------------------------------------

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._failures.append(f"{msg.topic()}: {err.str()}")

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Any = None,
        parent: TraceContext | None = None,
    ) -> None:
        assert self._producer is not None
        tracer = tracing.active()
        if tracer is not None:
            span = tracing.send_span(tracer, topic, key, parent)
            headers = tracing.with_context(span, headers)
            span.end()
        self._obs.produced.add(1, {"component": COMPONENT, "topic": topic})
        while True:
            try:
                self._producer.produce(
                    topic, key=key, value=value, headers=headers, on_delivery=self._delivered
                )
                return
            except BufferError:
                self._producer.poll(0.1)  # the local queue is full: let deliveries drain

    def _emit(self, outcome: Outcome) -> None:
        t = self.topics
        for record in outcome.published:
            value = self.serde.encode("credential_published", record, t.credentials_topic)
            parent = self._passport_origin(record)
            key = str(record["credentialID"]).encode()
            self._produce(t.credentials_topic, key, value, parent=parent)
            self.stats.published += 1
        for rejected in outcome.dead_letters:
            letter = dead_letter_value(SINK, rejected)
            source = _source_position(rejected, (t.events_topic, t.passports_topic))
            if source is not None:
                letter.update(
                    sourceTopic=source.topic,
                    sourcePartition=source.partition,
                    sourceOffset=source.offset,
                )
            encoded = self.serde.encode("dead_letter", letter, t.dlq_topic)
            self._produce(t.dlq_topic, None, encoded, dead_letter_headers(SINK, rejected))
            self.stats.dead_letters += 1
            self._obs.dead_letters.add(1, {"component": COMPONENT, "stage": rejected.stage})
            log.warning("dead letter (%s): %s", rejected.error_class, rejected.message)

    def _passport_origin(self, record: Mapping[str, Any]) -> TraceContext | None:
        """A passport credential's parent span: its PassportUpdate's processing (also
        records how long the update took to become a credential); None otherwise."""
        if record.get("credentialType") != "DigitalProductPassport":
            return None
        key = (str(record.get("productID")), int(record.get("version") or 0))
        origin = self._passports.pop(key, None)
        if origin is None:
            return None
        context, at = origin
        latency = max(self._clock() - at, 0.0)
        self._obs.credential_latency.record(latency, {"type": "DigitalProductPassport"})
        return context

    # -- committing ------------------------------------------------------------------------

    def _flush_all(self) -> None:
        assert self._producer is not None
        left = self._producer.flush(self._flush)
        if left:
            raise DeliveryError(f"{left} records not acknowledged in {self._flush:g} s")
        if self._failures:
            failures, self._failures = self._failures, []
            raise DeliveryError("records not delivered: " + "; ".join(failures[:5]))

    def _checkpoint(self, only: set[tuple[str, int]] | None = None) -> None:
        """Flush, then commit every partition up to its lowest held offset."""
        self._flush_all()
        assert self._consumer is not None
        held = self.publisher.held()
        offsets = []
        for tp, after in self.positions().items():
            if only is not None and tp not in only:
                continue
            offset = min(after, held.get(tp, after))
            if self.stats.committed.get(tp) != offset:
                offsets.append(TopicPartition(tp[0], tp[1], offset))
        if not offsets:
            return
        self._consumer.commit(offsets=offsets, asynchronous=False)
        for done in offsets:
            self.stats.committed[(done.topic or "", done.partition or 0)] = done.offset or 0
        self.stats.commits += 1

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._broken:
            return
        gone = {(p.topic, p.partition) for p in partitions}
        self._emit(self.publisher.close_all(self._clock()))
        self._checkpoint(only=gone)
        self._forget(gone)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # lost, not revoked: another member owns them already and a commit would fail
        if self._broken:
            return
        gone = {(p.topic, p.partition) for p in partitions}
        self._emit(self.publisher.close_all(self._clock()))
        self._flush_all()
        self._forget(gone)

    def _forget(self, gone: set[tuple[str, int]]) -> None:
        self.publisher.forget(gone)
        with self._lock:
            for tp in gone:
                self._next.pop(tp, None)
                self.stats.committed.pop(tp, None)


def credential_type(unsigned: Mapping[str, Any]) -> str:
    """The UNTP type of an unsigned credential (its last ``type`` that is not the W3C one)."""
    types = unsigned.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    specific = [str(n) for n in names if n != "VerifiableCredential"]
    return specific[-1] if specific else "VerifiableCredential"


def instrument_signing(ctx: Context, obs: Instruments) -> None:
    """Time and count every credential the publisher signs and stores (a span when
    tracing is on). The sink's Context has no hook for this, so its ``sign`` is wrapped
    on this instance, which leaves sink.pipeline's own modules as they are."""
    sign = ctx.sign

    def timed(unsigned: Mapping[str, Any]) -> Stored:
        attrs = {"type": credential_type(unsigned)}
        started = time.perf_counter()
        tracer = tracing.active()
        if tracer is None:
            stored = sign(unsigned)
        else:
            name = f"sign {attrs['type']}"
            span_attrs = {"oretrail.credential.type": attrs["type"]}
            with tracer.start_as_current_span(name, attributes=span_attrs):
                stored = sign(unsigned)
        obs.signing.record(time.perf_counter() - started, attrs)
        obs.signed.add(1, attrs)
        return stored

    ctx.sign = timed  # type: ignore[method-assign]  # instance wrapper, see the docstring


def _source_position(rejected: Rejected, topics: tuple[str, ...]) -> Position | None:
    """Where a dead letter's input was read, when it came from one of the sink's topics."""
    if rejected.source not in topics:
        return None
    topic, _, rest = rejected.position.rpartition("/")
    topic, _, partition = topic.rpartition("/")
    if topic != rejected.source or not partition.isdigit() or not rest.isdigit():
        return None
    return Position(topic, int(partition), int(rest))
