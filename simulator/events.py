"""Operations as EPCIS 2.0 JSON-LD events (the shape every EPCIS writer starts from), with
the project's ``ot:`` vocabulary (issue 4) next to GS1's ``cbvmda:`` master data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Final

from oretrail.epcis import EPCIS_CONTEXT
from simulator.model import Aggregate, Commission, Declaration, Flow, Move, Operation, Transform
from simulator.sites import partner_gln

OT: Final = "https://oretrail.dev/ns/epcis/"
CBVMDA: Final = "urn:epcglobal:cbv:mda:"
CONTEXT: Final[list[Any]] = [EPCIS_CONTEXT, {"ot": OT, "cbvmda": CBVMDA}]
STAGE: Final = "MainProduction"


def zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def local_time(when: datetime, offset: str) -> str:
    return when.astimezone(zone(offset)).isoformat(timespec="milliseconds")


def ilmd(decl: Declaration) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if decl.country is not None:
        out["cbvmda:countryOfOrigin"] = decl.country
    if decl.net_weight_kg is not None:
        out["cbvmda:netWeight"] = decl.net_weight_kg
    if decl.fractions:
        out["ot:elementContent"] = [
            {"ot:element": e, "ot:massFraction": f} for e, f in decl.fractions
        ]
    if decl.recycled:
        out["ot:recycledShare"] = [
            {"ot:element": r.element, "ot:preConsumer": r.pre, "ot:postConsumer": r.post}
            for r in decl.recycled
        ]
    if decl.carbon_per_kg is not None:
        footprint: dict[str, Any] = {"ot:kgCO2ePerKg": decl.carbon_per_kg}
        if decl.carbon_stage is not None:
            footprint["ot:stage"] = decl.carbon_stage
        out["ot:carbonFootprint"] = footprint
    return out


def quantity(lot: str, kg: float) -> dict[str, Any]:
    return {"epcClass": lot, "quantity": kg, "uom": "KGM"}


def event(op: Operation, flow: Flow) -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD event of one operation, in the order EPCIS lists the fields."""
    site = flow.sites[op.site]
    head: dict[str, Any] = {
        "type": {Commission: "ObjectEvent", Move: "ObjectEvent", Transform: "TransformationEvent",
                 Aggregate: "AggregationEvent"}[type(op)],
        "eventTime": local_time(op.time, site.utc_offset),
        "eventTimeZoneOffset": site.utc_offset,
    }  # fmt: skip
    if op.event_id is not None:
        head["eventID"] = op.event_id
    where = {"readPoint": {"id": site.uri}, "bizLocation": {"id": site.uri}}
    if isinstance(op, Commission):
        body: dict[str, Any] = {
            "action": "ADD", "bizStep": "commissioning", "disposition": "active", **where,
            "quantityList": [quantity(op.lot, op.kg)], "ilmd": ilmd(op.declaration),
        }  # fmt: skip
        if op.certificates:
            head["certificationInfo"] = list(op.certificates)
        return {**head, **body}
    if isinstance(op, Move):
        return {**head, **_move(op, flow)}
    if isinstance(op, Aggregate):
        return {
            **head, "parentID": op.parent, "childEPCs": list(op.children), "action": "ADD",
            "bizStep": "packing", "disposition": "in_progress", **where,
        }  # fmt: skip
    return {**head, **_transformation(op, where)}


def _move(op: Move, flow: Flow) -> dict[str, Any]:
    shipping = op.step == "shipping"
    origin, destination = (op.site, op.partner) if shipping else (op.partner, op.site)
    shipper = partner_gln(origin, flow.sites)
    parties = {
        "sourceList": [{"type": "owning_party",
                        "source": f"https://id.gs1.org/414/{shipper}"}],
        "destinationList": [{"type": "owning_party",
                             "destination": f"https://id.gs1.org/414/"
                                            f"{partner_gln(destination, flow.sites)}"}],
    }  # fmt: skip
    site = flow.sites[op.site]
    body: dict[str, Any] = {
        "action": "OBSERVE",
        "bizStep": op.step,
        "disposition": "in_transit" if shipping else "in_progress",
        "readPoint": {"id": site.uri},
    }
    if not shipping:
        body["bizLocation"] = {"id": site.uri}
    body["bizTransactionList"] = [
        {"type": "desadv", "bizTransaction": f"urn:epcglobal:cbv:bt:{shipper}:{op.document}"}
    ]
    body["quantityList"] = [quantity(op.lot, op.kg)]
    return {**body, **parties}


def _transformation(op: Transform, where: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"inputQuantityList": [quantity(t.lot, t.kg) for t in op.inputs]}
    lots = [o for o in op.outputs if o.lot is not None]
    items = [item for o in op.outputs for item in o.items]
    if items:
        body["outputEPCList"] = items
    if lots:
        body["outputQuantityList"] = [quantity(o.lot, o.kg) for o in lots if o.lot]
    body.update(
        {"bizStep": "commissioning", "disposition": "active", **where,
         "ilmd": ilmd(op.outputs[0].declaration),
         "ot:chainOfCustody": op.custody,
         "ot:processEmissions": {"ot:kgCO2e": op.emissions_kg, "ot:stage": STAGE}}
    )  # fmt: skip
    return body
