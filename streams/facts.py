"""TraceEvent record -> the facts it states (see streams.model). Pure; never raises on data.

Public API::

    extract(record) -> EventFacts        one decoded TraceEvent record (eventTime a datetime)
    merge_lot(a, b) -> LotFacts          commutative, associative, idempotent
    to_kg(quantity, uom) -> float        FactsError for a count or a unit that is no mass
    WHOLE                                Take.kg of an object taken whole (see below)
    EventFacts, FactsError

What an event states:

* an ObjectEvent with action ADD commissions its objects: one LotFacts per quantityList
  epcClass (mass: the quantity in kg) and per epcList EPC (mass: the ILMD's cbvmda:netWeight,
  if any), each with the composition its ILMD declares (``ot:elementContent``,
  ``ot:recycledShare``, ``cbvmda:countryOfOrigin``, ``ot:carbonFootprint``);
* a TransformationEvent: a Transformation, inputs and outputs in kg from its quantity lists,
  ``ot:chainOfCustody`` (default controlled_blending) and ``ot:processEmissions``; and one
  LotFacts per output with the output's mass and the event's ILMD (it applies to every
  output). An EPC or quantity whose mass is unknown is left out of the inputs / outputs and
  reported: the ledger cannot carry an unknown mass;
* an AggregationEvent with action ADD or DELETE: an Aggregation; children from
  childQuantityList in kg, and from childEPCs with ``kg = WHOLE`` (``math.inf``): an EPC names
  one object, packed or unpacked entirely. A DELETE without children unpacks them all
  (EPCIS 2.0 §7.4.3).

A count (no uom, EA, C62, H87) is a mass when the ILMD gives ``cbvmda:netWeight``, the mass
of each item. Site: bizLocation, else readPoint. Anything that cannot be read or is out of
range (a fraction outside [0, 1], mass fractions summing above 1, pre + post consumer above
1, a country that is not alpha-2...) becomes a line of ``problems`` and is left out; the
processor dead-letters or alerts on it. Both EPCIS bindings give equal facts (see
streams._facts_values for what the XML reader changes).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from streams._facts_ilmd import Declared, chain_of_custody, process_emissions, read_ilmd
from streams._facts_merge import merge_lot
from streams._facts_values import COUNT_UNITS, FactsError, Names, to_kg
from streams.model import Aggregation, LotFacts, Take, Transformation

__all__ = ["WHOLE", "EventFacts", "FactsError", "extract", "merge_lot", "to_kg"]

WHOLE: Final = math.inf
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What one event states. ``problems`` name what could not be read; the facts hold the
    rest, so the caller decides whether a partly readable event is dead-lettered or kept."""

    event_id: str
    lots: tuple[LotFacts, ...]  # sorted by lot
    transformation: Transformation | None
    aggregation: Aggregation | None
    problems: tuple[str, ...]


