"""Traceability events buffered per facility and event-time window until the window closes.

Pure: no storage, no Kafka. A window is ``(facility, eventTime // window_seconds)``; it
closes once its event-time end has passed and no event joined it for ``window_seconds`` of
processing time (a burst of historical events then still lands in few batches), or at once
when a passport needs one of its events. Each buffered event keeps the position it was read
from, so the runner never commits past an event whose credential is not stored yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Position(NamedTuple):
    """Where an input was read: topic, partition, offset."""

    topic: str
    partition: int
    offset: int

    def text(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


def event_time(record: Mapping[str, Any]) -> datetime:
    """A TraceEvent's eventTime as an aware datetime (decoded Avro, or raw microseconds)."""
    value = record.get("eventTime")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"event {record.get('eventID')}: eventTime has no time zone")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=value)
    raise ValueError(f"event {record.get('eventID')}: eventTime {value!r} is no timestamp")


@dataclass(frozen=True)
class Buffered:
    record: Mapping[str, Any]
    position: Position | None
    raw: bytes = b""

    @property
    def event_id(self) -> str:
        return str(self.record["eventID"])


@dataclass(frozen=True)
class Batch:
    """A closed window: its events sorted by event id."""

    facility: str
    window: int
    events: tuple[Buffered, ...]

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(e.event_id for e in self.events)


@dataclass
class _Window:
    facility: str
    index: int
    events: dict[str, Buffered] = field(default_factory=dict)
    last_arrival: float = 0.0

    def batch(self) -> Batch:
        ordered = tuple(self.events[k] for k in sorted(self.events))
        return Batch(self.facility, self.index, ordered)


class Windows:
    """Open windows by (facility, window index)."""

    def __init__(self, seconds: float, facility_of: Callable[[Mapping[str, Any]], str]) -> None:
        if seconds <= 0:
            raise ValueError(f"the window length must be positive, got {seconds}")
        self.seconds = seconds
        self._facility_of = facility_of
        self._open: dict[tuple[str, int], _Window] = {}
        self._where: dict[str, tuple[str, int]] = {}  # event id -> its window

    def __len__(self) -> int:
        return len(self._where)

    def key_of(self, record: Mapping[str, Any]) -> tuple[str, int]:
        moment = event_time(record).timestamp()
        return self._facility_of(record), int(moment // self.seconds)

    def add(self, event: Buffered, now: float) -> tuple[str, int]:
        """Buffer ``event``; a second delivery of a buffered event id changes nothing."""
        known = self._where.get(event.event_id)
        if known is not None:
            return known
        key = self.key_of(event.record)
        window = self._open.get(key)
        if window is None:
            window = self._open[key] = _Window(*key)
        window.events[event.event_id] = event
        window.last_arrival = max(window.last_arrival, now)
        self._where[event.event_id] = key
        return key

    def holds(self, event_id: str) -> bool:
        return event_id in self._where

    def _take(self, keys: Iterable[tuple[str, int]]) -> list[Batch]:
        batches = []
        for key in sorted(set(keys)):
            window = self._open.pop(key, None)
            if window is None:
                continue
            for event_id in window.events:
                del self._where[event_id]
            batches.append(window.batch())
        return batches

    def due(self, now: float) -> list[Batch]:
        """Close the windows whose end has passed and that were quiet for a window length."""
        return self._take(
            key
            for key, w in self._open.items()
            if (w.index + 1) * self.seconds <= now and now - w.last_arrival >= self.seconds
        )

    def take_containing(self, event_ids: Iterable[str]) -> list[Batch]:
        return self._take(self._where[e] for e in event_ids if e in self._where)

    def take_all(self) -> list[Batch]:
        return self._take(list(self._open))

    def positions(self) -> Iterable[Position]:
        for window in self._open.values():
            for event in window.events.values():
                if event.position is not None:
                    yield event.position
