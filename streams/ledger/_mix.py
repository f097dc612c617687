"""Element accumulators: inputs are added in a fixed order, then scaled onto outputs.

Floating-point sums depend on their order, so every caller adds in sorted order and every
map is read back sorted; the same fact set then gives bit-identical figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from streams.ledger._types import UNKNOWN_ORIGIN, ElementLedger, element_order


@dataclass(slots=True)
class ElementMix:
    mass: float = 0.0
    pre: float = 0.0
    post: float = 0.0
    origin: dict[str, float] = field(default_factory=dict)

    def add(self, ledger: ElementLedger, factor: float) -> None:
        self.mass += ledger.mass_kg * factor
        self.pre += ledger.pre_consumer_kg * factor
        self.post += ledger.post_consumer_kg * factor
        for country in sorted(ledger.primary_origin_kg):
            kg = ledger.primary_origin_kg[country] * factor
            self.origin[country] = self.origin.get(country, 0.0) + kg

    def origin_shares(self) -> dict[str, float]:
        """Shares of the primary part by country (all "unknown" when there is none)."""
        total = sum(self.origin[c] for c in sorted(self.origin))
        if total <= 0:
            return {UNKNOWN_ORIGIN: 1.0}
        return {c: self.origin[c] / total for c in sorted(self.origin) if self.origin[c] > 0}

    def scaled_to(self, mass: float) -> ElementLedger:
        """This mix's composition carried by ``mass`` kg of the element (controlled blending)."""
        if self.mass <= 0:
            return with_shares(mass, 0.0, 0.0, {UNKNOWN_ORIGIN: 1.0})
        return with_shares(mass, self.pre / self.mass, self.post / self.mass, self.origin_shares())


class Mix:
    """Element mixes by element."""

    def __init__(self) -> None:
        self.elements: dict[str, ElementMix] = {}

    def add(self, elements: Mapping[str, ElementLedger], factor: float) -> None:
        for element in sorted(elements, key=element_order):
            self.elements.setdefault(element, ElementMix()).add(elements[element], factor)

    def get(self, element: str) -> ElementMix:
        return self.elements.get(element, ElementMix())

    def countries(self) -> set[str]:
        return {c for m in self.elements.values() for c, kg in m.origin.items() if kg > 0}

    def primary_kg(self) -> float:
        return sum(
            self.elements[e].origin[c]
            for e in sorted(self.elements)
            for c in sorted(self.elements[e].origin)
        )


def with_shares(
    mass: float, pre_share: float, post_share: float, origin_shares: Mapping[str, float]
) -> ElementLedger:
    """An element ledger of ``mass`` kg with these shares; the primary rest goes by origin."""
    pre_share = min(1.0, max(0.0, pre_share))
    post_share = min(1.0, max(0.0, post_share))
    if pre_share + post_share > 1.0:
        total = pre_share + post_share
        pre_share, post_share = pre_share / total, post_share / total
    pre, post = mass * pre_share, mass * post_share
    primary = max(0.0, mass - pre - post)
    origin = {c: primary * origin_shares[c] for c in sorted(origin_shares)} if primary > 0 else {}
    return ElementLedger(mass, pre, post, origin)


def ordered(elements: Iterable[str]) -> list[str]:
    return sorted(set(elements), key=element_order)
