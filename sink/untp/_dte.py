"""Digital Traceability Event credentials (UNTP 0.6.1) from TraceEvent records.

UNTP's five event classes are EPCIS 2.0's, slimmed down; the mapping keeps what UNTP can say
and leaves the rest to the EPCIS event the id names:

- identifiers stay canonical GS1 Digital Link URIs; every ``Item`` and ``QuantityElement``
  needs a name, so it gets a readable one from its GS1 keys (``GTIN ... lot ...``);
- CBV values become their CBV 2.0 web URIs (``https://ref.gs1.org/cbv/BizStep-shipping``),
  the form UNTP's own samples use; ``processType`` is the bizStep's word;
- a quantity element without a quantity (EPCIS: "an unstated amount of this class") cannot
  be a UNTP QuantityElement, whose quantity is required; the class goes to the event's item
  list instead, so the event still names it;
- a TransactionEvent's parties are the first ``owning_party``, else ``possessing_party``,
  else ``location`` of its source and destination lists; where the event declares none, its
  business location (or read point) stands in: a GLN names a party as well as a place.
- EPCIS members UNTP has no term for (readPoint, ILMD, certificationInfo, source/destination
  of other events, extensions) are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from oretrail import cbv
from oretrail.epcis import EVENT_TYPES  # the EPCIS event types, which UNTP 0.6 DTE mirrors
from sink.untp._common import Issuer, credential, describe, is_uri, wall_clock

_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUILTIN_PREFIXES = {"gs1": "https://gs1.org/voc/", "cbv": cbv.WEB_BASE}
_PARTY_TYPES = ("owning_party", "possessing_party", "location")


class DteError(ValueError):
    """A TraceEvent that cannot become a UNTP traceability event; the message names it."""


def _moment(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DteError(f"{where} has no time zone")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=value)  # Avro timestamp-micros, undecoded
    raise DteError(f"{where} must be a datetime or microseconds, got {value!r}")


def event_time(value: Any, offset: str | None, where: str) -> str:
    """RFC 3339 in the event's declared time zone offset (UTC when none)."""
    moment = _moment(value, where)
    match = _OFFSET.fullmatch(offset or "")
    zone = UTC
    if match:
        minutes = int(match[2]) * 60 + int(match[3])
        zone = timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
    local = moment.astimezone(zone)
    text = wall_clock(local)
    delta = local.utcoffset() or timedelta(0)
    if not delta:
        return text + "Z"
    sign = "-" if delta < timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _item(uri: str) -> dict[str, Any]:
    return {"type": ["Item"], "id": uri, "name": describe(uri)}


