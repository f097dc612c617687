"""The builder the stages use: it records operations, names lots, keeps each site's stock
and the physical element mass of every lot (what the plants plan their runs with)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from simulator import ids
from simulator.model import (
    Aggregate,
    Commission,
    Declaration,
    Move,
    Operation,
    Output,
    Product,
    Site,
    Take,
    Transform,
)
from simulator.scenario import Scenario
from simulator.sites import products, sites
from simulator.stock import Stock, grams


def floor6(value: float) -> float:
    """Rounded down to 6 decimals: a declared fraction never claims more than was there."""
    return math.floor(value * 1e6) / 1e6


class Chain:
    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.sites: dict[str, Site] = sites()
        self.products: dict[str, Product] = products()
        self.ops: list[Operation] = []
        self.stock: dict[str, Stock] = {key: Stock() for key in self.sites}
        self.product_of: dict[str, str] = {}
        self.mass: dict[str, float] = {}
        #: physical element kg of each lot (or item), as declared
        self.element_kg: dict[str, dict[str, float]] = {}
        self.declarations: dict[str, Declaration] = {}
        #: serialised assemblies by level ("cell", "module", "pack")
        self.items: dict[str, tuple[str, ...]] = {}
        self._counters: dict[str, int] = {}
        self._streams: dict[str, random.Random] = {}
        self._times: dict[str, set[datetime]] = {}

    # -- randomness, names, times ---------------------------------------------------------

    def rand(self, stream: str) -> random.Random:
        if stream not in self._streams:
            self._streams[stream] = ids.rng(self.seed, stream)
        return self._streams[stream]

    def _next(self, counter: str) -> int:
        self._counters[counter] = self._counters.get(counter, 0) + 1
        return self._counters[counter]

    def new_lot(self, product: str, when: datetime) -> str:
        p = self.products[product]
        return ids.lot_uri(p.gtin, f"{p.prefix}-{when:%y}-{self._next(product):05d}")

    def new_item(self, product: str, when: datetime) -> str:
        p = self.products[product]
        return ids.item_uri(p.gtin, f"{p.prefix}{when:%y}{self._next(product):07d}")

    def number(self, counter: str, start: int) -> str:
        """The next document number of a series (ERP orders, despatch advices ...)."""
        return str(start + self._next(counter))

    def event_id(self, site: str) -> str | None:
        """Systems that write EPCIS 2.0 send their own eventID; ERP exports and the EPCIS 1.2
        site send none (the pipeline names those events by their CBV 2.0 hash)."""
        if self.sites[site].feed in ("epcis-json", "epcis-xml"):
            return ids.event_id(self.rand(f"event-ids:{site}"))
        return None

    def at(self, site: str, day: float) -> datetime:
        """A time ``day`` days after the start, on the second, never twice at one site (so
        that the order of a site's events is their time order)."""
        when = self.scenario.start + timedelta(seconds=round(day * 86400))
        used = self._times.setdefault(site, set())
        while when in used:
            when += timedelta(seconds=1)
        used.add(when)
        return when

    def day_of(self, when: datetime) -> float:
        return (when - self.scenario.start).total_seconds() / 86400

    # -- operations -----------------------------------------------------------------------

    def _register(self, lot: str, product: str, kg: float, decl: Declaration) -> None:
        if lot in self.product_of:
            raise ValueError(f"{lot} is made twice")
        self.product_of[lot] = product
        self.mass[lot] = kg
        self.element_kg[lot] = {e: f * kg for e, f in decl.fractions}
        self.declarations[lot] = decl

    def commission(
        self,
        site: str,
        product: str,
        kg: float,
        decl: Declaration,
        when: datetime,
        certificates: tuple[str, ...] = (),
    ) -> str:
        lot = self.new_lot(product, when)
        kg = grams(kg)
        self._register(lot, product, kg, decl)
        key = f"commission:{site}:{len(self.ops)}"
        self.ops.append(
            Commission(key, self.event_id(site), when, site, product, lot, kg, decl, certificates)
        )
        self.stock[site].put(lot, product, kg)
        return lot

    def ship(
        self, lot: str, origin: str, destination: str, when: datetime, days: float
    ) -> datetime:
        """Despatch the rest of ``lot`` from ``origin``; received ``days`` later when the
        destination is a site of the chain. Returns the arrival time."""
        kg = self.stock[origin].take_rest(lot)
        if kg < 0.001:
            raise ValueError(f"{origin} has nothing left of {lot} to ship")
        product = self.product_of[lot]
        advice = self.number(f"desadv:{origin}", 80000000)
        self.ops.append(
            Move(f"ship:{origin}:{len(self.ops)}", self.event_id(origin), when, origin,
                 "shipping", product, lot, kg, destination, advice)
        )  # fmt: skip
        arrival = self.at(destination, self.day_of(when) + days)
        if destination in self.sites:
            self.ops.append(
                Move(f"receive:{destination}:{len(self.ops)}", self.event_id(destination),
                     arrival, destination, "receiving", product, lot, kg, origin, advice)
            )  # fmt: skip
            self.stock[destination].put(lot, product, kg)
        return arrival

    def element_in(self, takes: Iterable[Take]) -> dict[str, float]:
        """Element kg the takes carry (each lot's element mass in proportion to the take)."""
        total: dict[str, float] = {}
        for take in takes:
            share = take.kg / self.mass[take.lot]
            for element, kg in self.element_kg[take.lot].items():
                total[element] = total.get(element, 0.0) + kg * share
        return total

    def transform(
        self,
        site: str,
        when: datetime,
        takes: list[Take],
        outputs: list[tuple[str, float, Declaration]],
        emissions_kg: float,
        order: str | None = None,
    ) -> list[str]:
        """A run making one lot per ``(product, kg, declaration)``; the lots join the site's
        stock. EPCIS has one ILMD per TransformationEvent, applying to every output: so the
        outputs of one run share their declaration (several lots of one material)."""
        if len({decl for _, _, decl in outputs}) > 1:
            raise ValueError(f"the outputs of a run at {site} declare different compositions")
        made: list[Output] = []
        lots = []
        for product, kg, decl in outputs:
            lot = self.new_lot(product, when)
            kg = grams(kg)
            self._register(lot, product, kg, decl)
            made.append(Output(product, decl, lot=lot, kg=kg))
            self.stock[site].put(lot, product, kg)
            lots.append(lot)
        self._transform(site, when, takes, made, emissions_kg, order)
        return lots

    def make_items(
        self,
        site: str,
        when: datetime,
        takes: list[Take],
        product: str,
        count: int,
        decl: Declaration,
        emissions_kg: float,
    ) -> list[str]:
        """A run making ``count`` serialised items of ``decl.net_weight_kg`` each."""
        items = [self.new_item(product, when) for _ in range(count)]
        weight = decl.net_weight_kg or 0.0
        for item in items:
            self._register(item, product, weight, decl)
        self._transform(
            site, when, takes, [Output(product, decl, items=tuple(items))], emissions_kg, None
        )
        return items

    def _transform(
        self,
        site: str,
        when: datetime,
        takes: list[Take],
        outputs: list[Output],
        emissions_kg: float,
        order: str | None,
    ) -> None:
        if not takes:
            raise ValueError(f"a run at {site} on {when} has no inputs")
        key = f"transform:{site}:{len(self.ops)}"
        custody = self.sites[site].custody
        self.ops.append(
            Transform(key, self.event_id(site), when, site, tuple(takes), tuple(outputs),
                      custody, round(emissions_kg, 3), order)
        )  # fmt: skip

    def aggregate(self, site: str, when: datetime, product: str, children: list[str]) -> str:
        parent = self.new_item(product, when)
        self.product_of[parent] = product
        self.mass[parent] = grams(sum(self.mass[c] for c in children))
        self.element_kg[parent] = _sum(self.element_kg[c] for c in children)
        key = f"aggregate:{site}:{len(self.ops)}"
        self.ops.append(
            Aggregate(key, self.event_id(site), when, site, product, parent, tuple(children))
        )
        return parent


def _sum(parts: Iterable[Mapping[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for part in parts:
        for element, kg in part.items():
            total[element] = total.get(element, 0.0) + kg
    return total
