"""EPCIS 2.0 JSON-LD event → TraceEvent Avro record: validate, normalise, hash.

Pure functions on data. Identifiers become canonical GS1 Digital Link URIs, CBV values their
bare CBV 2.0 words, times UTC microseconds (the written offset stays in eventTimeZoneOffset).
Everything the Avro record does not model field by field (user extensions, ILMD, extension
members nested in readPoint / bizLocation) is kept verbatim as JSON, so
:func:`oretrail.epcis.from_trace_event` gives back an event with the same meaning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from oretrail import cbv
from oretrail.epcis._document import DocumentEvent
from oretrail.epcis._errors import EpcisValidationError
from oretrail.epcis._hash import event_hash
from oretrail.epcis._sensors import sensor_elements
from oretrail.epcis._values import (
    BUILTIN_NAMESPACES,
    as_list,
    as_object,
    check_offset,
    is_extension_key,
    number,
    offset_of,
    optional_str,
    parse_time,
    uom,
    uri,
)
from oretrail.identifiers import IdentifierError, to_digital_link

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("ADD", "OBSERVE", "DELETE")

# Members each event type may carry (EPCIS 2.0 §7 / the JSON schema's propertyNames).
_COMMON = {
    "type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime", "errorDeclaration",
    "certificationInfo", "@context",
}  # fmt: skip
_WHAT_WHERE_WHY = {
    "bizStep", "disposition", "persistentDisposition", "readPoint", "bizLocation",
    "bizTransactionList", "sourceList", "destinationList", "sensorElementList",
}  # fmt: skip
ALLOWED = {
    "ObjectEvent": {"action", "epcList", "quantityList", "ilmd"},
    "AggregationEvent": {"action", "parentID", "childEPCs", "childQuantityList"},
    "TransactionEvent": {"action", "parentID", "epcList", "quantityList"},
    "TransformationEvent": {
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "ilmd",
    },
    "AssociationEvent": {"action", "parentID", "childEPCs", "childQuantityList"},
}
_QUANTITY_KEYS = {"epcClass", "quantity", "uom"}


def to_trace_event(doc_event: DocumentEvent, *, origin: Mapping[str, Any]) -> dict[str, Any]:
    """Validate one event and return its TraceEvent record; EpcisValidationError otherwise."""
    event = doc_event.event
    if not isinstance(event, dict):
        raise EpcisValidationError(f"an event must be a JSON object, got {type(event).__name__}")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise EpcisValidationError(f"unknown event type {kind!r}; expected one of {EVENT_TYPES}")
    allowed = _COMMON | _WHAT_WHERE_WHY | ALLOWED[kind]
    extensions: dict[str, Any] = {}
    for key, value in event.items():
        if key in allowed:
            continue
        if not is_extension_key(key):
            raise EpcisValidationError(
                f"{kind} has an unknown field {key!r}: user extensions need a namespace prefix"
            )
        extensions[key] = value
    if "eventTime" not in event:
        raise EpcisValidationError(f"{kind} has no eventTime")
    event_time = parse_time(event["eventTime"], "eventTime")
    offset = event.get("eventTimeZoneOffset")
    record: dict[str, Any] = {
        "eventType": kind,
        "eventTime": event_time,
        "eventTimeZoneOffset": check_offset(offset)
        if offset is not None
        else offset_of(event["eventTime"]),
        "recordTime": _opt_time(event, "recordTime"),
        "action": _action(kind, event),
        "bizStep": _cbv(event, "bizStep", "BizStep"),
        "disposition": _cbv(event, "disposition", "Disp"),
        "readPoint": _where(event, "readPoint", extensions),
        "bizLocation": _where(event, "bizLocation", extensions),
        "parentID": _opt_id(event, "parentID"),
        "epcList": _ids(event, "epcList"),
        "childEPCs": _ids(event, "childEPCs"),
        "inputEPCList": _ids(event, "inputEPCList"),
        "outputEPCList": _ids(event, "outputEPCList"),
        "quantityList": _quantities(event, "quantityList"),
        "childQuantityList": _quantities(event, "childQuantityList"),
        "inputQuantityList": _quantities(event, "inputQuantityList"),
        "outputQuantityList": _quantities(event, "outputQuantityList"),
        "transformationID": _opt_uri(event, "transformationID"),
        "bizTransactionList": _biz_transactions(event),
        "sourceList": _source_dest(event, "sourceList", "source"),
        "destinationList": _source_dest(event, "destinationList", "destination"),
        "persistentDisposition": _persistent(event),
        "sensorElementList": sensor_elements(event.get("sensorElementList")),
        "certificationInfo": _certification(event),
        "errorDeclaration": _error_declaration(event),
        "ilmd": _ilmd(event),
        "extensions": _json(extensions),
        "context": _json(doc_event.context),
        "origin": dict(origin),
    }
    _require_what(kind, event, record)
    namespaces = {**BUILTIN_NAMESPACES, **doc_event.namespaces}
    declared = event.get("eventID")
    record["eventID"] = (
        uri(declared, "eventID")
        if declared is not None
        # the hash checks GS1 keys the record above does not model (e.g. in extensions);
        # its IdentifierError becomes the validation error this function promises
        else _guard("eventID (CBV 2.0 event hash)", lambda _: event_hash(event, namespaces), "")
    )
    return record


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _guard(field: str, convert: Callable[[str], str], value: str) -> str:
    try:
        return convert(value)
    except (IdentifierError, cbv.CbvError) as exc:
        raise EpcisValidationError(f"{field}: {exc}") from exc


def _opt_time(event: Mapping[str, Any], field: str) -> Any:
    return None if event.get(field) is None else parse_time(event[field], field)


def _action(kind: str, event: Mapping[str, Any]) -> str | None:
    if kind == "TransformationEvent":
        return None
    action = event.get("action")
    if action is None:
        raise EpcisValidationError(f"{kind} requires an action (ADD, OBSERVE or DELETE)")
    if action not in ACTIONS:
        raise EpcisValidationError(f"action {action!r} is not one of ADD, OBSERVE, DELETE")
    return str(action)


def _cbv(event: Mapping[str, Any], field: str, vocab: cbv.Vocabulary) -> str | None:
    value = optional_str(event.get(field), field)
    return None if value is None else _guard(field, lambda v: cbv.normalise(vocab, v), value)


def _id(value: Any, field: str) -> str:
    return _guard(field, to_digital_link, uri(value, field))


def _opt_id(event: Mapping[str, Any], field: str) -> str | None:
    return None if event.get(field) is None else _id(event[field], field)


def _opt_uri(event: Mapping[str, Any], field: str) -> str | None:
    return None if event.get(field) is None else uri(event[field], field)


def _ids(event: Mapping[str, Any], field: str) -> list[str]:
    return [_id(item, f"{field}[{i}]") for i, item in enumerate(as_list(event.get(field), field))]


def _where(event: Mapping[str, Any], field: str, extensions: dict[str, Any]) -> str | None:
    if event.get(field) is None:
        return None
    where = as_object(event[field], field)
    extra = {k: v for k, v in where.items() if k != "id"}
    for key in extra:
        if not is_extension_key(key):
            raise EpcisValidationError(f"{field} has an unknown field {key!r}")
    if extra:
        # bare names cannot clash with user extensions, which always carry a prefix
        extensions[field] = extra
    if "id" not in where:
        raise EpcisValidationError(f"{field} has no id")
    return _id(where["id"], f"{field}.id")


def _quantities(event: Mapping[str, Any], field: str) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(as_list(event.get(field), field)):
        name = f"{field}[{i}]"
        element = as_object(item, name)
        unknown = set(element) - _QUANTITY_KEYS
        if unknown:
            raise EpcisValidationError(f"{name} has unknown field(s) {sorted(unknown)}")
        if "epcClass" not in element:
            raise EpcisValidationError(f"{name} has no epcClass")
        quantity = element.get("quantity")
        if quantity is None and element.get("uom") is not None:
            raise EpcisValidationError(f"{name} has a uom but no quantity")
        out.append(
            {
                "epcClass": _id(element["epcClass"], f"{name}.epcClass"),
                "quantity": None if quantity is None else number(quantity, f"{name}.quantity"),
                "uom": uom(element.get("uom"), f"{name}.uom"),
            }
        )
    return out


def _biz_transactions(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(as_list(event.get("bizTransactionList"), "bizTransactionList")):
        name = f"bizTransactionList[{i}]"
        element = as_object(item, name)
        kind = optional_str(element.get("type"), f"{name}.type")
        out.append(
            {
                "type": None
                if kind is None
                else _guard(name, lambda v: cbv.normalise("BTT", v), kind),
                "bizTransaction": uri(element.get("bizTransaction"), f"{name}.bizTransaction"),
            }
        )
    return out


def _source_dest(event: Mapping[str, Any], field: str, member: str) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(as_list(event.get(field), field)):
        name = f"{field}[{i}]"
        element = as_object(item, name)
        kind = element.get("type")
        if not isinstance(kind, str):
            raise EpcisValidationError(f"{name} has no type")
        out.append(
            {
                "type": _guard(name, lambda v: cbv.normalise("SDT", v), kind),
                "id": _id(element.get(member), f"{name}.{member}"),
            }
        )
    return out


def _persistent(event: Mapping[str, Any]) -> dict[str, list[str]] | None:
    if event.get("persistentDisposition") is None:
        return None
    value = as_object(event["persistentDisposition"], "persistentDisposition")
    unknown = set(value) - {"set", "unset"}
    if unknown:
        raise EpcisValidationError(f"persistentDisposition has unknown field(s) {sorted(unknown)}")
    return {
        part: [
            _guard("persistentDisposition", lambda v: cbv.normalise("Disp", v), uri_or_word)
            for uri_or_word in as_list(value.get(part), f"persistentDisposition.{part}")
        ]
        for part in ("set", "unset")
    }


def _certification(event: Mapping[str, Any]) -> list[str]:
    value = event.get("certificationInfo")
    items = value if isinstance(value, list) else ([] if value is None else [value])
    return [uri(item, f"certificationInfo[{i}]") for i, item in enumerate(items)]


def _error_declaration(event: Mapping[str, Any]) -> dict[str, Any] | None:
    if event.get("errorDeclaration") is None:
        return None
    value = as_object(event["errorDeclaration"], "errorDeclaration")
    known = {"declarationTime", "reason", "correctiveEventIDs"}
    extra = {k: v for k, v in value.items() if k not in known}
    for key in extra:
        if not is_extension_key(key):
            raise EpcisValidationError(f"errorDeclaration has an unknown field {key!r}")
    if "declarationTime" not in value:
        raise EpcisValidationError("errorDeclaration has no declarationTime")
    reason = optional_str(value.get("reason"), "errorDeclaration.reason")
    corrective = as_list(value.get("correctiveEventIDs"), "errorDeclaration.correctiveEventIDs")
    return {
        "declarationTime": parse_time(value["declarationTime"], "errorDeclaration.declarationTime"),
        "reason": None
        if reason is None
        else _guard("errorDeclaration.reason", lambda v: cbv.normalise("ER", v), reason),
        "correctiveEventIDs": [uri(c, "correctiveEventIDs") for c in corrective],
        "extensions": _json(extra),
    }


def _ilmd(event: Mapping[str, Any]) -> str | None:
    if event.get("ilmd") is None:
        return None
    ilmd = as_object(event["ilmd"], "ilmd")
    for key in ilmd:
        if not is_extension_key(key):
            raise EpcisValidationError(
                f"ilmd field {key!r} has no namespace; ILMD members must be prefixed "
                "(e.g. cbvmda:lotNumber or a prefix declared in @context)"
            )
    return _json(ilmd)


def _require_what(kind: str, event: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    # The JSON schema asks for either list to be present (possibly empty). GS1's own sensor
    # examples (SensorDataExample1b) omit both for readings observed at a readPoint, so a
    # sensor report stands in for the objects; an event naming nothing at all is refused.
    names_objects = "epcList" in event or "quantityList" in event
    if kind == "ObjectEvent" and not names_objects and not record["sensorElementList"]:
        raise EpcisValidationError(
            "ObjectEvent names no object: it has no epcList, quantityList or sensorElementList"
        )
    if kind == "TransformationEvent" and not (
        record["inputEPCList"]
        or record["inputQuantityList"]
        or record["outputEPCList"]
        or record["outputQuantityList"]
    ):
        raise EpcisValidationError("TransformationEvent has neither inputs nor outputs")
    if (
        kind in ("AggregationEvent", "AssociationEvent")
        and record["action"] != "OBSERVE"
        and (record["parentID"] is None)
    ):
        raise EpcisValidationError(f"{kind} with action {record['action']} requires a parentID")
