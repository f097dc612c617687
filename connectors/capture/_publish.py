"""Validate captured events and put them on Kafka: jobs (``rollback`` / ``proceed``), single
events, and the dead letters of bad input.

``rollback`` validates the whole document first. When any event is invalid nothing is
published and the job fails (GS1 binding); the invalid events (or the unreadable document,
as one record) are dead-lettered instead. Either set — the document's events, or its dead
letters — is produced in the job's own Kafka transaction, so even a broker failure half-way
leaves nothing visible to ``read_committed`` consumers. ``proceed`` streams: valid events
are produced as they are read, invalid ones are dead-lettered. Dead letters carry
``__connect.errors.*`` headers (connector ``epcis-capture``, source ``capture/{id}``,
position = event index) and are recorded in the job store once acknowledged, so a job
resumed after a restart does not write them again. An event counts as published only once
Kafka acknowledged it.

All of this is blocking (confluent-kafka) and runs in worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from connectors.capture._config import CaptureConfig
from connectors.capture._jobs import Behaviour, Claim, Duplicate, JobStore, new_capture_id
from connectors.capture._kafka import (
    Deliveries,
    Headers,
    Record,
    Stopped,
    dead_letter,
    produce,
    transact,
)
from connectors.capture._prepare import Bad, Good, Refused, prepare, read_items
from connectors.capture._problems import BodyKind, event_problem
from connectors.sdk import DeliveryError, Rejected
from oretrail.epcis import DocumentEvent
from oretrail.kafka import producer_config
from oretrail.serde import Serde

_CONFIRM_EVERY_S = 1.0


class DuplicateEvent(ValueError):
    """POST /events with an event id that was captured before (answered 409)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} was captured already")
        self.event_id = event_id


@dataclass
class Outcome:
    published: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.errors