class _Event:
    """One record being read, and the problems found in it so far."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record
        self.problems: list[str] = []
        self.event_id = str(record.get("eventID") or "")
        if not self.event_id:
            self.problems.append("the record has no eventID")
        self.names = Names(record.get("context"))
        self.site = record.get("bizLocation") or record.get("readPoint")
        self.extensions = self.names.members(self._json("extensions") or {})
        ilmd = self._json("ilmd")
        self.declared = Declared() if ilmd is None else read_ilmd(ilmd, self.names, self.problems)
        self.certificates = tuple(sorted({str(c) for c in record.get("certificationInfo") or ()}))

    def _json(self, field: str) -> dict[str, Any] | None:
        raw = self.record.get(field)
        if raw is None:
            return None
        try:
            value = json.loads(raw) if isinstance(raw, str | bytes) else raw
        except ValueError as exc:
            self.problems.append(f"the record's {field} is not JSON: {exc}")
            return None
        if not isinstance(value, dict):
            self.problems.append(f"the record's {field} is not a JSON object")
            return None
        return value

    def time_us(self) -> int:
        value = self.record.get("eventTime")
        if isinstance(value, datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return (aware - _EPOCH) // timedelta(microseconds=1)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.problems.append(f"eventTime {value!r} is not a time; 0 (the epoch) assumed")
        return 0

    def kg(self, element: Mapping[str, Any], field: str) -> float | None:
        """The mass of one quantity element, or None (reported) when it has none."""
        lot, quantity, uom = element.get("epcClass"), element.get("quantity"), element.get("uom")
        if quantity is None:
            self.problems.append(f"{field} {lot} has no quantity: its mass is unknown")
            return None
        weight = self.declared.net_weight_kg
        try:
            if uom in COUNT_UNITS and weight is not None:
                return to_kg(quantity, "KGM") * weight
            return to_kg(quantity, uom)
        except FactsError as exc:
            self.problems.append(f"{field} {lot}: {exc}")
            return None

    def takes(self, quantities: str, epcs: str, whole: bool) -> tuple[Take, ...]:
        kg: dict[str, float] = {}
        for element in self.record.get(quantities) or ():
            mass = self.kg(element, quantities)
            if mass is not None:
                lot = str(element["epcClass"])
                kg[lot] = kg.get(lot, 0.0) + mass
        for epc in self.record.get(epcs) or ():
            if whole:
                kg[epc] = WHOLE
            elif self.declared.net_weight_kg is not None:
                kg[epc] = kg.get(epc, 0.0) + self.declared.net_weight_kg
            else:
                self.problems.append(f"{epcs} {epc} has no quantity: its mass is unknown")
        return tuple(Take(lot, kg[lot]) for lot in sorted(kg))

    def lot(self, lot: str, mass_kg: float | None) -> LotFacts:
        d = self.declared
        return LotFacts(
            lot=lot,
            mass_kg=mass_kg,
            element_content=dict(d.element_content),
            recycled=dict(d.recycled),
            country_of_origin=d.country_of_origin,
            carbon_kg_per_kg=d.carbon_kg_per_kg,
            carbon_stage=d.carbon_stage,
            certificates=self.certificates,
            source_events=(self.event_id,),
            site=self.site,
        )


def extract(record: Mapping[str, Any]) -> EventFacts:
    """The facts one TraceEvent record states, and the problems found in it."""
    event = _Event(record)
    kind, action = record.get("eventType"), record.get("action")
    lots: list[LotFacts] = []
    transformation = aggregation = None
    if kind == "ObjectEvent" and action == "ADD":
        lots = _commissioned(event)
    elif kind == "TransformationEvent":
        transformation = _transformation(event)
        lots = [event.lot(take.lot, take.kg) for take in transformation.outputs]
        produced = {take.lot for take in transformation.outputs}
        # outputs of unknown mass still get the composition the ILMD declares for them
        for epc in record.get("outputEPCList") or ():
            if epc not in produced:
                lots.append(event.lot(epc, None))
        for element in record.get("outputQuantityList") or ():
            if element["epcClass"] not in produced:
                lots.append(event.lot(str(element["epcClass"]), None))
                produced.add(element["epcClass"])
    elif kind == "AggregationEvent" and action in ("ADD", "DELETE"):
        aggregation = _aggregation(event, action)
    elif record.get("ilmd") is not None:
        event.problems.append(
            f"the ILMD of this {kind} (action {action}) is ignored: ILMD describes objects "
            "as they are commissioned (ObjectEvent ADD) or produced (TransformationEvent)"
        )
    return EventFacts(
        event_id=event.event_id,
        lots=tuple(sorted(lots, key=lambda f: f.lot)),
        transformation=transformation,
        aggregation=aggregation,
        problems=tuple(event.problems),
    )


def _commissioned(event: _Event) -> list[LotFacts]:
    masses: dict[str, float | None] = {}
    for element in event.record.get("quantityList") or ():
        lot = str(element["epcClass"])
        mass = None if element.get("quantity") is None else event.kg(element, "quantityList")
        if lot in masses:
            previous = masses[lot]
            mass = None if previous is None or mass is None else previous + mass
        masses[lot] = mass
    for epc in event.record.get("epcList") or ():
        masses.setdefault(str(epc), event.declared.net_weight_kg)
    return [event.lot(lot, mass) for lot, mass in masses.items()]


def _transformation(event: _Event) -> Transformation:
    emissions, stage = process_emissions(event.extensions, event.names, event.problems)
    return Transformation(
        event_id=event.event_id,
        time_us=event.time_us(),
        site=event.site,
        inputs=event.takes("inputQuantityList", "inputEPCList", whole=False),
        outputs=event.takes("outputQuantityList", "outputEPCList", whole=False),
        chain_of_custody=chain_of_custody(event.extensions, event.problems),
        process_emissions_kg=emissions,
        process_emissions_stage=stage,
    )


def _aggregation(event: _Event, action: Literal["ADD", "DELETE"]) -> Aggregation:
    parent = event.record.get("parentID")
    if not parent:
        event.problems.append(f"an AggregationEvent {action} has no parentID")
    return Aggregation(
        event_id=event.event_id,
        time_us=event.time_us(),
        parent=str(parent or ""),
        children=event.takes("childQuantityList", "childEPCs", whole=True),
        action=action,
    )
