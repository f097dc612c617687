"""merge_lot: the join of two fact sets about one lot, whatever their order.

Each member (a scalar, or one key of a map) keeps the value declared by the largest event id
that declared it; two values from the same event id (a conflicting re-declaration) are
ordered by value. That choice is a maximum, so merging is commutative, associative and
idempotent, provided every member knows its declaring event: ``LotFacts.provenance`` names
it for the members not declared by the newest of ``source_events`` (the normal form, which
a single event's facts and every merge result are in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from streams._facts_values import FactsError
from streams.model import LotFacts, RecycledShare

V = TypeVar("V")


class _Merger:
    def __init__(self, a: LotFacts, b: LotFacts) -> None:
        self.sides = (a, b)
        self.sources = tuple(sorted(set(a.source_events) | set(b.source_events)))
        self.newest = self.sources[-1] if self.sources else ""
        self.provenance: dict[str, str] = {}

    def pick(
        self, key: str, get: Callable[[LotFacts], V | None], rank: Callable[[V], Any]
    ) -> V | None:
        best: tuple[str, Any, V] | None = None
        for side in self.sides:
            value = get(side)
            if value is None:
                continue
            candidate = (_origin(side, key), rank(value), value)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        if best is None:
            return None
        if best[0] != self.newest:
            self.provenance[key] = best[0]
        return best[2]

    def pick_map(
        self, name: str, get: Callable[[LotFacts], Mapping[str, V]], rank: Callable[[V], Any]
    ) -> dict[str, V]:
        keys = sorted(set(get(self.sides[0])) | set(get(self.sides[1])))
        out: dict[str, V] = {}
        for key in keys:
            value = self.pick(f"{name}:{key}", _member(get, key), rank)
            if value is not None:
                out[key] = value
        return out


def _member(get: Callable[[LotFacts], Mapping[str, V]], key: str) -> Callable[[LotFacts], V | None]:
    return lambda side: get(side).get(key)


def _origin(facts: LotFacts, key: str) -> str:
    declared = facts.provenance.get(key)
    if declared is not None:
        return declared
    return max(facts.source_events, default="")


def _same(value: V) -> V:
    return value


def _share(value: RecycledShare) -> tuple[float, float]:
    return value.pre_consumer, value.post_consumer


def merge_lot(a: LotFacts, b: LotFacts) -> LotFacts:
    """The facts of ``a`` and ``b`` together (both about the same lot)."""
    if a.lot != b.lot:
        raise FactsError(f"cannot merge the facts of two lots, {a.lot!r} and {b.lot!r}")
    m = _Merger(a, b)
    return LotFacts(
        lot=a.lot,
        mass_kg=m.pick("mass_kg", lambda f: f.mass_kg, _same),
        element_content=m.pick_map("element_content", lambda f: f.element_content, _same),
        recycled=m.pick_map("recycled", lambda f: f.recycled, _share),
        country_of_origin=m.pick("country_of_origin", lambda f: f.country_of_origin, _same),
        carbon_kg_per_kg=m.pick("carbon_kg_per_kg", lambda f: f.carbon_kg_per_kg, _same),
        carbon_stage=m.pick("carbon_stage", lambda f: f.carbon_stage, _same),
        certificates=tuple(sorted(set(a.certificates) | set(b.certificates))),
        flags=tuple(sorted(set(a.flags) | set(b.flags))),
        source_events=m.sources,
        site=m.pick("site", lambda f: f.site, _same),
        provenance=dict(sorted(m.provenance.items())),
    )
