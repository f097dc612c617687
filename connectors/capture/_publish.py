"""Validate captured events and put them on Kafka: jobs (``rollback`` / ``proceed``) and
single events.

``rollback`` validates the whole document first and publishes nothing if any event is
invalid; the valid document is then produced in one Kafka transaction (its own
``transactional.id`` per job), so even a broker failure half-way leaves nothing visible to
``read_committed`` consumers, and a restart fences and aborts what the last attempt left
open. ``proceed`` streams: valid events are produced as they are read, invalid ones are
dead-lettered (``__connect.errors.*`` headers, connector ``epcis-capture``). Either way an
event counts as published only once Kafka acknowledged it.

All of this is blocking (confluent-kafka) and runs in worker threads.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from connectors.capture._config import CaptureConfig
from connectors.capture._jobs import Behaviour, Claim, Duplicate, JobStore, new_capture_id
from connectors.capture._problems import BodyKind, event_problem
from connectors.epcis import read_document
from connectors.sdk import DeliveryError, Rejected, dead_letter_headers, dead_letter_value
from oretrail.epcis import (
    DocumentEvent,
    EpcisParseError,
    EpcisValidationError,
    InvalidEvent,
    to_trace_event,
)
from oretrail.kafka import producer_config
from oretrail.keys import lot_key
from oretrail.serde import Serde, SerdeError

CONNECTOR = "epcis-capture"
_CONFIRM_EVERY_S = 1.0


class DuplicateEvent(ValueError):
    """POST /events with an event id that was captured before (answered 409)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} was captured already")
        self.event_id = event_id


@dataclass(frozen=True, slots=True)
class _Good:
    index: int
    event_id: str
    key: bytes
    value: bytes
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Bad:
    index: int | None  # None: the document itself could not be read
    rejected: Rejected


@dataclass
class Outcome:
    published: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.errors


class _Deliveries:
    """Delivery reports of one producer; its callbacks run in the thread polling it."""

    def __init__(self) -> None:
        self.acked: list[str] = []
        self.failed: list[tuple[int | None, str | None, str]] = []
        self.pending = 0

    def report(self, index: int | None, event_id: str | None) -> Callable[..., None]:
        self.pending += 1

        def callback(err: KafkaError | None, msg: Message) -> None:
            self.pending -= 1
            if err is not None:
                self.failed.append((index, event_id, f"{msg.topic()}: {err.str()}"))
            elif event_id is not None:
                self.acked.append(event_id)

        return callback

    def take_acked(self) -> list[str]:
        taken, self.acked = self.acked, []
        return taken


def origin(source: str, index: int, fmt: str) -> dict[str, Any]:
    return {
        "connector": CONNECTOR,
        "source": source,
        "position": str(index),
        "format": fmt,
        "receivedAt": datetime.now(UTC),
    }


def _produce(producer: Producer, topic: str, key: bytes, value: bytes, **kwargs: Any) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, **kwargs)
            return
        except BufferError:
            producer.poll(0.1)  # local queue full: serve delivery reports until there is room


