"""Propagation: one :class:`Ledgers` computes lots recursively over the fact set, memoising
every lot, transformation and mass-balance pool it meets."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from streams.ledger._custody import Pool, Shares, blended, mass_balance
from streams.ledger._leaf import declared, own_elements
from streams.ledger._mix import Mix, ordered, with_shares
from streams.ledger._physical import Material, Output, Physical, exceeds, merged_takes, physical
from streams.ledger._pools import Lineage, PoolKey, bottom_up
from streams.ledger._types import (
    CONFLICTING_LINEAGE,
    DEFAULT_CONFIG,
    LINEAGE_CYCLE,
    MULTIPLE_PRODUCERS,
    QUANTITY_EXCEEDS_LOT,
    UNKNOWN_ORIGIN,
    Alert,
    ElementLedger,
    Finding,
    LedgerConfig,
    LotLedger,
)
from streams.model import FactsView, LotFacts, Transformation

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Cycle(Exception):
    """Raised on re-entering a computation; caught by the computation it re-entered."""

    def __init__(self, key: Hashable) -> None:
        super().__init__(key)
        self.key = key


@dataclass(slots=True)
class _Parts:
    mass_kg: float
    elements: dict[str, ElementLedger]
    carbon_kg: float
    inputs: tuple[tuple[str, float], ...]
    complete: bool
    findings: list[Finding] = field(default_factory=list)
    inherited_flags: tuple[str, ...] = ()
    inherited_certificates: tuple[str, ...] = ()


def _cycle_finding(what: str) -> Finding:
    return Finding(LINEAGE_CYCLE, None, None, {}, f"{what} depends on itself; left incomplete")


class Ledgers:
    """Ledgers of the lots of one fact set. Results are memoised, so create one per fact-set
    state (e.g. per batch of recomputations) and drop it when the facts change."""

    def __init__(self, facts: FactsView, config: LedgerConfig | None = None) -> None:
        self.facts = facts
        self.config = config if config is not None else DEFAULT_CONFIG
        self._lots: dict[str, LotLedger] = {}
        self._materials: dict[str, Material] = {}
        self._physicals: dict[str, Physical] = {}
        self._outputs: dict[str, dict[str, _Parts]] = {}
        self._pools: dict[PoolKey, Pool] = {}
        self._active: set[Hashable] = set()
        self._lineage = Lineage(facts, self.config)

    def of(self, lot: str) -> LotLedger:
        found = self._lots.get(lot)
        if found is not None:
            return found
        if not self._active:
            # a first call computes what the lot depends on first, physical sides then
            # ledgers, so no recursion below goes deeper than one step of lineage however
            # long the supply chain is
            lineage = self._lineage
            ledgers = bottom_up([lot], lineage.ledger_needs)
            roots = [*ledgers, *(x for before in ledgers for x in lineage.pool_inputs(before))]
            for before in bottom_up(roots, lineage.material_needs):
                self._material(before)
            for before in ledgers[:-1]:
                self._ledger(before)
        return self._ledger(lot)

    def _ledger(self, lot: str) -> LotLedger:
        return self._guard(
            self._lots, ("lot", lot), lot, lambda: self._lot(lot), lambda: self._cyclic(lot)
        )

    # --- memoisation with cycle detection -------------------------------------------------

    def _guard(
        self,
        memo: dict[K, V],
        tag: Hashable,
        key: K,
        compute: Callable[[], V],
        on_cycle: Callable[[], V],
    ) -> V:
        found = memo.get(key)
        if found is not None:
            return found
        if tag in self._active:
            raise _Cycle(tag)
        self._active.add(tag)
        try:
            result = compute()
        except _Cycle as cycle:
            if cycle.key != tag:
                raise
            result = on_cycle()
        finally:
            self._active.discard(tag)
        memo[key] = result
        return result

    # --- lots -----------------------------------------------------------------------------

    def _lot(self, lot: str) -> LotLedger:
        producers = self._producers(lot)
        children = self._children(lot)
        findings: list[Finding] = []
        for extra in producers[1:]:
            findings.append(
                Finding(
                    MULTIPLE_PRODUCERS,
                    extra.event_id,
                    None,
                    {"producers": float(len(producers))},
                    f"{lot} is an output of {len(producers)} transformations; the ledger "
                    f"follows the first, {producers[0].event_id}",
                )
            )
        parts: _Parts | None = None
        if producers:
            parts = self._produced(producers[0]).get(lot)
            if children:
                findings.append(
                    Finding(
                        CONFLICTING_LINEAGE,
                        producers[0].event_id,
                        None,
                        {"children": float(len(children))},
                        f"{lot} is both a transformation output and an aggregation parent; "
                        "the ledger follows the transformation",
                    )
                )
        if parts is None:
            parts = self._aggregate(lot, children) if children else self._leaf(lot)
        parts.findings.extend(findings)
        return self._assemble(lot, parts)

    def _cyclic(self, lot: str) -> LotLedger:
        decl = declared(self.facts.lot(lot))
        parts = _Parts(decl.mass_kg or 0.0, {}, 0.0, (), False, [_cycle_finding(lot)])
        return self._assemble(lot, parts)

    def _assemble(self, lot: str, parts: _Parts) -> LotLedger:
        facts = self.facts.lot(lot)
        unique: dict[tuple[object, ...], Alert] = {}
        for finding in [*declared(facts).findings, *parts.findings]:
            alert = finding.on(lot)
            unique[(*alert.sort_key(), tuple(sorted(alert.figures.items())))] = alert
        alerts = tuple(unique[k] for k in sorted(unique))
        flags = set(parts.inherited_flags) | {f"alert:{a.type}" for a in alerts}
        certificates = set(parts.inherited_certificates)
        if facts is not None:
            flags.update(facts.flags)
            certificates.update(facts.certificates)
        elements = {e: parts.elements[e] for e in ordered(parts.elements)}
        return LotLedger(
            lot=lot,
            mass_kg=parts.mass_kg,
            elements={e: led for e, led in elements.items() if led.mass_kg > 0},
            carbon_kg=parts.carbon_kg,
            certificates=tuple(sorted(certificates)),
            flags=tuple(sorted(flags)),
            alerts=alerts,
            inputs=parts.inputs,
            complete=parts.complete,
        )

    def _producers(self, lot: str) -> list[Transformation]:
        return self._lineage.producers(lot)

    def _children(self, parent: str) -> dict[str, tuple[float | None, str]]:
        """The children left after replaying ADD and DELETE in (time, event id) order, with
        their quantity and the event that added them."""
        children: dict[str, tuple[float | None, str]] = {}
        aggregations = sorted(
            self.facts.aggregations_of(parent), key=lambda a: (a.time_us, a.event_id)
        )
        for agg in aggregations:
            if agg.action == "DELETE" and not agg.children:
                children.clear()  # EPCIS 2.0 7.4.3: a DELETE without children unpacks all
            for child, kg in merged_takes(agg.children):
                if agg.action == "DELETE":
                    children.pop(child, None)
                else:
                    children[child] = (kg, agg.event_id)
        return {child: children[child] for child in sorted(children)}

    def _leaf(self, lot: str) -> _Parts:
        facts = self.facts.lot(lot)
        decl = declared(facts)
        mass = decl.mass_kg or 0.0
        country = facts.country_of_origin if facts is not None else None
        elements = own_elements(mass, decl, country)
        carbon = (decl.carbon_kg_per_kg or 0.0) * mass
        return _Parts(mass, elements, carbon, (), decl.mass_kg is not None)

    def _aggregate(self, lot: str, children: dict[str, tuple[float | None, str]]) -> _Parts:
        """An aggregation parent is the sum of what its children put into it."""
        mix = Mix()
        mass = carbon = 0.0
        complete = True
        flags: set[str] = set()
        certificates: list[set[str]] = []
        inputs: list[tuple[str, float]] = []
        findings: list[Finding] = []
        for child in sorted(children):
            kg, event_id = children[child]
            led = self.of(child)
            complete = complete and led.complete and led.mass_kg > 0
            taken = led.mass_kg if kg is None else kg
            ratio = taken / led.mass_kg if led.mass_kg > 0 else 0.0
            if ratio > 1.0:
                if led.complete and exceeds(taken, led.mass_kg * (1 + self.config.tolerance)):
                    findings.append(
                        Finding(
                            QUANTITY_EXCEEDS_LOT,
                            event_id,
                            None,
                            {"takenKg": taken, "lotMassKg": led.mass_kg},
                            f"{event_id} packs {taken:g} kg of {child} into {lot}, which has "
                            f"{led.mass_kg:g} kg; only the lot's mass is carried over",
                        )
                    )
                ratio = 1.0
            mix.add(led.elements, ratio)
            mass += led.mass_kg * ratio
            carbon += led.carbon_kg * ratio
            flags.update(led.flags)
            certificates.append(set(led.certificates))
            inputs.append((child, taken))
        elements = {
            e: ElementLedger(m.mass, m.pre, m.post, {c: kg for c, kg in m.origin.items() if kg > 0})
            for e, m in mix.elements.items()
        }
        inherited = set.intersection(*certificates) if certificates else set()
        return _Parts(
            mass,
            elements,
            carbon,
            tuple(inputs),
            complete,
            findings,
            tuple(sorted(flags)),
            tuple(sorted(inherited)),
        )

    # --- transformations ------------------------------------------------------------------

    def _lot_facts(self, lot: str) -> LotFacts | None:
        return self.facts.lot(lot)

    def _physical(self, t: Transformation) -> Physical:
        def on_cycle() -> Physical:
            outputs = {lot: Output(kg or 0.0, {}, 0.0) for lot, kg in merged_takes(t.outputs)}
            finding = _cycle_finding(f"transformation {t.event_id}")
            return Physical((), {}, outputs, (), False, (finding._replace(event_id=t.event_id),))

        return self._guard(
            self._physicals,
            ("physical", t.event_id),
            t.event_id,
            lambda: physical(t, self._material, self._lot_facts, self.config),
            on_cycle,
        )

    def _material(self, lot: str) -> Material:
        """The physical side of ``lot`` (mass, element mass, carbon): what a transformation
        needs of its inputs. It never depends on shares, hence never on a mass-balance pool,
        so a pool can ask for the physical side of its own transformations."""

        def on_cycle() -> Material:
            return Material(declared(self.facts.lot(lot)).mass_kg or 0.0, {}, 0.0, (), False)

        return self._guard(
            self._materials, ("material", lot), lot, lambda: self._material_of(lot), on_cycle
        )

    def _material_of(self, lot: str) -> Material:
        facts = self.facts.lot(lot)
        own = set(facts.flags) if facts is not None else set()
        producers = self._producers(lot)
        out = self._physical(producers[0]).outputs.get(lot) if producers else None
        if producers and out is not None:
            ph = self._physical(producers[0])
            alerted = {f"alert:{f.type}" for f in ph.findings}
            flags = tuple(sorted(own | alerted | set(ph.flags)))
            return Material(out.mass_kg, out.element_kg, out.carbon_kg, flags, ph.complete)
        children = self._children(lot)
        if children:
            mass = carbon = 0.0
            element_kg: dict[str, float] = {}
            complete = True
            for child in sorted(children):
                m = self._material(child)
                complete = complete and m.complete and m.mass_kg > 0
                kg = children[child][0]
                ratio = (
                    min(1.0, (m.mass_kg if kg is None else kg) / m.mass_kg) if m.mass_kg else 0.0
                )
                mass += m.mass_kg * ratio
                carbon += m.carbon_kg * ratio
                for e in ordered(m.element_kg):
                    element_kg[e] = element_kg.get(e, 0.0) + m.element_kg[e] * ratio
                own.update(m.flags)
            return Material(mass, element_kg, carbon, tuple(sorted(own)), complete)
        leaf = self._leaf(lot)
        element_kg = {e: leaf.elements[e].mass_kg for e in leaf.elements}
        return Material(leaf.mass_kg, element_kg, leaf.carbon_kg, tuple(sorted(own)), leaf.complete)

    def _produced(self, t: Transformation) -> dict[str, _Parts]:
        cached = self._outputs.get(t.event_id)
        if cached is not None:
            return cached
        ph = self._physical(t)
        flags: set[str] = set()
        if t.chain_of_custody == "mass_balance":
            pool = self._pool(t)
            shares = pool.shares
            complete = ph.complete and pool.complete
            for d in ph.draws:
                led = pool.inputs.get(d.lot)
                flags.update(led.flags if led is not None else self._material(d.lot).flags)
        else:
            inputs = {d.lot: self.of(d.lot) for d in ph.draws}
            shares = blended(t, ph, inputs, self._lot_facts, self.config)
            complete = ph.complete and all(led.complete for led in inputs.values())
            for led in inputs.values():
                flags.update(led.flags)
        result: dict[str, _Parts] = {}
        draws = tuple((d.lot, d.taken_kg) for d in ph.draws)
        for lot in sorted(ph.outputs):
            out = ph.outputs[lot]
            share = shares.get(lot, Shares())
            elements = dict(share.elements)
            for element in ordered(out.element_kg):
                if element not in elements:  # a pool cut short by a cycle
                    kg = out.element_kg[element]
                    elements[element] = with_shares(kg, 0.0, 0.0, {UNKNOWN_ORIGIN: 1.0})
            result[lot] = _Parts(
                out.mass_kg,
                elements,
                out.carbon_kg,
                draws,
                complete,
                [*ph.findings, *share.findings],
                tuple(sorted(flags)),
                share.inherited_certificates,
            )
        self._outputs[t.event_id] = result
        return result

    def _pool(self, t: Transformation) -> Pool:
        key, ts = self._lineage.pool(t)

        def compute() -> Pool:
            physicals = {x.event_id: self._physical(x) for x in ts}
            excluded = set(self._lineage.excluded(key, ts))
            return mass_balance(ts, physicals, self.of, self._lot_facts, self.config, excluded)

        def on_cycle() -> Pool:
            where = f"the mass-balance pool {key}"
            shares = {
                lot: Shares(findings=[_cycle_finding(where)._replace(event_id=x.event_id)])
                for x in ts
                for lot, _ in merged_takes(x.outputs)
            }
            return Pool(shares, False)

        return self._guard(self._pools, ("pool", key), key, compute, on_cycle)