class Publisher:
    def __init__(self, cfg: CaptureConfig, bootstrap: str, serde: Serde, store: JobStore) -> None:
        self.cfg = cfg
        self.bootstrap = bootstrap
        self.serde = serde
        self.store = store
        self._stop = threading.Event()
        self._single: Producer | None = None  # for POST /events and bad requests, made on use
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

    def _items(self, capture_id: str, body: Path, kind: BodyKind) -> Iterator[Good | Bad]:
        source = f"capture/{capture_id}"
        return read_items(body, source, kind, self.serde, self.cfg.topic, self.cfg.max_event_bytes)

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

    def _claim(self, item: Good, capture_id: str, seen: set[str], outcome: Outcome) -> bool:
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
        bad = [i for i in items if isinstance(i, Bad)]
        if bad:
            return self._reject_document(capture_id, bad, event_count)
        outcome = Outcome()
        claimed: list[str] = []
        seen: set[str] = set()

        def records() -> Iterator[Record]:
            for item in items:
                if isinstance(item, Good) and self._claim(item, capture_id, seen, outcome):
                    claimed.append(item.event_id)
                    yield self.cfg.topic, item.key, item.value, None

        try:
            self._transact(capture_id, records())
        except Stopped:
            self.store.release(claimed)
            return None
        except KafkaException as exc:
            self.store.release(claimed)
            return Outcome(
                rejected=event_count,
                errors=[event_problem(None, "deliver", f"{exc}; nothing was published")],
            )
        except BaseException:
            self.store.release(claimed)
            raise
        self.store.confirm(claimed)
        outcome.published += len(claimed)
        return outcome

    def _reject_document(self, capture_id: str, bad: list[Bad], event_count: int) -> Outcome | None:
        """The failed rollback job: nothing published, every invalid event dead-lettered."""
        outcome = Outcome(
            rejected=event_count,
            errors=[event_problem(b.index, b.rejected.stage, b.rejected.message) for b in bad],
        )
        written = self.store.dead_letters(capture_id)  # by an attempt before a restart
        todo = [b for b in bad if b.letter not in written]
        records = (self._letter(capture_id, b.rejected) for b in todo)
        try:
            self._transact(capture_id, records)
        except Stopped:
            return None
        except KafkaException as exc:
            message = f"{exc}; the {len(todo)} invalid events were not dead-lettered"
            outcome.errors.append(event_problem(None, "deliver", message))
            return outcome
        self.store.add_dead_letters(capture_id, [b.letter for b in todo])
        return outcome

    def _transact(self, capture_id: str, records: Iterator[Record]) -> None:
        transact(
            self.bootstrap,
            capture_id,
            records,
            stop=self._stop,
            timeout_s=self.cfg.ack_timeout_s,
        )

    def _letter(self, capture_id: str | None, rejected: Rejected) -> Record:
        return dead_letter(self.serde, self.cfg.dlq_topic, rejected, capture_id=capture_id)

    def _proceed(self, capture_id: str, body: Path, kind: BodyKind) -> Outcome | None:
        producer = Producer(producer_config(self.bootstrap))
        deliveries = Deliveries()
        outcome = Outcome()
        seen: set[str] = set()
        claimed: set[str] = set()  # claimed and not acknowledged yet
        written = self.store.dead_letters(capture_id)  # by an attempt before a restart
        next_confirm = time.monotonic() + _CONFIRM_EVERY_S
        stopped = False
        try:
            for item in self._items(capture_id, body, kind):
                if self._stop.is_set():
                    stopped = True
                    break
                if isinstance(item, Bad):
                    self._reject_event(capture_id, producer, item, written, deliveries, outcome)
                elif self._claim(item, capture_id, seen, outcome):
                    claimed.add(item.event_id)
                    report = deliveries.report(item.index, item.event_id)
                    produce(producer, self.cfg.topic, item.key, item.value, on_delivery=report)
                producer.poll(0)
                if time.monotonic() >= next_confirm:
                    self._confirm(capture_id, deliveries, claimed, outcome)
                    next_confirm = time.monotonic() + _CONFIRM_EVERY_S
        finally:
            producer.flush(self.cfg.ack_timeout_s)
            producer.close()
            self._confirm(capture_id, deliveries, claimed, outcome)
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

    def _confirm(
        self, capture_id: str, deliveries: Deliveries, claimed: set[str], outcome: Outcome
    ) -> None:
        acked, letters = deliveries.take_acked()
        self.store.confirm(acked)
        self.store.add_dead_letters(capture_id, letters)
        claimed.difference_update(acked)
        outcome.published += len(acked)

    def _reject_event(
        self,
        capture_id: str,
        producer: Producer,
        item: Bad,
        written: set[tuple[str, str]],
        deliveries: Deliveries,
        outcome: Outcome,
    ) -> None:
        """List an invalid event (or unreadable rest) of a proceed job; dead-letter it once."""
        rejected = item.rejected
        outcome.errors.append(event_problem(item.index, rejected.stage, rejected.message))
        if rejected.stage != "parse":  # an unreadable rest of the document is counted at the end
            outcome.rejected += 1
        if item.letter in written:
            return
        topic, key, value, headers = self._letter(capture_id, rejected)
        report = deliveries.report(item.index, letter=item.letter)
        produce(producer, topic, key, value, headers=headers, on_delivery=report)

    # -- single events and bad requests ----------------------------------------------------

    def capture_event(self, item: DocumentEvent, kind: BodyKind) -> dict[str, Any]:
        """Validate, publish and wait for Kafka's ack; the TraceEvent record published.

        Refused: invalid (400, dead-letter it); DuplicateEvent: captured before (409);
        DeliveryError: Kafka did not acknowledge (500).
        """
        owner = new_capture_id()
        prepared = prepare(item, "events", kind, self.serde, self.cfg.topic)
        if isinstance(prepared, Bad):
            raise Refused(prepared.rejected)
        if self.store.claim(prepared.event_id, owner) is not Claim.NEW:
            raise DuplicateEvent(prepared.event_id)
        try:
            self._send(self.cfg.topic, prepared.key, prepared.value, None)
        except DeliveryError as exc:
            self.store.release([prepared.event_id])
            raise DeliveryError(f"event {prepared.event_id}: {exc}") from exc
        self.store.confirm([prepared.event_id])
        return prepared.record

    def dead_letter(self, rejected: Rejected) -> None:
        """Dead-letter a refused request body and wait for Kafka's ack; DeliveryError if none."""
        self._send(*self._letter(None, rejected))

    def _send(self, topic: str, key: bytes, value: bytes, headers: Headers | None) -> None:
        """Produce one record on the shared producer and wait for its acknowledgement."""
        done = threading.Event()
        errors: list[KafkaError] = []

        def callback(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                errors.append(err)
            done.set()

        with self._single_lock:
            if self._single is None:
                self._single = Producer(producer_config(self.bootstrap))
            producer = self._single
            produce(producer, topic, key, value, headers=headers, on_delivery=callback)
        deadline = time.monotonic() + self.cfg.ack_timeout_s
        while not done.is_set() and time.monotonic() < deadline:
            producer.poll(0.05)
        if errors or not done.is_set():
            reason = errors[0].str() if errors else "no acknowledgement"
            raise DeliveryError(f"{topic}: {reason}")
