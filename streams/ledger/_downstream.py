"""Which ledgers a changed lot reaches: what the processors must recompute after a new fact."""

from __future__ import annotations

from typing import Protocol

from streams.ledger._types import DEFAULT_CONFIG, LedgerConfig
from streams.model import Aggregation, FactsView, Transformation


class LineageView(FactsView, Protocol):
    """A :class:`FactsView` that can also walk the lineage forwards."""

    def consumed_by(self, lot: str) -> list[Transformation]:
        """Transformations that list ``lot`` among their inputs, sorted by (time, event id)."""
        ...

    def parents_of(self, child: str) -> list[Aggregation]:
        """Aggregations (ADD or DELETE) that list ``child``, sorted by (time, event id)."""
        ...


def downstream(lot: str, facts: LineageView, config: LedgerConfig | None = None) -> list[str]:
    """Every other lot whose ledger depends on ``lot``'s, sorted: outputs of the
    transformations that consume it, the other outputs of the transformation that made it,
    aggregation parents that hold it, and, transitively, theirs. Under mass balance a lot
    also reaches every output of its site's mass-balance transformations in the same period
    (they share one pool and one credit account).

    After a new fact, recompute the lots it names and ``downstream`` of each of them."""
    config = config if config is not None else DEFAULT_CONFIG
    seen: set[str] = set()
    stack = [lot]
    while stack:
        current = stack.pop()
        reached: set[str] = set()
        for t in facts.consumed_by(current):
            reached.update(_outputs_reached(t, facts, config))
        # siblings share what the declared outputs leave, and a mass-balance pool
        for t in facts.produced_by(current):
            reached.update(_outputs_reached(t, facts, config))
        for agg in facts.parents_of(current):
            reached.add(agg.parent)
        for other in sorted(reached - seen):
            seen.add(other)
            stack.append(other)
    seen.discard(lot)
    return sorted(seen)


def _outputs_reached(t: Transformation, facts: LineageView, config: LedgerConfig) -> set[str]:
    if t.chain_of_custody != "mass_balance" or t.site is None:
        return {o.lot for o in t.outputs}
    start = t.time_us // config.period_us * config.period_us
    pool = facts.at_site(t.site, start, start + config.period_us)
    return {o.lot for x in [t, *pool] if x.chain_of_custody == "mass_balance" for o in x.outputs}
