"""Mass-balance pools: which transformations share one, and which of their inputs may feed it.

A pool's shares depend on the ledgers of its inputs. An input whose own ledger depends on the
pool (material that left the site and came back within the period, directly or through
another pool) would make the pool depend on itself; such inputs are left out of the pool's
mix, like the lots made and consumed inside the pool. Deciding that walks the fact graph
only (never a ledger), so the result does not depend on which lot was asked for first.
"""

from __future__ import annotations

from streams.ledger._types import LedgerConfig
from streams.model import FactsView, Transformation

PoolKey = tuple[str, int | str]


class Lineage:
    """What a lot's ledger may depend on, read from the facts (a superset: every producer,
    every lot ever aggregated into it, every input of a mass-balance pool it came from)."""

    def __init__(self, facts: FactsView, config: LedgerConfig) -> None:
        self.facts = facts
        self.config = config
        self._pools: dict[str, tuple[PoolKey, list[Transformation]]] = {}
        self._upstream: dict[str, frozenset[str]] = {}

    def pool(self, t: Transformation) -> tuple[PoolKey, list[Transformation]]:
        """The mass-balance transformations sharing ``t``'s pool, by (time, event id): same
        site, same fixed period; an event without a site is a pool of its own."""
        found = self._pools.get(t.event_id)
        if found is not None:
            return found
        period = self.config.period_us
        index = t.time_us // period
        if t.site is None:
            result: tuple[PoolKey, list[Transformation]] = (("", t.event_id), [t])
        else:
            start = index * period
            mates = self.facts.at_site(t.site, start, start + period)
            unique = {x.event_id: x for x in mates if x.chain_of_custody == "mass_balance"}
            unique.setdefault(t.event_id, t)
            ordered = sorted(unique.values(), key=lambda x: (x.time_us, x.event_id))
            result = ((t.site, index), ordered)
        self._pools[t.event_id] = result
        return result

    def upstream(self, lot: str) -> frozenset[str]:
        found = self._upstream.get(lot)
        if found is not None:
            return found
        lots: set[str] = set()
        for t in self.facts.produced_by(lot):
            mates = self.pool(t)[1] if t.chain_of_custody == "mass_balance" else [t]
            lots.update(take.lot for x in mates for take in x.inputs)
        for agg in self.facts.aggregations_of(lot):
            lots.update(take.lot for take in agg.children)
        result = frozenset(lots)
        self._upstream[lot] = result
        return result

    def excluded(self, ts: list[Transformation]) -> set[str]:
        """Inputs of the pool ``ts`` that must stay out of its mix: lots the pool made, and
        lots whose lineage reaches something the pool made."""
        made = {take.lot for t in ts for take in t.outputs}
        clean: set[str] = set()
        excluded: set[str] = set()
        for lot in sorted({take.lot for t in ts for take in t.inputs}):
            if lot in made:
                excluded.add(lot)
                continue
            seen, frontier, hit = {lot}, [lot], False
            while frontier and not hit:
                for before in sorted(self.upstream(frontier.pop())):
                    if before in made:
                        hit = True
                        break
                    if before not in seen and before not in clean:
                        seen.add(before)
                        frontier.append(before)
            if hit:
                excluded.add(lot)
            else:
                clean |= seen
        return excluded
