"""The ground truth: what every lot, cell, module and pack is made of, computed from the
simulator's own flow model, with its own arithmetic (it never calls streams/).

The rules are the EPCIS extension contract's (issue 4, README "Stream processors"):

* a commissioned lot is what its plant declares: element kg = kg * ``ot:massFraction``,
  of which ``ot:recycledShare`` is pre-/post-consumer and the rest primary from
  ``cbvmda:countryOfOrigin``; carbon = ``ot:kgCO2ePerKg`` * kg;
* a run's outputs have the element kg their declared fractions give; a take of ``x`` kg
  from a lot of ``m`` kg carries ``x/m`` of its element masses and footprint; the inputs'
  footprint plus the process emissions is split over the outputs by mass;
* identity preserved, segregated, controlled blending: each output element carries the
  element-mass-weighted recycled and origin shares of everything the run took in;
* mass balance: the shares come from the pool of every input the site's mass-balance
  runs took in the same fixed period (``period_days`` windows from the Unix epoch); an
  output declaring ``ot:recycledShare`` gets that recycled mass from the period's credit
  (first come, first served, never below zero); the others share what the claims left,
  after losses; origins are the pool's;
* an assembly (module, pack) is the sum of its parts.

A run whose outputs carry more of an element than it took in (beyond ``tolerance``) is a
mass-balance violation: the lots it made, and everything made from them, are marked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from simulator.model import ELEMENTS, Aggregate, Commission, Flow, Output, Transform

UNKNOWN = "unknown"
MASS_BALANCE_VIOLATION = "mass_balance_violation"


@dataclass
class Part:
    """One element of one lot, in kg: pre + post + sum(origin) == kg."""

    kg: float = 0.0
    pre: float = 0.0
    post: float = 0.0
    origin: dict[str, float] = field(default_factory=dict)

    def add(self, other: Part, factor: float) -> None:
        self.kg += other.kg * factor
        self.pre += other.pre * factor
        self.post += other.post * factor
        for country in sorted(other.origin):
            self.origin[country] = self.origin.get(country, 0.0) + other.origin[country] * factor

    def origin_shares(self) -> dict[str, float]:
        total = sum(self.origin.values())
        if total <= 0:
            return {UNKNOWN: 1.0}
        return {c: kg / total for c, kg in sorted(self.origin.items()) if kg > 0}


def shaped(kg: float, pre: float, post: float, origins: Mapping[str, float]) -> Part:
    """``kg`` of an element with these recycled shares (each capped to [0, 1], scaled down
    together if they add up above 1); the primary rest split by ``origins``."""
    pre, post = min(1.0, max(0.0, pre)), min(1.0, max(0.0, post))
    if pre + post > 1:
        pre, post = pre / (pre + post), post / (pre + post)
    primary = max(0.0, kg - kg * pre - kg * post)
    origin = {c: primary * s for c, s in origins.items()} if primary > 0 else {}
    return Part(kg, kg * pre, kg * post, origin)


@dataclass
class Lot:
    kg: float
    parts: dict[str, Part]
    carbon: float
    alerts: set[str] = field(default_factory=set)  # alert types raised on this lot
    marks: set[str] = field(default_factory=set)  # alert types here or upstream


@dataclass(frozen=True)
class Alert:
    type: str
    lot: str
    event: str  # the operation key
    event_id: str | None
    element: str
    input_kg: float
    output_kg: float


class Truth:
    def __init__(self, flow: Flow, period_days: int = 30, tolerance: float = 0.02) -> None:
        self.flow = flow
        self.period_s = period_days * 86400
        self.tolerance = tolerance
        self.lots: dict[str, Lot] = {}
        self.alerts: list[Alert] = []
        self._made_by: dict[str, Transform | Aggregate | Commission] = {}
        self._pools: dict[tuple[str, int], list[Transform]] = {}
        for op in flow.operations:
            if isinstance(op, Commission):
                self._made_by[op.lot] = op
            elif isinstance(op, Aggregate):
                self._made_by[op.parent] = op
            elif isinstance(op, Transform):
                for output in op.outputs:
                    for lot, _ in output.lots():
                        self._made_by[lot] = op
                if op.custody == "mass_balance":
                    self._pools.setdefault(self._pool_key(op), []).append(op)
        self._done: set[str] = set()
        for op in flow.operations:  # in time order: every input was made before it is used
            self._account(op)

    def _pool_key(self, t: Transform) -> tuple[str, int]:
        return t.site, math.floor(t.time.timestamp() / self.period_s)

    def _account(self, op: object) -> None:
        if isinstance(op, Commission):
            self._commissioned(op)
        elif isinstance(op, Aggregate):
            self._aggregated(op)
        elif isinstance(op, Transform) and op.key not in self._done:
            if op.custody == "mass_balance":
                self._pool(self._pools[self._pool_key(op)])
            else:
                self._blended(op)

    # -- the three kinds of lots ----------------------------------------------------------

    def _commissioned(self, op: Commission) -> None:
        decl = op.declaration
        recycled = {r.element: r for r in decl.recycled}
        parts = {}
        for element, fraction in decl.fractions:
            r = recycled.get(element)
            kg = op.kg * fraction
            if kg > 0:
                parts[element] = shaped(
                    kg, r.pre if r else 0.0, r.post if r else 0.0, {decl.country or UNKNOWN: 1.0}
                )
        self.lots[op.lot] = Lot(op.kg, parts, (decl.carbon_per_kg or 0.0) * op.kg)

    def _aggregated(self, op: Aggregate) -> None:
        parts: dict[str, Part] = {}
        kg = carbon = 0.0
        marks: set[str] = set()
        for child in sorted(op.children):
            lot = self.lots[child]
            kg += lot.kg
            carbon += lot.carbon
            marks |= lot.marks
            for element, part in lot.parts.items():
                parts.setdefault(element, Part()).add(part, 1.0)
        self.lots[op.parent] = Lot(kg, parts, carbon, set(), marks)

    def _physical(self, t: Transform) -> tuple[dict[str, Part], float, set[str]]:
        """What the run took in: element mixes, footprint, upstream marks."""
        mix: dict[str, Part] = {}
        carbon = 0.0
        marks: set[str] = set()
        for take in t.inputs:
            lot = self.lots[take.lot]
            factor = take.kg / lot.kg
            carbon += lot.carbon * factor
            marks |= lot.marks
            for element, part in lot.parts.items():
                mix.setdefault(element, Part()).add(part, factor)
        return mix, carbon, marks

    def _outputs(
        self, t: Transform, mix: Mapping[str, Part], carbon_in: float
    ) -> list[tuple[str, float, dict[str, float], float]]:
        """(lot, kg, element kg, carbon) of each output, and the mass-balance check."""
        made = [(lot, kg, o) for o in t.outputs for lot, kg in o.lots()]
        total = sum(kg for _, kg, _ in made)
        carbon = carbon_in + t.emissions_kg
        out = []
        element_total: dict[str, float] = {}
        for lot, kg, output in made:
            element_kg = {e: f * kg for e, f in output.declaration.fractions if f * kg > 0}
            for e, x in element_kg.items():
                element_total[e] = element_total.get(e, 0.0) + x
            out.append((lot, kg, element_kg, carbon * kg / total if total > 0 else 0.0))
        for element in _ordered(element_total):
            taken = mix[element].kg if element in mix else 0.0
            if element_total[element] > taken * (1 + self.tolerance):
                for lot, _, _, _ in out:
                    self.alerts.append(Alert(MASS_BALANCE_VIOLATION, lot, t.key, t.event_id,
                                             element, taken, element_total[element]))  # fmt: skip
        return out

    def _new_lot(
        self, lot: str, kg: float, parts: dict[str, Part], carbon: float, marks: set[str]
    ) -> None:
        raised = {a.type for a in self.alerts if a.lot == lot}
        self.lots[lot] = Lot(kg, parts, carbon, raised, marks | raised)

    def _blended(self, t: Transform) -> None:
        mix, carbon, marks = self._physical(t)
        for lot, kg, element_kg, lot_carbon in self._outputs(t, mix, carbon):
            parts = {}
            for element, x in element_kg.items():
                m = mix.get(element, Part())
                if m.kg > 0:
                    parts[element] = shaped(x, m.pre / m.kg, m.post / m.kg, m.origin_shares())
                else:
                    parts[element] = shaped(x, 0.0, 0.0, {UNKNOWN: 1.0})
            self._new_lot(lot, kg, parts, lot_carbon, marks)
        self._done.add(t.key)

    def _pool(self, ts: list[Transform]) -> None:
        ts = sorted(ts, key=lambda t: (t.time, t.event_id or ""))
        pool: dict[str, Part] = {}
        results = []
        for t in ts:
            mix, carbon, marks = self._physical(t)
            for element, part in mix.items():
                pool.setdefault(element, Part()).add(part, 1.0)
            results.append((t, self._outputs(t, mix, carbon), marks))
        # the period's outputs, in claim order: by run, then by lot
        finals = [(t, out) for t, outs, _ in results for out in sorted(outs)]
        shares: dict[str, dict[str, Part]] = {lot: {} for _, (lot, *_rest) in finals}
        for element in _ordered(pool):
            credit = pool[element]
            origins = credit.origin_shares()
            claimed: list[tuple[str, float, tuple[float, float] | None]] = []
            open_: list[tuple[str, float, tuple[float, float] | None]] = []
            for t, (lot, _, element_kg, _) in finals:
                if element_kg.get(element, 0.0) <= 0:
                    continue
                declared = _recycled_claim(t, lot, element)
                (claimed if declared is not None else open_).append(
                    (lot, element_kg[element], declared)
                )
            granted = [0.0, 0.0]
            for lot, kg, declared in claimed:
                assert declared is not None
                got = []
                for i, want in enumerate((declared[0] * kg, declared[1] * kg)):
                    g = min(want, max(0.0, (credit.pre, credit.post)[i] - granted[i]))
                    granted[i] += g
                    got.append(g)
                shares[lot][element] = shaped(kg, got[0] / kg, got[1] / kg, origins)
            out_total = sum(kg for _, kg, _ in claimed) + sum(kg for _, kg, _ in open_)
            kept = min(1.0, out_total / credit.kg) if credit.kg > 0 else 0.0
            rest = [
                max(0.0, c * kept - g)
                for c, g in zip((credit.pre, credit.post), granted, strict=True)
            ]
            open_kg = sum(kg for _, kg, _ in open_)
            for lot, kg, _ in open_:
                shares[lot][element] = shaped(kg, rest[0] / open_kg, rest[1] / open_kg, origins)
        for t, outs, marks in results:
            for lot, kg, _element_kg, lot_carbon in outs:
                self._new_lot(lot, kg, shares[lot], lot_carbon, marks)
            self._done.add(t.key)


def _recycled_claim(t: Transform, lot: str, element: str) -> tuple[float, float] | None:
    for output in t.outputs:
        if output.lot == lot or lot in output.items:
            for r in output.declaration.recycled:
                if r.element == element:
                    return r.pre, r.post
    return None


def _ordered(elements: Iterable[str]) -> list[str]:
    order = {e: i for i, e in enumerate(ELEMENTS)}
    return sorted(set(elements), key=lambda e: (order.get(e, len(order)), e))


__all__ = ["Alert", "Lot", "Output", "Part", "Truth"]
