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
from collections.abc import Callable, Collection, Mapping
from typing import Any

from oretrail.cbv import Vocabulary
from oretrail.epcis._hash_values import (
    Names,
    component,
    gs1_term,
    identifier,
    literal,
    plain,
    quantity,
    text,
    time,
    vocabulary,
)

__all__ = ["event_hash", "prehash_string"]

_Value = Callable[[Any, Names], str]  # one JSON value -> its text in the pre-hash string
_Fields = Mapping[str, _Value]  # the members of an object, in their pre-hash order
_Writer = Callable[[str, Any, Names], str]  # (field name, value) -> its whole substring


def _cbv(vocab: Vocabulary) -> _Value:
    return lambda value, names: vocabulary(value, vocab, names)


_QUANTITY: _Fields = {"epcClass": identifier, "quantity": quantity, "uom": plain}
_SENSOR_METADATA: _Fields = {
    "time": time, "startTime": time, "endTime": time, "deviceID": identifier,
    "deviceMetadata": literal, "rawData": literal, "dataProcessingMethod": literal,
    "bizRules": literal,
}  # fmt: skip
_SENSOR_REPORT: _Fields = {
    "type": gs1_term, "exception": gs1_term, "deviceID": identifier, "deviceMetadata": literal,
    "rawData": literal, "dataProcessingMethod": literal,
    # bizRules: in the EPCIS 2.0.1 JSON schema, not in the XSD nor in the reference's order;
    # placed as in sensorMetadata and in the schema, right after dataProcessingMethod
    "bizRules": literal, "time": time, "microorganism": literal,
    "chemicalSubstance": literal, "value": quantity, "component": component,
    "stringValue": literal, "booleanValue": literal, "hexBinaryValue": plain,
    "uriValue": literal, "minValue": quantity, "maxValue": quantity, "meanValue": quantity,
    "sDev": quantity, "percRank": quantity, "percValue": quantity, "uom": plain,
    "coordinateReferenceSystem": literal,
}  # fmt: skip
_LOCATION: _Fields = {"id": identifier}
_PERSISTENT: _Fields = {"set": _cbv("Disp"), "unset": _cbv("Disp")}
# (list name) -> (member holding the value, vocabulary of its "type", how the value is written)
_TYPED_LISTS: Mapping[str, tuple[str, Vocabulary, _Value]] = {
    "bizTransactionList": ("bizTransaction", "BTT", literal),
    "sourceList": ("source", "SDT", identifier),
    "destinationList": ("destination", "SDT", identifier),
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
    ordered += [
        write(field, event[field], names) for field, write in _ORDER.items() if field in event
    ]
    tail = [_typed_list(field, event[field], names) for field in _TYPED_LISTS if field in event]
    for key, value in event.items():
        if key not in _ORDER and key not in _TYPED_LISTS and not {key, names.key(key)} & left_out:
            tail += _member(key, value, names)
    return "".join(ordered) + "".join(sorted(tail))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _scalars(field: str, value: Any, convert: _Value, names: Names) -> str:
    """``field=v`` for the value, or for each value of a list, sorted; empty values vanish."""
    written = (convert(item, names) for item in _as_list(value))
    return "".join(sorted(f"{field}={v}" for v in written if v))


def _scalar(convert: _Value) -> _Writer:
    return lambda field, value, names: _scalars(field, value, convert, names)


def _epcs(field: str, value: Any, names: Names) -> str:
    """An EPC list writes its name once, then ``epc=`` per item."""
    items = _scalars("epc", value, identifier, names)
    return field + items if items else ""


def _objects(fields: _Fields, member: str = "") -> _Writer:
    """A list of objects (or one object): the field name, then each object sorted."""

    def write(field: str, value: Any, names: Names) -> str:
        written = (_object(item, fields, names) for item in _as_list(value))
        items = sorted(member + body for body in written if body)
        return field + "".join(items) if items else ""

    return write


def _object(obj: Any, fields: _Fields, names: Names) -> str:
    """The members of ``fields`` in order, then any other member sorted (extensions)."""
    if not isinstance(obj, Mapping):
        return ""
    known = "".join(
        _scalars(f, obj[f], convert, names) for f, convert in fields.items() if f in obj
    )
    other = sorted(
        s for key, value in obj.items() if key not in fields for s in _member(key, value, names)
    )
    return known + "".join(other)


_SENSOR_REPORTS = _objects(_SENSOR_REPORT, "sensorReport")


def _sensor_elements(field: str, value: Any, names: Names) -> str:
    """sensorMetadata, then the sensorReports sorted, then the element's extensions."""
    elements = []
    for element in _as_list(value):
        if not isinstance(element, Mapping):
            continue
        metadata = _object(element.get("sensorMetadata"), _SENSOR_METADATA, names)
        reports = _SENSOR_REPORTS("", element.get("sensorReport", []), names)
        extra = sorted(
            s
            for key, child in element.items()
            if key not in ("sensorMetadata", "sensorReport")
            for s in _member(key, child, names)
        )
        body = ("sensorMetadata" + metadata if metadata else "") + reports + "".join(extra)
        if body:
            elements.append("sensorElement" + body)
    return field + "".join(sorted(elements)) if elements else ""


def _typed_list(field: str, value: Any, names: Names) -> str:
    """bizTransactionList / sourceList / destinationList: ``type=`` then the value."""
    member, vocab, convert = _TYPED_LISTS[field]
    return _objects({"type": _cbv(vocab), member: convert})(field, value, names)


def _member(key: str, value: Any, names: Names) -> list[str]:
    """A member no standard field defines: ILMD content, user extensions."""
    name = names.key(key)
    if key.startswith("@xmlns") or name in _COMMENTS:
        return []
    return _generic(name, value, names)


def _generic(name: str, value: Any, names: Names) -> list[str]:
    """A list gives one sibling per item; an object its name, then its members sorted
    (``#text`` is the element text of an XML-born extension); a scalar ``name=value``."""
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


# the ordered part of the pre-hash string, in the reference implementation's order
_ORDER: Mapping[str, _Writer] = {
    "eventTime": _scalar(time),
    "eventTimeZoneOffset": _scalar(plain),
    "certificationInfo": _scalar(literal),
    "parentID": _scalar(identifier),
    "epcList": _epcs,
    "inputEPCList": _epcs,
    "childEPCs": _epcs,
    "quantityList": _objects(_QUANTITY, "quantityElement"),
    "childQuantityList": _objects(_QUANTITY, "quantityElement"),
    "inputQuantityList": _objects(_QUANTITY, "quantityElement"),
    "outputEPCList": _epcs,
    "outputQuantityList": _objects(_QUANTITY, "quantityElement"),
    "action": _scalar(plain),
    "transformationID": _scalar(literal),
    "bizStep": _scalar(_cbv("BizStep")),
    "disposition": _scalar(_cbv("Disp")),
    "persistentDisposition": _objects(_PERSISTENT),
    "readPoint": _objects(_LOCATION),
    "bizLocation": _objects(_LOCATION),
    "sensorElementList": _sensor_elements,
}
