"""Lineage read from the facts alone: mass-balance pools, what feeds them, and the order in
which ledgers can be computed.

A pool's shares depend on the ledgers of its inputs. An input whose own ledger depends on the
pool (material that left the site and came back within the period, directly or through
another pool) would make the pool depend on itself; such inputs are left out of the pool's
mix, like the lots made and consumed inside the pool. Deciding that walks the fact graph
only (never a ledger), so the result does not depend on which lot was asked for first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from streams.ledger._types import LedgerConfig
from streams.model import FactsView, Transformation

PoolKey = tuple[str, int | str]


class Lineage:
    def __init__(self, facts: FactsView, config: LedgerConfig) -> None:
        self.facts = facts
        self.config = config
        self._pools: dict[str, tuple[PoolKey, list[Transformation]]] = {}
        self._upstream: dict[str, frozenset[str]] = {}
        self._excluded: dict[PoolKey, frozenset[str]] = {}

    def producers(self, lot: str) -> list[Transformation]:
        """Transformations that made ``lot``; the ledger follows the first."""
        unique = {t.event_id: t for t in self.facts.produced_by(lot)}
        return sorted(unique.values(), key=lambda t: (t.time_us, t.event_id))

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
        """Every lot the ledger of ``lot`` could depend on in one step (a superset: every
        producer, every lot ever aggregated into it, every input of its mass-balance pool)."""
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

    def excluded(self, key: PoolKey, ts: list[Transformation]) -> frozenset[str]:
        """Inputs of the pool ``ts`` that must stay out of its mix: lots the pool made, and
        lots whose lineage reaches something the pool made."""
        found = self._excluded.get(key)
        if found is not None:
            return found
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
        result = self._excluded[key] = frozenset(excluded)
        return result

    # --- the exact one-step dependencies, for computing bottom-up ---------------------------

    def material_needs(self, lot: str) -> list[str]:
        """Lots whose physical side (mass, element mass, carbon) ``lot``'s needs."""
        producers = self.producers(lot)
        if producers:
            return sorted({take.lot for take in producers[0].inputs})
        return sorted({take.lot for a in self.facts.aggregations_of(lot) for take in a.children})

    def ledger_needs(self, lot: str) -> list[str]:
        """Lots whose full ledger ``lot``'s needs: the inputs of the transformation it follows
        (for mass balance, what feeds the pool), or its children."""
        producers = self.producers(lot)
        if not producers:
            return self.material_needs(lot)
        t = producers[0]
        if t.chain_of_custody != "mass_balance":
            return sorted({take.lot for take in t.inputs})
        key, ts = self.pool(t)
        left_out = self.excluded(key, ts)
        return sorted({take.lot for x in ts for take in x.inputs} - left_out)

    def pool_inputs(self, lot: str) -> list[str]:
        """Every input of the pool ``lot`` came from (their physical side is needed)."""
        producers = self.producers(lot)
        if not producers or producers[0].chain_of_custody != "mass_balance":
            return []
        return sorted({take.lot for x in self.pool(producers[0])[1] for take in x.inputs})


def bottom_up(roots: Iterable[str], needs: Callable[[str], list[str]]) -> list[str]:
    """The roots and everything they need, each after what it needs (depth-first post-order,
    iterative so that a long supply chain is no deep recursion; a cycle is cut where met)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(needs(root)))]
        while stack:
            node, rest = stack[-1]
            following = next(rest, None)
            if following is None:
                stack.pop()
                order.append(node)
            elif following not in seen:
                seen.add(following)
                stack.append((following, iter(needs(following))))
    return order
