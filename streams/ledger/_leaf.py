"""A lot nothing produced (a mine's output, a recycler's feed): the ledger is its own facts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from streams.ledger._mix import ordered, with_shares
from streams.ledger._types import INVALID_DECLARATION, UNKNOWN_ORIGIN, ElementLedger, Finding
from streams.model import LotFacts, RecycledShare


@dataclass(frozen=True, slots=True)
class Declared:
    """A lot's own declarations, cleaned: out-of-range figures become findings, not numbers."""

    mass_kg: float | None
    fractions: dict[str, float]
    recycled: dict[str, RecycledShare]
    carbon_kg_per_kg: float | None
    findings: tuple[Finding, ...]


def _fraction(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= 1.0


def declared(facts: LotFacts | None) -> Declared:
    if facts is None:
        return Declared(None, {}, {}, None, ())
    event = facts.source_events[-1] if facts.source_events else None
    findings: list[Finding] = []

    def bad(what: str) -> None:
        findings.append(Finding(INVALID_DECLARATION, event, None, {}, f"{facts.lot}: {what}"))

    mass = facts.mass_kg
    if mass is not None and not (math.isfinite(mass) and mass >= 0):
        bad(f"mass {mass!r} kg is not a non-negative number")
        mass = None
    fractions: dict[str, float] = {}
    for element in ordered(facts.element_content):
        value = facts.element_content[element]
        if _fraction(value):
            fractions[element] = value
        else:
            bad(f"ot:massFraction of {element} {value!r} is not in [0, 1]")
    if sum(fractions[e] for e in ordered(fractions)) > 1.0 + 1e-9:
        bad("ot:massFraction values sum to more than 1")
    recycled: dict[str, RecycledShare] = {}
    for element in ordered(facts.recycled):
        share = facts.recycled[element]
        if _fraction(share.pre_consumer) and _fraction(share.post_consumer):
            if share.pre_consumer + share.post_consumer > 1.0 + 1e-9:
                bad(f"ot:recycledShare of {element}: preConsumer + postConsumer > 1")
            recycled[element] = share
        else:
            bad(f"ot:recycledShare of {element} is not in [0, 1]")
    carbon = facts.carbon_kg_per_kg
    if carbon is not None and not (math.isfinite(carbon) and carbon >= 0):
        bad(f"ot:kgCO2ePerKg {carbon!r} is not a non-negative number")
        carbon = None
    return Declared(mass, fractions, recycled, carbon, tuple(findings))


def own_elements(mass: float, decl: Declared, country: str | None) -> dict[str, ElementLedger]:
    """Element mass = mass * fraction; the declared recycled share of it; the rest is primary
    material from the lot's country of origin ("unknown" when none was declared)."""
    elements: dict[str, ElementLedger] = {}
    for element in ordered(decl.fractions):
        kg = mass * decl.fractions[element]
        if kg <= 0:
            continue
        share = decl.recycled.get(element, RecycledShare())
        origin = {country or UNKNOWN_ORIGIN: 1.0}
        elements[element] = with_shares(kg, share.pre_consumer, share.post_consumer, origin)
    return elements
