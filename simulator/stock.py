"""What a site holds: lots received and not yet used up, and how a run draws from them.

Masses are kept to the gram (3 decimals) so that every figure a feed writes in kg, in any
format, reads back as the same double.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator.model import Take


def grams(kg: float) -> float:
    """``kg`` rounded to the gram."""
    return round(kg, 3)


@dataclass
class Held:
    lot: str
    product: str
    kg: float  # the lot's mass
    left: float  # what this site has not used yet
    order: int  # arrival order: lots are used oldest first


class Stock:
    """Lots by product, in arrival order; a lot used up leaves the stock."""

    def __init__(self) -> None:
        self._lots: dict[str, Held] = {}
        self._open: dict[str, dict[str, Held]] = {}  # product -> lot -> held, arrival order
        self._arrivals = 0

    def put(self, lot: str, product: str, kg: float) -> None:
        if lot in self._lots:
            raise ValueError(f"{lot} is already in stock")
        held = Held(lot, product, kg, kg, self._arrivals)
        self._lots[lot] = held
        self._open.setdefault(product, {})[lot] = held
        self._arrivals += 1

    def _set_left(self, held: Held, left: float) -> None:
        held.left = grams(left)
        if held.left < 0.001:
            self._open.get(held.product, {}).pop(held.lot, None)

    def lots(self, product: str) -> list[Held]:
        """Lots of ``product`` with something left, oldest first."""
        return list(self._open.get(product, {}).values())

    def left(self, product: str) -> float:
        return grams(sum(h.left for h in self.lots(product)))

    def draw(self, product: str, need: float, rand: random.Random, spread: int = 2) -> list[Take]:
        """About ``need`` kg of ``product``: split over up to ``spread`` of the oldest lots (a
        blend, as plants feed several lots at once), then topped up oldest first; less when
        the stock runs short. Takes are whole grams and never exceed what a lot has left."""
        lots = self.lots(product)
        if not lots or need < 0.001:
            return []
        chosen = lots[: spread + 1]
        if len(chosen) > spread:
            chosen = sorted(rand.sample(chosen, spread), key=lambda h: h.order)
        weights = [rand.uniform(0.4, 1.0) for _ in chosen]
        total = sum(weights)
        taken: dict[str, float] = {}
        wanted = need
        for held, weight in zip(chosen, weights, strict=True):
            kg = grams(min(held.left, need * weight / total))
            taken[held.lot] = kg
            wanted -= kg
        for held in lots:
            if wanted < 0.001:
                break
            kg = grams(min(held.left - taken.get(held.lot, 0.0), wanted))
            if kg >= 0.001:
                taken[held.lot] = grams(taken.get(held.lot, 0.0) + kg)
                wanted -= kg
        takes = []
        for held in lots:
            kg = taken.get(held.lot, 0.0)
            if kg >= 0.001:
                self._set_left(held, held.left - kg)
                takes.append(Take(held.lot, kg))
        return takes

    def take_whole(self, lot: str) -> Take:
        """All that is left of one lot."""
        held = self._lots[lot]
        take = Take(lot, held.left)
        self._set_left(held, 0.0)
        return take

    def take_rest(self, lot: str) -> float:
        """Empty one lot out (it is shipped); what it had left."""
        held = self._lots[lot]
        kg = held.left
        self._set_left(held, 0.0)
        return kg

    def draw_all(self, product: str) -> list[Take]:
        takes = [Take(h.lot, h.left) for h in self.lots(product)]
        for take in takes:
            self._set_left(self._lots[take.lot], 0.0)
        return takes
