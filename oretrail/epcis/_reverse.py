"""TraceEvent Avro record → EPCIS 2.0 JSON-LD event and document (the way back out).

Identifiers come out in their normalised Digital Link form and CBV values as bare words,
both valid EPCIS 2.0 JSON-LD with the same meaning as what went in; user extensions, ILMD
and the document's @context come back verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from oretrail.epcis._sensors import sensor_elements_json
from oretrail.epcis._values import format_time

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

_LISTS = (
    "epcList", "childEPCs", "inputEPCList", "outputEPCList", "quantityList",
    "childQuantityList", "inputQuantityList", "outputQuantityList",
)  # fmt: skip


def _quantity(element: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"epcClass": element["epcClass"]}
    quantity = element.get("quantity")
    if quantity is not None:
        out["quantity"] = int(quantity) if float(quantity).is_integer() else quantity
    if element.get("uom") is not None:
        out["uom"] = element["uom"]
    return out


def from_trace_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD event a TraceEvent record stands for."""
    extensions: dict[str, Any] = json.loads(record.get("extensions") or "{}")
    event: dict[str, Any] = {
        "type": record["eventType"],
        "eventID": record["eventID"],
        "eventTime": format_time(record["eventTime"]),
        "eventTimeZoneOffset": record["eventTimeZoneOffset"],
    }
    if record.get("recordTime") is not None:
        event["recordTime"] = format_time(record["recordTime"])
    if record.get("errorDeclaration") is not None:
        declaration = record["errorDeclaration"]
        out: dict[str, Any] = {"declarationTime": format_time(declaration["declarationTime"])}
        if declaration.get("reason") is not None:
            out["reason"] = declaration["reason"]
        if declaration.get("correctiveEventIDs"):
            out["correctiveEventIDs"] = list(declaration["correctiveEventIDs"])
        out.update(json.loads(declaration.get("extensions") or "{}"))
        event["errorDeclaration"] = out
    if record.get("certificationInfo"):
        event["certificationInfo"] = list(record["certificationInfo"])
    for field in ("action", "parentID"):
        if record.get(field) is not None:
            event[field] = record[field]
    for field in _LISTS:
        items = record.get(field) or []
        if items:
            event[field] = [_quantity(q) for q in items] if "Quantity" in field else list(items)
    for field in ("transformationID", "bizStep", "disposition"):
        if record.get(field) is not None:
            event[field] = record[field]
    if record.get("persistentDisposition") is not None:
        event["persistentDisposition"] = {
            k: list(v) for k, v in record["persistentDisposition"].items() if v
        }
    for field in ("readPoint", "bizLocation"):
        if record.get(field) is not None:
            event[field] = {"id": record[field], **extensions.pop(field, {})}
    if record.get("bizTransactionList"):
        event["bizTransactionList"] = [
            {
                **({"type": b["type"]} if b.get("type") else {}),
                "bizTransaction": b["bizTransaction"],
            }
            for b in record["bizTransactionList"]
        ]
    for field, member in (("sourceList", "source"), ("destinationList", "destination")):
        if record.get(field):
            event[field] = [{"type": s["type"], member: s["id"]} for s in record[field]]
    if record.get("sensorElementList"):
        event["sensorElementList"] = sensor_elements_json(list(record["sensorElementList"]))
    if record.get("ilmd") is not None:
        event["ilmd"] = json.loads(record["ilmd"])
    event.update(extensions)
    return event


def merged_context(records: Iterable[Mapping[str, Any]]) -> list[Any]:
    """One @context for a document of these events: the EPCIS context, then every prefix."""
    terms: dict[str, Any] = {}
    extra: list[Any] = []
    for record in records:
        for entry in json.loads(record.get("context") or "[]"):
            if isinstance(entry, dict):
                terms.update(entry)
            elif entry != EPCIS_CONTEXT and entry not in extra:
                extra.append(entry)
    return [EPCIS_CONTEXT, *extra, *([terms] if terms else [])]


def epcis_document(
    records: Iterable[Mapping[str, Any]], *, created: datetime | None = None
) -> dict[str, Any]:
    """An EPCISDocument holding these events, with a @context that covers all of them."""
    records = list(records)
    return {
        "@context": merged_context(records),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": format_time(created or datetime.now(UTC)),
        "epcisBody": {"eventList": [from_trace_event(r) for r in records]},
    }
