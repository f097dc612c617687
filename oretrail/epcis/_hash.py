"""The CBV 2.0 "EPCIS event hash ID" (CBV 2.0 §8.9) of one event in EPCIS 2.0 JSON-LD form.

The event is written as a canonical pre-hash string and hashed with SHA-256:
``ni:///sha-256;<lowercase hex>?ver=CBV2.0``. The string names every field once and then
its value or children, ``name=value`` with nothing in between. Standard fields come in the
order of the reference implementation (RalphTro/epcis-event-hash-generator, whose published
vectors are the oracle); the items of every list are sorted as strings; after the ordered
fields come bizTransactionList, sourceList, destinationList, ILMD and the user extensions,
sorted as whole strings. ``eventID``, ``recordTime``, ``errorDeclaration``, comments and
``@context`` do not take part, so a corrected event hashes like the one it corrects.

Deliberate differences from the reference code (none of them changes a published vector):
JSON ``true`` is written ``true`` as in XML (not Python's ``True``); a bizTransaction /
source / destination is written ``type=`` first whatever the key order of the JSON object;
numbers are formatted from their decimal text, so long digit strings keep every digit; the
prefixes the EPCIS context defines (``cbv:``, ``gs1:`` ...) are known without being
declared again; an extension stays where it is written whatever its namespace looks like.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from oretrail.epcis._hash_values import (
    COMPONENT_BASE,
    Names,
    gs1_term,
    identifier,
    literal,
    number,
    text,
    timestamp,
    vocabulary,
)

__all__ = ["event_hash", "prehash_string"]

_Value = Callable[[Any, Names], str]


def _plain(value: Any, _: Names) -> str:
    return text(value)


def _time(value: Any, _: Names) -> str:
    return timestamp(text(value))


def _quantity(value: Any, names: Names) -> str:
    raw = text(value)
    return number(raw) or raw


def _cbv(vocab: Any) -> _Value:
    return lambda value, names: vocabulary(value, vocab, names)


def _component(value: Any, names: Names) -> str:
    return gs1_term(value, names, COMPONENT_BASE)


# field -> how its value is written; a nested spec is a container with that child order
_Spec = Mapping[str, "_Value | _Spec"]

_QUANTITY: _Spec = {"epcClass": identifier, "quantity": _quantity, "uom": _plain}
_SENSOR_METADATA: _Spec = {
    "time": _time, "startTime": _time, "endTime": _time, "deviceID": identifier,
    "deviceMetadata": literal, "rawData": literal, "dataProcessingMethod": literal,
    "bizRules": literal,
}  # fmt: skip
_SENSOR_REPORT: _Spec = {
    "type": gs1_term, "exception": gs1_term, "deviceID": identifier, "deviceMetadata": literal,
    "rawData": literal, "dataProcessingMethod": literal, "time": _time, "microorganism": literal,
    "chemicalSubstance": literal, "value": _quantity, "component": _component,
    "stringValue": literal, "booleanValue": literal, "hexBinaryValue": _plain,
    "uriValue": literal, "minValue": _quantity, "maxValue": _quantity, "meanValue": _quantity,
    "sDev": _quantity, "percRank": _quantity, "percValue": _quantity, "uom": _plain,
    "coordinateReferenceSystem": literal,
}  # fmt: skip
_LOCATION: _Spec = {"id": identifier}
_EPCS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
_QUANTITIES = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")

# the ordered part of the pre-hash string, in the reference implementation's order
_ORDER: _Spec = {
    "eventTime": _time,
    "eventTimeZoneOffset": _plain,
    "certificationInfo": literal,
    "parentID": identifier,
    "epcList": identifier,
    "inputEPCList": identifier,
    "childEPCs": identifier,
    "quantityList": _QUANTITY,
    "childQuantityList": _QUANTITY,
    "inputQuantityList": _QUANTITY,
    "outputEPCList": identifier,
    "outputQuantityList": _QUANTITY,
    "action": _plain,
    "transformationID": literal,
    "bizStep": _cbv("BizStep"),
    "disposition": _cbv("Disp"),
    "persistentDisposition": {"set": _cbv("Disp"), "unset": _cbv("Disp")},
    "readPoint": _LOCATION,
    "bizLocation": _LOCATION,
    "sensorElementList": {"sensorMetadata": _SENSOR_METADATA, "sensorReport": _SENSOR_REPORT},
}
# (list name, member name, vocabulary of the member's "type")
_TYPED_LISTS = {
    "bizTransactionList": ("bizTransaction", "BTT"),
    "sourceList": ("source", "SDT"),
    "destinationList": ("destination", "SDT"),
}
_LEFT_OUT = {"type", "eventID", "recordTime", "errorDeclaration", "@context"}
_COMMENTS = {"comment", "{http://www.w3.org/2000/01/rdf-schema#}comment"}


def event_hash(
    event: Mapping[str, Any],
    namespaces: Mapping[str, str] | None = None,
    *,
    exclude: Collection[str] = (),
) -> str:
    """``ni:///sha-256;<hex>?ver=CBV2.0`` of one EPCIS 2.0 JSON-LD event.

    ``namespaces`` maps the prefixes of ``prefix:local`` extension keys to namespace URIs
    (the prefixes of the EPCIS 2.0 context itself are known). ``exclude`` names top-level
    fields that take no part (``prefix:local`` or ``{namespace}local``), for repositories
    that add bookkeeping fields to stored events. Raises IdentifierError when an EPC,
    location or party field holds something that looks like a GS1 key but is not valid.
    """
    digest = hashlib.sha256(prehash_string(event, namespaces, exclude=exclude).encode("utf-8"))
    return f"ni:///sha-256;{digest.hexdigest()}?ver=CBV2.0"


def prehash_string(
    event: Mapping[str, Any],
    namespaces: Mapping[str, str] | None = None,
    *,
    exclude: Collection[str] = (),
) -> str:
    """The canonical pre-hash string of one event (what :func:`event_hash` hashes)."""
    names = Names(namespaces)
    left_out = _LEFT_OUT | {names.key(name) for name in exclude}
    ordered = [f"eventType={text(event.get('type'))}"]
    tail: list[str] = []
    for key, value in event.items():
        if key in _ORDER or key in _TYPED_LISTS:
            continue
        name = names.key(key)
        if key not in left_out and name not in left_out and name not in _COMMENTS:
            tail.extend(_generic(name, value, names))
    for field, spec in _ORDER.items():
        if field not in event:
            continue
        if field == "sensorElementList":
            ordered.append(_sensor_elements(event[field], names))
        elif isinstance(spec, Mapping):
            ordered.append(_ordered_list(field, _as_list(event[field]), spec, names))
        else:
            ordered.append(_scalars(field, event[field], spec, names))
    tail.extend(_typed_list(event, field, names) for field in _TYPED_LISTS if field in event)
    return "".join(ordered) + "".join(sorted(s for s in tail if s))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _scalars(name: str, value: Any, convert: _Value, names: Names) -> str:
    """``name=v`` per value; an EPC list writes its name once, then ``epc=`` per item."""
    if name in _EPCS:
        items = sorted(f"epc={v}" for v in (convert(x, names) for x in _as_list(value)) if v)
        return name + "".join(items) if items else ""
    return "".join(sorted(f"{name}={v}" for v in (convert(x, names) for x in _as_list(value)) if v))


def _ordered_list(field: str, items: list[Any], spec: _Spec, names: Names) -> str:
    """quantity lists, persistentDisposition, readPoint / bizLocation."""
    member = "quantityElement" if field in _QUANTITIES else ""
    written = sorted(member + body for body in (_object(obj, spec, names) for obj in items) if body)
    return field + "".join(written) if written else ""


def _object(obj: Any, spec: _Spec, names: Names) -> str:
    """The fields of ``spec`` in order, then any other member sorted (extensions)."""
    if not isinstance(obj, Mapping):
        return ""
    parts: list[str] = []
    for field, convert in spec.items():
        if field in obj:
            assert not isinstance(convert, Mapping)
            parts.append(_scalars(field, obj[field], convert, names))
    extra = [s for key, value in obj.items() if key not in spec for s in _member(key, value, names)]
    return "".join(parts) + "".join(sorted(extra))


def _sensor_elements(value: Any, names: Names) -> str:
    elements = []
    for element in _as_list(value):
        if not isinstance(element, Mapping):
            continue
        metadata = _object(element.get("sensorMetadata"), _SENSOR_METADATA, names)
        reports = sorted(
            "sensorReport" + body
            for body in (
                _object(r, _SENSOR_REPORT, names) for r in _as_list(element.get("sensorReport", []))
            )
            if body
        )
        known = ("sensorMetadata", "sensorReport")
        extra = sorted(
            s for k, v in element.items() if k not in known for s in _member(k, v, names)
        )
        body = ("sensorMetadata" + metadata if metadata else "") + "".join(reports) + "".join(extra)
        if body:
            elements.append("sensorElement" + body)
    return "sensorElementList" + "".join(sorted(elements)) if elements else ""


def _typed_list(event: Mapping[str, Any], field: str, names: Names) -> str:
    """bizTransactionList / sourceList / destinationList: ``type=`` then the value."""
    member, vocab = _TYPED_LISTS[field]
    spec: _Spec = {
        "type": _cbv(vocab),
        member: identifier if member != "bizTransaction" else literal,
    }
    entries = sorted(
        body for body in (_object(e, spec, names) for e in _as_list(event[field])) if body
    )
    return field + "".join(entries) if entries else ""


def _member(key: str, value: Any, names: Names) -> Iterable[str]:
    name = names.key(key)
    if key.startswith("@xmlns") or name in _COMMENTS:
        return []
    return _generic(name, value, names)


def _generic(name: str, value: Any, names: Names) -> list[str]:
    """ILMD and user extensions: a list gives one sibling per item; an object its name and
    its members sorted; ``#text`` is the element text of an XML-born extension."""
    if isinstance(value, list):
        return [s for item in value for s in _generic(name, item, names)]
    if isinstance(value, Mapping):
        own = literal(value["#text"], names) if "#text" in value else ""
        children = sorted(
            s for key, child in value.items() if key != "#text" for s in _member(key, child, names)
        )
        return [name + (f"={own}" if own else "") + "".join(children)]
    written = literal(value, names)
    return [f"{name}={written}" if written else name]
