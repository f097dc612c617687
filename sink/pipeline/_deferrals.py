"""Passport updates waiting for the traceability events behind them.

A passport links the DTE credentials of its source events, so it is published only once
each of them has one (or was rejected). An update whose events have not arrived waits here,
with its position held so its offset is not committed; after ``limit`` seconds it is
published with the DTEs that exist and the missing events are reported. A later version of
a product waits behind an earlier one that waits (it links every DTE linked before it, so
the earlier version's links must be there first).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sink.pipeline._windows import Position


@dataclass
class Deferred:
    update: dict[str, Any]
    position: Position | None
    raw: bytes
    since: float
    missing: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, int]:
        return str(self.update["productID"]), int(self.update["version"])


class Deferrals:
    def __init__(self, limit: float) -> None:
        if limit <= 0:
            raise ValueError(f"the longest wait must be positive, got {limit}")
        self.limit = limit
        self._waiting: dict[tuple[str, int], Deferred] = {}
        self._by_event: dict[str, set[tuple[str, int]]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def holds(self, product: str, version: int) -> bool:
        return (product, version) in self._waiting

    def waiting_before(self, product: str, version: int) -> bool:
        """True when an earlier version of the product waits."""
        return any(p == product and v < version for p, v in self._waiting)

    def waits_for(self, event_id: str) -> bool:
        return event_id in self._by_event

    def defer(self, deferred: Deferred) -> None:
        self._waiting[deferred.key] = deferred
        for event_id in deferred.missing:
            self._by_event.setdefault(event_id, set()).add(deferred.key)

    def arrived(self, event_id: str) -> None:
        """The event has a DTE now (or was rejected): nobody waits for it any more."""
        for key in self._by_event.pop(event_id, set()):
            waiting = self._waiting.get(key)
            if waiting is not None:
                waiting.missing.discard(event_id)

    def _drop(self, key: tuple[str, int]) -> Deferred:
        deferred = self._waiting.pop(key)
        for event_id in deferred.missing:
            keys = self._by_event.get(event_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_event[event_id]
        return deferred

    def ready(self, now: float) -> list[Deferred]:
        """Remove and return, by product and version, the updates no longer waiting for an
        event or that waited ``limit`` seconds, unless an earlier version still waits."""
        due = []
        blocked: set[str] = set()
        for key in sorted(self._waiting):
            deferred = self._waiting[key]
            if key[0] in blocked:
                continue
            if deferred.missing and now - deferred.since < self.limit:
                blocked.add(key[0])
                continue
            due.append(key)
        return [self._drop(key) for key in due]

    def positions(self) -> Iterator[Position]:
        for deferred in self._waiting.values():
            if deferred.position is not None:
                yield deferred.position

    def forget(self, partitions: Iterable[tuple[str, int]]) -> None:
        gone = set(partitions)
        for key, deferred in list(self._waiting.items()):
            p = deferred.position
            if p is not None and (p.topic, p.partition) in gone:
                self._drop(key)
