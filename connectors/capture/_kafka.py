"""The Kafka side of capture: producing with back-pressure, delivery reports, dead-letter
records, and the one transaction of a ``rollback`` job.

All blocking (confluent-kafka); called from worker threads. When tracing is on, each
record is produced in a PRODUCER span whose W3C context goes into its ``traceparent``
header: the root of the event's trace through the pipeline.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from connectors.capture._prepare import CONNECTOR, LetterKey
from connectors.sdk import Rejected, dead_letter_headers, dead_letter_value
from oretrail.kafka import producer_config
from oretrail.serde import Serde
from oretrail.telemetry import Instruments, records_counter, tracing

Headers = list[tuple[str, bytes]]
Record = tuple[str, bytes, bytes, Headers | None]
"""topic, key, value, headers"""

_LETTER_IDS = uuid.UUID("5b0f6c2e-8a57-4d0e-9a3c-3f1c2d7e9b41")


class Stopped(Exception):
    """The service is stopping: leave the job for the next start."""


def produce(producer: Producer, topic: str, key: bytes, value: bytes, **kwargs: Any) -> None:
    span = None
    tracer = tracing.active()
    if tracer is not None:
        span = tracing.send_span(tracer, topic, key, attributes={"oretrail.connector": CONNECTOR})
        kwargs["headers"] = tracing.with_context(span, kwargs.get("headers"))
    try:
        while True:
            try:
                producer.produce(topic, value=value, key=key, **kwargs)
                return
            except BufferError:
                producer.poll(0.1)  # local queue full: serve delivery reports until there is room
    finally:
        if span is not None:
            span.end()


def dead_letter(
    serde: Serde, topic: str, rejected: Rejected, *, capture_id: str | None = None
) -> Record:
    """The DLQ record of ``rejected``: Avro DeadLetter value, ``__connect.errors.*`` headers.

    Within a job the dead letter's id is derived from the job and the event, so should a
    crash ever make a resumed job send it again, the copy is recognisably the same letter.
    """
    value = dead_letter_value(CONNECTOR, rejected)
    if capture_id is not None:
        name = f"{capture_id}/{rejected.position}/{rejected.stage}"
        value["deadLetterID"] = str(uuid.uuid5(_LETTER_IDS, name))
    encoded = serde.encode("dead_letter", value, topic)
    return topic, rejected.source.encode(), encoded, dead_letter_headers(CONNECTOR, rejected)


class Deliveries:
    """Delivery reports of one producer; its callbacks run in the thread polling it."""

    def __init__(self) -> None:
        self.acked: list[str] = []
        self.acked_letters: list[LetterKey] = []
        self.failed: list[tuple[int | None, str | None, str]] = []
        self.pending = 0
        self._records = records_counter()
        self._obs = Instruments.of()

    def report(
        self, index: int | None, event_id: str | None = None, letter: LetterKey | None = None
    ) -> Callable[..., None]:
        """The callback for one record: an event (``event_id``) or a dead letter (``letter``)."""
        self.pending += 1

        def callback(err: KafkaError | None, msg: Message) -> None:
            self.pending -= 1
            if err is not None:
                self.failed.append((index, event_id, f"{msg.topic()}: {err.str()}"))
                return
            self._obs.produced.add(1, {"component": CONNECTOR, "topic": msg.topic() or ""})
            if event_id is not None:
                self.acked.append(event_id)
                self._records.add(1, {"connector": CONNECTOR, "outcome": "accepted"})
            elif letter is not None:
                self.acked_letters.append(letter)
                stage = letter[1]
                attributes = {"connector": CONNECTOR, "outcome": "rejected", "stage": stage}
                self._records.add(1, attributes)
                self._obs.dead_letters.add(1, {"component": CONNECTOR, "stage": stage})

        return callback

    def take_acked(self) -> tuple[list[str], list[LetterKey]]:
        taken = self.acked, self.acked_letters
        self.acked, self.acked_letters = [], []
        return taken


def transact(
    bootstrap: str,
    capture_id: str,
    records: Iterable[Record],
    *,
    stop: threading.Event,
    timeout_s: float,
) -> None:
    """Produce ``records`` in the transaction of job ``capture_id`` and commit it.

    One ``transactional.id`` per job: starting it again after a restart fences the previous
    attempt and aborts what that left open, so ``read_committed`` consumers see all of the
    job's records or none. Stopped when ``stop`` is set first, KafkaException when Kafka
    fails; either way the transaction is aborted. No producer is made for no records.
    """
    producer: Producer | None = None
    try:
        for topic, key, value, headers in records:
            if stop.is_set():
                raise Stopped
            if producer is None:
                producer = Producer(
                    producer_config(
                        bootstrap, **{"transactional.id": f"oretrail-capture-{capture_id}"}
                    )
                )
                producer.init_transactions(timeout_s)
                producer.begin_transaction()
            produce(producer, topic, key, value, headers=headers)
            producer.poll(0)
        if producer is not None:
            producer.commit_transaction(timeout_s)
    except BaseException:
        if producer is not None:
            # should the abort fail too, the broker times the transaction out all the same
            with contextlib.suppress(KafkaException):
                producer.abort_transaction(timeout_s)
        raise
    finally:
        if producer is not None:
            producer.close()