class Publisher:
    def __init__(self, cfg: CaptureConfig, bootstrap: str, serde: Serde, store: JobStore) -> None:
        self.cfg = cfg
        self.bootstrap = bootstrap
        self.serde = serde
        self.store = store
        self._stop = threading.Event()
        self._single: Producer | None = None  # for POST /events, made on first use
        self._single_lock = threading.Lock()

    def stop(self) -> None:
        """Running jobs return soon, left ``running`` so the next start takes them up again."""
        self._stop.set()

    def close(self) -> None:
        with self._single_lock:
            if self._single is not None:
                self._single.flush(self.cfg.ack_timeout_s)
                self._single.close()
                self._single = None

    # -- conversion -----------------------------------------------------------------------

    def prepare(
        self, item: DocumentEvent | InvalidEvent, source: str, kind: BodyKind
    ) -> _Good | _Bad:
        if isinstance(item, InvalidEvent):
            return _Bad(
                item.index,
                Rejected(
                    source,
                    str(item.index),
                    "validate",
                    "EpcisValidationError",
                    item.message,
                    item.payload,
                ),
            )
        fmt = f"epcis-{kind}-{item.schema_version}"
        stage = "validate"
        try:
            record = to_trace_event(item, origin=origin(source, item.index, fmt))
            stage = "serialise"
            value = self.serde.encode("trace_event", record, self.cfg.topic)
        except (EpcisValidationError, SerdeError, ValueError) as exc:
            payload = json.dumps(item.event, ensure_ascii=False, default=str).encode()
            return _Bad(
                item.index,
                Rejected.from_exception(
                    exc, source=source, position=str(item.index), stage=stage, payload=payload
                ),
            )
        return _Good(item.index, record["eventID"], lot_key(record).encode(), value, record)

    def _items(self, capture_id: str, body: Path, kind: BodyKind) -> Iterator[_Good | _Bad]:
        source = f"capture/{capture_id}"
        with body.open("rb") as stream:
            try:
                for item in read_document(stream, max_event_bytes=self.cfg.max_event_bytes):
                    yield self.prepare(item, source, kind)
            except EpcisParseError as exc:
                stream.seek(0)
                yield _Bad(
                    exc.index,
                    Rejected.from_exception(
                        exc,
                        source=source,
                        position=str(exc.index or 0),
                        stage="parse",
                        payload=stream.read(1 << 20),
                    ),
                )

    # -- jobs ------------------------------------------------------------------------------

    def run_job(self, capture_id: str, body: Path, kind: BodyKind, behaviour: Behaviour) -> bool:
        """Run one capture job to its end and record the outcome; False if stopped first."""
        event_count = 0
        try:
            job = self.store.get(capture_id)
            event_count = job.event_count if job is not None else 0
            if behaviour == "rollback":
                outcome = self._rollback(capture_id, body, kind, event_count)
            else:
                outcome = self._proceed(capture_id, body, kind)
        except Exception as exc:  # a broker outage or a bug must not leave the job running
            outcome = Outcome(rejected=event_count)
            outcome.errors.append(event_problem(None, "deliver", f"{type(exc).__name__}: {exc}"))
        if outcome is None:
            return False
        if outcome.errors:
            self.store.add_errors(capture_id, outcome.errors)
        if outcome.duplicates:
            self.store.add_duplicates(capture_id, outcome.duplicates)
        rejected = max(outcome.rejected, event_count - outcome.published - len(outcome.duplicates))
        self.store.finish(
            capture_id, success=outcome.success, published=outcome.published, rejected=rejected
        )
        body.unlink(missing_ok=True)
        return True

    def _claim(self, item: _Good, capture_id: str, seen: set[str], outcome: Outcome) -> bool:
        """True when ``item`` is to be produced now; duplicates are listed, not produced."""
        if item.event_id in seen:
            outcome.duplicates.append(Duplicate(item.index, item.event_id))
            return False
        seen.add(item.event_id)
        claim = self.store.claim(item.event_id, capture_id)
        if claim is Claim.TAKEN:
            outcome.duplicates.append(Duplicate(item.index, item.event_id))
            return False
        if claim is Claim.OURS:  # acknowledged in an attempt before a restart
            outcome.published += 1
            return False
        return True

    def _rollback(
        self, capture_id: str, body: Path, kind: BodyKind, event_count: int
    ) -> Outcome | None:
        items = list(self._items(capture_id, body, kind))  # the whole document, first
        bad = [i for i in items if isinstance(i, _Bad)]
        if bad:
            return Outcome(
                rejected=event_count,
                errors=[event_problem(b.index, b.rejected.stage, b.rejected.message) for b in bad],
            )
        outcome = Outcome()
        claimed: list[str] = []
        producer: Producer | None = None
        seen: set[str] = set()
        try:
            for item in items:
                if self._stop.is_set():
                    raise _Stopped
                if not isinstance(item, _Good) or not self._claim(item, capture_id, seen, outcome):
                    continue
                claimed.append(item.event_id)
                if producer is None:
                    producer = self._transactional(capture_id)
                _produce(producer, self.cfg.topic, item.key, item.value)
                producer.poll(0)
            if producer is not None:
                producer.commit_transaction(self.cfg.ack_timeout_s)
        except _Stopped:
            self._abort(producer, claimed)
            return None
        except KafkaException as exc:
            self._abort(producer, claimed)
            return Outcome(
                rejected=event_count,
                errors=[event_problem(None, "deliver", f"{exc}; nothing was published")],
            )
        except BaseException:
            self._abort(producer, claimed)
            raise
        finally:
            if producer is not None:
                producer.close()
        self.store.confirm(claimed)
        outcome.published += len(claimed)
        return outcome

    def _transactional(self, capture_id: str) -> Producer:
        # One transactional.id per job: a restart fences and aborts the previous attempt.
        producer = Producer(
            producer_config(
                self.bootstrap, **{"transactional.id": f"oretrail-capture-{capture_id}"}
            )
        )
        producer.init_transactions(self.cfg.ack_timeout_s)
        producer.begin_transaction()
        return producer

    def _abort(self, producer: Producer | None, claimed: list[str]) -> None:
        try:
            if producer is not None:
                producer.abort_transaction(self.cfg.ack_timeout_s)
        except KafkaException:
            pass  # the transaction times out on the broker; the claims are released all the same
        self.store.release(claimed)

    def _proceed(self, capture_id: str, body: Path, kind: BodyKind) -> Outcome | None:
        producer = Producer(producer_config(self.bootstrap))
        deliveries = _Deliveries()
        outcome = Outcome()
        seen: set[str] = set()
        claimed: set[str] = set()  # claimed and not acknowledged yet
        next_confirm = time.monotonic() + _CONFIRM_EVERY_S
        stopped = False
        try:
            for item in self._items(capture_id, body, kind):
                if self._stop.is_set():
                    stopped = True
                    break
                if isinstance(item, _Bad):
                    self._dead_letter(producer, item, deliveries, outcome)
                elif self._claim(item, capture_id, seen, outcome):
                    claimed.add(item.event_id)
                    report = deliveries.report(item.index, item.event_id)
                    _produce(producer, self.cfg.topic, item.key, item.value, on_delivery=report)
                producer.poll(0)
                if time.monotonic() >= next_confirm:
                    self._confirm(deliveries, claimed, outcome)
                    next_confirm = time.monotonic() + _CONFIRM_EVERY_S
        finally:
            producer.flush(self.cfg.ack_timeout_s)
            producer.close()
            self._confirm(deliveries, claimed, outcome)
            self.store.release(claimed)  # never acknowledged: not captured
        for index, event_id, message in deliveries.failed:
            outcome.errors.append(event_problem(index, "deliver", message, event_id))
        if deliveries.pending:
            outcome.errors.append(
                event_problem(
                    None,
                    "deliver",
                    f"{deliveries.pending} records not acknowledged in {self.cfg.ack_timeout_s}s",
                )
            )
        return None if stopped else outcome

    def _confirm(self, deliveries: _Deliveries, claimed: set[str], outcome: Outcome) -> None:
        acked = deliveries.take_acked()
        self.store.confirm(acked)
        claimed.difference_update(acked)
        outcome.published += len(acked)

    def _dead_letter(
        self, producer: Producer, item: _Bad, deliveries: _Deliveries, outcome: Outcome
    ) -> None:
        rejected = item.rejected
        outcome.errors.append(event_problem(item.index, rejected.stage, rejected.message))
        if rejected.stage != "parse":  # an unreadable rest of the document is counted at the end
            outcome.rejected += 1
        value = self.serde.encode(
            "dead_letter", dead_letter_value(CONNECTOR, rejected), self.cfg.dlq_topic
        )
        _produce(
            producer,
            self.cfg.dlq_topic,
            rejected.source.encode(),
            value,
            headers=dead_letter_headers(CONNECTOR, rejected),
            on_delivery=deliveries.report(item.index, None),
        )

    # -- single events ---------------------------------------------------------------------

    def capture_event(self, item: DocumentEvent, kind: BodyKind) -> dict[str, Any]:
        """Validate, publish and wait for Kafka's ack; the TraceEvent record published.

        EpcisValidationError / SerdeError: invalid (400); DuplicateEvent: captured before
        (409); DeliveryError: Kafka did not acknowledge (500).
        """
        owner = new_capture_id()
        prepared = self.prepare(item, "events", kind)
        if isinstance(prepared, _Bad):
            raise EpcisValidationError(prepared.rejected.message)
        if self.store.claim(prepared.event_id, owner) is not Claim.NEW:
            raise DuplicateEvent(prepared.event_id)
        done = threading.Event()
        deliveries = _Deliveries()
        report = deliveries.report(0, prepared.event_id)

        def callback(err: KafkaError | None, msg: Message) -> None:
            report(err, msg)
            done.set()

        with self._single_lock:
            if self._single is None:
                self._single = Producer(producer_config(self.bootstrap))
            producer = self._single
            _produce(producer, self.cfg.topic, prepared.key, prepared.value, on_delivery=callback)
        deadline = time.monotonic() + self.cfg.ack_timeout_s
        while not done.is_set() and time.monotonic() < deadline:
            producer.poll(0.05)
        if not deliveries.acked:
            self.store.release([prepared.event_id])
            reason = deliveries.failed[0][2] if deliveries.failed else "no acknowledgement"
            raise DeliveryError(f"event {prepared.event_id}: {reason}")
        self.store.confirm([prepared.event_id])
        return prepared.record


class _Stopped(Exception):
    """The service is stopping: leave the job for the next start."""