def _quantities(
    elements: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(UNTP quantity elements, items for the classes whose quantity is not stated)."""
    quantities: list[dict[str, Any]] = []
    unstated: list[dict[str, Any]] = []
    for element in elements:
        uri = element["epcClass"]
        if element.get("quantity") is None:
            unstated.append(_item(uri))
            continue
        entry: dict[str, Any] = {
            "productId": uri,
            "productName": describe(uri),
            "quantity": float(element["quantity"]),
        }
        if element.get("uom"):
            entry["uom"] = element["uom"]
        quantities.append(entry)
    return quantities, unstated


def _prefixes(record: Mapping[str, Any]) -> dict[str, str]:
    names = dict(_BUILTIN_PREFIXES)
    try:
        context = json.loads(record.get("context") or "[]")
    except ValueError:
        context = []
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, dict):
            names.update({k: v for k, v in entry.items() if isinstance(v, str)})
    return names


def _sensor_type(value: str, prefixes: Mapping[str, str]) -> str | None:
    """A sensor report type as a URI: a CURIE expanded with the event's prefixes, a bare
    word in GS1's vocabulary (where EPCIS defines the measurement types)."""
    prefix, colon, rest = value.partition(":")
    if colon and prefix in prefixes:
        return prefixes[prefix] + rest
    if is_uri(value):
        return value
    if not colon and value:
        return _BUILTIN_PREFIXES["gs1"] + value
    return None


def _sensors(record: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    prefixes = _prefixes(record)
    out = []
    for element in record.get("sensorElementList") or []:
        sensor: dict[str, Any] = {}
        meta = element.get("sensorMetadata") or {}
        if meta.get("deviceID"):
            sensor["device"] = _item(meta["deviceID"])
        if is_uri(meta.get("dataProcessingMethod")):
            sensor["dataProcessingMethod"] = meta["dataProcessingMethod"]
        reports = []
        for report in element.get("sensorReport") or []:
            data: dict[str, Any] = {}
            moment = report.get("time") or meta.get("time")
            if moment is not None:
                data["time"] = event_time(moment, None, f"{where} sensorReport.time")
            kind = _sensor_type(report["type"], prefixes) if report.get("type") else None
            if kind:
                data["sensorType"] = kind
            value = report.get("value")
            if value is None:
                value = report.get("meanValue")
            if value is not None:
                data["value"] = float(value)
            if report.get("uom"):
                data["uom"] = report["uom"]
            if data:
                reports.append(data)
        entry: dict[str, Any] = {}
        if sensor:
            entry["sensorMetadata"] = sensor
        if reports:
            entry["sensorReport"] = reports
        if entry:
            out.append(entry)
    return out


def _party(record: Mapping[str, Any], field: str) -> str | None:
    entries = {s["type"]: s["id"] for s in reversed(record.get(field) or [])}
    for kind in _PARTY_TYPES:
        if entries.get(kind):
            return str(entries[kind])
    return None


def _process(record: Mapping[str, Any]) -> str:
    step = record.get("bizStep")
    name = cbv.normalise("BizStep", step) if step else record["eventType"]
    if record.get("errorDeclaration") is not None:
        reason = record["errorDeclaration"].get("reason")
        name += f" (declared in error{': ' + reason if reason else ''})"
    return str(name)


def untp_event(record: Mapping[str, Any]) -> dict[str, Any]:
    """The UNTP 0.6.1 event of one TraceEvent record."""
    kind = record.get("eventType")
    event_id = record.get("eventID")
    where = f"{kind} {event_id}"
    if kind not in EVENT_TYPES:
        raise DteError(f"{where}: unknown event type; expected one of {EVENT_TYPES}")
    if not is_uri(event_id):
        raise DteError(f"{where}: the eventID must be a URI")
    event: dict[str, Any] = {
        "type": [kind, "Event"],
        "id": event_id,
        "processType": _process(record),
        "eventTime": event_time(record["eventTime"], record.get("eventTimeZoneOffset"), where),
    }
    if record.get("action"):
        event["action"] = str(record["action"]).lower()
    if record.get("disposition"):
        event["disposition"] = cbv.to_uri("Disp", record["disposition"])
    if record.get("bizStep"):
        event["bizStep"] = cbv.to_uri("BizStep", record["bizStep"])
    if record.get("bizLocation"):
        event["bizLocation"] = record["bizLocation"]
    sensors = _sensors(record, where)
    if sensors:
        event["sensorElementList"] = sensors

    def lists(items_key: str, quantities_key: str, ids: Sequence[str], elements: Any) -> None:
        quantities, unstated = _quantities(elements or [])
        items = [_item(uri) for uri in ids] + unstated
        if items:
            event[items_key] = items
        if quantities:
            event[quantities_key] = quantities

    if kind == "TransformationEvent":
        for side in ("input", "output"):
            items, quantities = f"{side}EPCList", f"{side}QuantityList"
            lists(items, quantities, record.get(items) or [], record.get(quantities))
    elif kind in ("AggregationEvent", "AssociationEvent"):
        if record.get("parentID"):
            event["parentEPC"] = _item(record["parentID"])
        children = record.get("childEPCs") or []
        lists("childEPCList", "childQuantityList", children, record.get("childQuantityList"))
    else:
        ids = list(record.get("epcList") or [])
        if kind == "TransactionEvent" and record.get("parentID"):
            ids.insert(0, record["parentID"])
        lists("epcList", "quantityList", ids, record.get("quantityList"))
    if kind == "TransactionEvent":
        place = record.get("bizLocation") or record.get("readPoint")
        source = _party(record, "sourceList") or place
        destination = _party(record, "destinationList") or place
        if source is None or destination is None:
            raise DteError(
                f"{where}: a UNTP TransactionEvent needs a source and a destination party; the "
                "event declares neither them nor a location that could stand in"
            )
        event["sourceParty"] = source
        event["destinationParty"] = destination
        typed = [b["type"] for b in record.get("bizTransactionList") or [] if b.get("type")]
        if typed:
            event["bizTransaction"] = cbv.to_uri("BTT", typed[0])
    return event


def build_dte(
    events: Sequence[Mapping[str, Any]],
    *,
    issuer: Issuer,
    credential_id: str,
    status: Mapping[str, Any],
    valid_from: datetime,
) -> dict[str, Any]:
    """The unsigned DTE credential of a batch of TraceEvent records (subject: an array)."""
    if not events:
        raise DteError("a traceability event credential needs at least one event")
    subject = [untp_event(record) for record in events]
    count = len(subject)
    return credential(
        "dte",
        credential_id=credential_id,
        issuer=issuer,
        valid_from=valid_from,
        status=status,
        subject=subject,
        name=f"Traceability events ({count})",
    )
