"""Stage 1 and the state rules of stage 2, without faust: an event's facts as forwarded on
the internal facts topic (:class:`Forwarded`, :func:`reduce_event`), and the tables' rules
(:class:`FactState`: de-duplication, merging, pending lots). ``streams.processors`` runs
them in faust agents; the tests run them over plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sdk import Rejected
from oretrail.serde import Serde, SerdeError
from streams import facts as facts_mod
from streams import ledger
from streams._tables import (
    Table,
    TableFacts,
    aggregation_from_json,
    aggregation_to_json,
    lot_from_json,
    lot_to_json,
    transformation_from_json,
    transformation_to_json,
)
from streams.ledger import LedgerConfig
from streams.model import Aggregation, LotFacts, Transformation
from streams.passports import Pending, touch


@dataclass(frozen=True, slots=True)
class Forwarded:
    """One event's facts on the internal topic, with where the event was read."""

    event_id: str
    source: str  # "<partition>:<offset>" in the events topic
    lots: tuple[LotFacts, ...]
    transformation: Transformation | None
    aggregation: Aggregation | None
    # traceparent of the span that applies it (tracing on); not part of the forwarded JSON
    trace: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        t, a = self.transformation, self.aggregation
        return {
            "event": self.event_id,
            "source": self.source,
            "lots": [lot_to_json(f) for f in self.lots],
            "tx": None if t is None else transformation_to_json(t),
            "agg": None if a is None else aggregation_to_json(a),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Forwarded:
        return cls(
            d["event"],
            d["source"],
            tuple(lot_from_json(f) for f in d["lots"]),
            None if d["tx"] is None else transformation_from_json(d["tx"]),
            None if d["agg"] is None else aggregation_from_json(d["agg"]),
        )

    def touched_lots(self) -> set[str]:
        lots = {f.lot for f in self.lots}
        if self.transformation is not None:
            lots |= {t.lot for t in (*self.transformation.inputs, *self.transformation.outputs)}
        if self.aggregation is not None:
            lots |= {self.aggregation.parent, *(c.lot for c in self.aggregation.children)}
        return lots


def reduce_event(
    serde: Serde, value: bytes, topic: str, partition: int, offset: int
) -> Forwarded | Rejected:
    """Stage 1 for one message: its facts, or why it is dead-lettered."""
    position = f"{topic}/{partition}/{offset}"
    try:
        record = serde.decode("trace_event", value, topic)
    except SerdeError as exc:
        return Rejected.from_exception(
            exc, source=topic, position=position, stage="parse", payload=value
        )
    try:
        found = facts_mod.extract(record)
    except (ValueError, KeyError, TypeError) as exc:
        return Rejected.from_exception(
            exc, source=topic, position=position, stage="validate", payload=value
        )
    if found.problems:
        reason = f"event {record.get('eventID')}: " + "; ".join(found.problems)
        return Rejected(topic, position, "validate", "InvalidEvent", reason, value)
    return Forwarded(
        found.event_id,
        f"{partition}:{offset}",
        tuple(found.lots),
        found.transformation,
        found.aggregation,
    )


def affected_lots(view: TableFacts, lots: Iterable[str], config: LedgerConfig) -> list[str]:
    """The given lots and every lot downstream of them, sorted."""
    found: set[str] = set()
    for lot in lots:
        found.add(lot)
        found.update(ledger.downstream(lot, view, config))
    return sorted(found)


class FactState:
    """The fact tables, the seen and pending tables, and the rules that change them."""

    def __init__(
        self,
        facts: Table,
        index: Table,
        seen: Table,
        pending: Table,
        config: LedgerConfig = ledger.DEFAULT_CONFIG,
    ) -> None:
        self.view = TableFacts(facts, index, facts_mod.merge_lot)
        self.config = config
        self.seen = seen
        self.pending = pending
        # the pending lots, so a tick does not iterate the table: a RocksDB scan also walks
        # the tombstones of every lot ever flushed, which grow with the history. None: not
        # known (a new process, or the tables were restored in a rebalance): scan once.
        self._pending_lots: set[str] | None = None

    def apply(self, fwd: Forwarded, now_us: int) -> bool:
        """Merge one event's facts and mark the lots they reach; False for a duplicate."""
        with self.view.cached():
            return self._apply(fwd, now_us)

    def apply_all(self, batch: Iterable[Forwarded], now_us: int) -> int:
        """``apply`` each event in order, with one read cache; how many were not duplicates.

        Each event is applied before the next is drawn from ``batch``, so a generator can
        wrap each application (the worker's traced path times each one in its span)."""
        with self.view.cached():
            return sum(self._apply(fwd, now_us) for fwd in batch)

    def _apply(self, fwd: Forwarded, now_us: int) -> bool:
        first_seen = self.seen.get(fwd.event_id)
        if first_seen is not None and first_seen != fwd.source:
            return False  # the same event again from another message: nothing changes
        redelivered = first_seen == fwd.source
        for facts in fwd.lots:
            self.view.add_lot(facts, force=redelivered)
        if fwd.transformation is not None:
            self.view.add_transformation(fwd.transformation, force=redelivered)
        if fwd.aggregation is not None:
            self.view.add_aggregation(fwd.aggregation, force=redelivered)
        for lot in affected_lots(self.view, fwd.touched_lots(), self.config):
            old = self.pending.get(lot)
            if self._pending_lots is not None:
                self._pending_lots.add(lot)
            self.pending[lot] = touch(
                None if old is None else Pending.from_json(old), [fwd.event_id], now_us, fwd.trace
            ).to_json()
        self.seen[fwd.event_id] = fwd.source
        return True

    def due(self, now_us: int, debounce_us: int) -> list[tuple[str, Pending]]:
        """Pending lots quiet for ``debounce_us``, sorted by lot."""
        if self._pending_lots is None:
            self._pending_lots = set(self.pending)
        due = []
        for lot in sorted(self._pending_lots):
            raw = self.pending.get(lot)
            if raw is None:
                self._pending_lots.discard(lot)
            elif (p := Pending.from_json(raw)).due(now_us, debounce_us):
                due.append((lot, p))
        return due

    def updated(self, lot: str) -> None:
        """``lot``'s passport is up to date: it is no longer pending."""
        del self.pending[lot]
        if self._pending_lots is not None:
            self._pending_lots.discard(lot)

    def forget_pending_index(self) -> None:
        """The tables changed underneath (a rebalance): the next tick scans them again."""
        self._pending_lots = None
