"""An in-memory fact set: the :class:`~streams.model.FactsView` the ledger is tested with and
the CLI can use offline. Adding a fact twice, or facts in any order, leaves the same set:
lot facts merge with ``streams.facts.merge_lot`` (commutative, associative, idempotent);
transformations and aggregations are keyed by event id (a re-delivered event is the same
value; two different values under one id keep the larger, so the order still does not
matter)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from streams.facts import merge_lot
from streams.model import Aggregation, LotFacts, Transformation

E = TypeVar("E", Transformation, Aggregation)


def _keep(old: E | None, new: E) -> E:
    return new if old is None or repr(new) > repr(old) else old


class MemoryFacts:
    """Implements ``FactsView`` and ``streams.ledger.LineageView``."""

    def __init__(self) -> None:
        self._lots: dict[str, LotFacts] = {}
        self._transformations: dict[str, Transformation] = {}
        self._aggregations: dict[str, Aggregation] = {}
        self._produced: dict[str, set[str]] = {}
        self._consumed: dict[str, set[str]] = {}
        self._sites: dict[str, set[str]] = {}
        self._by_child: dict[str, set[str]] = {}
        self._by_parent: dict[str, set[str]] = {}

    # --- writing ----------------------------------------------------------------------

    def add_lot(self, facts: LotFacts) -> None:
        old = self._lots.get(facts.lot)
        self._lots[facts.lot] = facts if old is None else merge_lot(old, facts)

    def add_transformation(self, t: Transformation) -> None:
        old = self._transformations.get(t.event_id)
        kept = _keep(old, t)
        if old is not None:
            self._unlink_transformation(old)
        self._transformations[t.event_id] = kept
        for take in kept.outputs:
            self._produced.setdefault(take.lot, set()).add(t.event_id)
        for take in kept.inputs:
            self._consumed.setdefault(take.lot, set()).add(t.event_id)
        if kept.site is not None and kept.chain_of_custody == "mass_balance":
            self._sites.setdefault(kept.site, set()).add(t.event_id)

    def add_aggregation(self, a: Aggregation) -> None:
        old = self._aggregations.get(a.event_id)
        kept = _keep(old, a)
        if old is not None:
            self._aggregations_index(old, discard=True)
        self._aggregations[a.event_id] = kept
        self._aggregations_index(kept, discard=False)

    def lots(self) -> list[str]:
        """Every lot named by a fact, sorted."""
        named = set(self._lots) | set(self._produced) | set(self._consumed)
        named |= set(self._by_parent) | set(self._by_child)
        return sorted(named)

    def _unlink_transformation(self, t: Transformation) -> None:
        for take in t.outputs:
            self._produced.get(take.lot, set()).discard(t.event_id)
        for take in t.inputs:
            self._consumed.get(take.lot, set()).discard(t.event_id)
        if t.site is not None and t.chain_of_custody == "mass_balance":
            self._sites.get(t.site, set()).discard(t.event_id)

    def _aggregations_index(self, a: Aggregation, discard: bool) -> None:
        pairs = [(self._by_parent, a.parent), *((self._by_child, c.lot) for c in a.children)]
        for index, key in pairs:
            ids = index.setdefault(key, set())
            if discard:
                ids.discard(a.event_id)
            else:
                ids.add(a.event_id)

    # --- reading ----------------------------------------------------------------------

    def lot(self, lot: str) -> LotFacts | None:
        return self._lots.get(lot)

    def produced_by(self, lot: str) -> list[Transformation]:
        return self._sorted(self._produced.get(lot, ()), self._transformations.__getitem__)

    def consumed_by(self, lot: str) -> list[Transformation]:
        return self._sorted(self._consumed.get(lot, ()), self._transformations.__getitem__)

    def aggregations_of(self, parent: str) -> list[Aggregation]:
        return self._sorted(self._by_parent.get(parent, ()), self._aggregations.__getitem__)

    def parents_of(self, child: str) -> list[Aggregation]:
        return self._sorted(self._by_child.get(child, ()), self._aggregations.__getitem__)

    def at_site(self, site: str, start_us: int, end_us: int) -> list[Transformation]:
        found = self._sorted(self._sites.get(site, ()), self._transformations.__getitem__)
        return [t for t in found if start_us <= t.time_us < end_us]

    @staticmethod
    def _sorted(ids: Iterable[str], get: Callable[[str], E]) -> list[E]:
        return sorted((get(i) for i in ids), key=lambda x: (x.time_us, x.event_id))
