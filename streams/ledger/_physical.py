"""What a transformation does to mass, whatever its chain of custody: element mass and carbon
in, element mass and carbon out, and the mass-balance check between them."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from streams.ledger._leaf import declared
from streams.ledger._mix import ordered
from streams.ledger._types import (
    INVALID_DECLARATION,
    MASS_BALANCE_VIOLATION,
    QUANTITY_EXCEEDS_LOT,
    Finding,
    LedgerConfig,
)
from streams.model import LotFacts, Take, Transformation


@dataclass(frozen=True, slots=True)
class Material:
    """The physical side of a lot's ledger (what a transformation needs of its inputs)."""

    mass_kg: float
    element_kg: Mapping[str, float]
    carbon_kg: float
    flags: tuple[str, ...]
    complete: bool


@dataclass(frozen=True, slots=True)
class Draw:
    """One input of a transformation: kg taken and the fraction of the input lot that is."""

    lot: str
    taken_kg: float
    ratio: float


@dataclass(frozen=True, slots=True)
class Output:
    mass_kg: float
    element_kg: Mapping[str, float]
    carbon_kg: float


@dataclass(frozen=True, slots=True)
class Physical:
    draws: tuple[Draw, ...]
    input_kg: Mapping[str, float]
    outputs: Mapping[str, Output]
    flags: tuple[str, ...]
    complete: bool
    #: findings about the event; they mark every output
    findings: tuple[Finding, ...]


def exceeds(value: float, limit: float) -> bool:
    """``value > limit``, ignoring the last bits of floating-point noise."""
    return value > limit + 1e-9 * max(1.0, abs(limit))


def merged_takes(takes: Iterable[Take]) -> list[tuple[str, float | None]]:
    """(lot, kg) by lot, a lot listed twice summed; None = no usable quantity, which means the
    whole lot (EPCIS: an instance-level EPC is consumed or produced whole)."""
    kg: dict[str, float | None] = {}
    for take in sorted(takes, key=lambda t: (t.lot, t.kg)):
        usable = take.kg if math.isfinite(take.kg) and take.kg > 0 else None
        if take.lot not in kg:
            kg[take.lot] = usable
        else:
            before = kg[take.lot]
            kg[take.lot] = None if before is None or usable is None else before + usable
    return sorted(kg.items())


def physical(
    t: Transformation,
    material: Callable[[str], Material],
    lot_facts: Callable[[str], LotFacts | None],
    config: LedgerConfig,
) -> Physical:
    findings: list[Finding] = []
    complete = True
    flags: set[str] = set()
    draws: list[Draw] = []
    input_kg: dict[str, float] = {}
    carbon_in = 0.0
    for lot, kg in merged_takes(t.inputs):
        m = material(lot)
        complete = complete and m.complete and m.mass_kg > 0
        flags.update(m.flags)
        taken = m.mass_kg if kg is None else kg
        ratio = taken / m.mass_kg if m.mass_kg > 0 else 0.0
        if ratio > 1.0:
            if m.complete and exceeds(taken, m.mass_kg * (1 + config.tolerance)):
                findings.append(
                    Finding(
                        QUANTITY_EXCEEDS_LOT,
                        t.event_id,
                        None,
                        {"takenKg": taken, "lotMassKg": m.mass_kg, "tolerance": config.tolerance},
                        f"{t.event_id} takes {taken:g} kg of {lot}, which has {m.mass_kg:g} kg; "
                        "only the lot's mass is carried over",
                    )
                )
            ratio = 1.0
        for element in ordered(m.element_kg):
            input_kg[element] = input_kg.get(element, 0.0) + m.element_kg[element] * ratio
        carbon_in += m.carbon_kg * ratio
        draws.append(Draw(lot, taken, ratio))

    emissions = t.process_emissions_kg
    if not (math.isfinite(emissions) and emissions >= 0):
        findings.append(
            Finding(
                INVALID_DECLARATION,
                t.event_id,
                None,
                {},
                f"{t.event_id}: ot:processEmissions {emissions!r} is not a non-negative number",
            )
        )
        emissions = 0.0

    out_kg: dict[str, float] = {}
    fractions: dict[str, dict[str, float]] = {}
    for lot, kg in merged_takes(t.outputs):
        facts = lot_facts(lot)
        decl = declared(facts)
        if kg is None:
            kg = decl.mass_kg
        if kg is None:
            complete = False
        out_kg[lot] = kg or 0.0
        if decl.fractions:
            fractions[lot] = decl.fractions

    element_out = _distribute(input_kg, out_kg, fractions)
    if complete:
        for element in ordered(input_kg.keys() | {e for f in fractions.values() for e in f}):
            out_total = sum(element_out[lot].get(element, 0.0) for lot in sorted(out_kg))
            in_total = input_kg.get(element, 0.0)
            if exceeds(out_total, in_total * (1 + config.tolerance)):
                findings.append(
                    Finding(
                        MASS_BALANCE_VIOLATION,
                        t.event_id,
                        element,
                        {"inputKg": in_total, "outputKg": out_total, "tolerance": config.tolerance},
                        f"{t.event_id} puts out {out_total:g} kg of {element} from "
                        f"{in_total:g} kg in (tolerance {config.tolerance:g})",
                    )
                )

    total_out = sum(out_kg[lot] for lot in sorted(out_kg))
    carbon_total = carbon_in + emissions
    outputs = {
        lot: Output(
            out_kg[lot],
            element_out[lot],
            carbon_total * out_kg[lot] / total_out if total_out > 0 else 0.0,
        )
        for lot in sorted(out_kg)
    }
    return Physical(
        tuple(draws), input_kg, outputs, tuple(sorted(flags)), complete, tuple(findings)
    )


def _distribute(
    input_kg: Mapping[str, float],
    out_kg: Mapping[str, float],
    fractions: Mapping[str, Mapping[str, float]],
) -> dict[str, dict[str, float]]:
    """Element mass per output: a declared composition is taken as complete (an element it
    does not name is absent); what the declaring outputs do not account for is spread over the
    other outputs by their mass."""
    result: dict[str, dict[str, float]] = {lot: {} for lot in sorted(out_kg)}
    open_kg = sum(out_kg[lot] for lot in sorted(out_kg) if lot not in fractions)
    elements = ordered(input_kg.keys() | {e for f in fractions.values() for e in f})
    for element in elements:
        claimed = 0.0
        for lot in sorted(fractions):
            kg = fractions[lot].get(element, 0.0) * out_kg[lot]
            if kg > 0:
                result[lot][element] = kg
            claimed += kg
        rest = max(0.0, input_kg.get(element, 0.0) - claimed)
        if rest > 0 and open_kg > 0:
            for lot in sorted(out_kg):
                if lot not in fractions and out_kg[lot] > 0:
                    result[lot][element] = rest * out_kg[lot] / open_kg
    return result
