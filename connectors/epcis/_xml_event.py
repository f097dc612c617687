"""One EPCIS XML event element -> its EPCIS 2.0 JSON-LD dict (the GS1 JSON binding's shape).

Identifiers and CBV values stay as written (URNs stay URNs); numbers, booleans and lists get
their JSON types. Any structural or value problem raises EventProblem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from connectors.epcis import _xml_values as values
from connectors.epcis._xml_extensions import XSI, Prefixes, add, attributes, standard
from connectors.epcis._xml_extensions import value as extension_value
from connectors.epcis._xml_structure import EVENT_TYPES, collect, fields_of
from connectors.epcis._xml_values import EventProblem

_SENSOR_NUMBERS = frozenset(
    ("value", "minValue", "maxValue", "sDev", "meanValue", "percRank", "percValue")
)
_SENSOR_TIMES = frozenset(("time", "startTime", "endTime"))


def convert(event: etree._Element, version: str, prefixes: Prefixes) -> dict[str, Any]:
    uri, event_type = standard(event.tag)
    if uri is not None or event_type not in EVENT_TYPES:
        shown = prefixes.key(event) if uri is not None else event_type
        removed = " (QuantityEvent was removed in EPCIS 2.0)" if shown == "QuantityEvent" else ""
        raise EventProblem(f"<{shown}> is not an EPCIS event type{removed}")
    found = collect(event, event_type, version)
    result: dict[str, Any] = {"type": event_type}
    for name in fields_of(event_type):
        element = found.fields.get(name)
        if element is not None:
            result[name] = _CONVERTERS[name](element, prefixes)
    _attributes(event, prefixes, result)
    for element in found.extensions:
        add(result, prefixes.key(element), extension_value(element, prefixes))
    return result


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _text(element: etree._Element, prefixes: Prefixes | None = None) -> str:
    if _children(element):
        raise EventProblem(f"<{standard(element.tag)[1]}> must hold text, not elements")
    return (element.text or "").strip()


def _attributes(element: etree._Element, prefixes: Prefixes, into: dict[str, Any]) -> None:
    """Namespaced attributes on a standard element are extensions: keep them as ``@p:l``."""
    for name, text in attributes(element):
        if name.startswith("{") and not name.startswith(f"{{{XSI}}}"):
            into["@" + prefixes.attribute_key(name, element)] = text


def _parts(
    element: etree._Element,
    sequence: tuple[str, ...],
    prefixes: Prefixes,
    into: dict[str, Any] | None = None,
    *,
    repeatable: tuple[str, ...] = (),
    any_order: bool = False,
) -> list[tuple[str, etree._Element]]:
    """The standard children of a sub-structure in order; extension children go to ``into``.

    An ``extension`` wrapper (the XSDs' ##local slot) is flattened: its namespaced children
    are extensions too. Unknown, repeated or out-of-order standard children raise.
    """
    where = standard(element.tag)[1]
    found: list[tuple[str, etree._Element]] = []
    last = -1
    for child in _children(element):
        uri, name = standard(child.tag)
        if uri is not None and into is not None:
            add(into, prefixes.key(child), extension_value(child, prefixes))
            continue
        if uri is None and name == "extension" and into is not None and "extension" in sequence:
            for inner in _children(child):
                if standard(inner.tag)[0] is None:
                    raise EventProblem(
                        f"element <{standard(inner.tag)[1]}> is not allowed in "
                        f"<{where}><extension> (only namespaced extension elements)"
                    )
                add(into, prefixes.key(inner), extension_value(inner, prefixes))
            continue
        if uri is not None or name not in sequence:
            shown = prefixes.key(child) if uri is not None else name
            raise EventProblem(f"element <{shown}> is not allowed in <{where}>")
        place = sequence.index(name)
        if not any_order and place < last:
            raise EventProblem(
                f"element <{name}> is out of order in <{where}>: the XML binding puts it "
                f"before <{sequence[last]}>"
            )
        if (place == last or (any_order and any(n == name for n, _ in found))) and (
            name not in repeatable
        ):
            raise EventProblem(f"element <{name}> appears twice in <{where}>")
        last = max(last, place)
        found.append((name, child))
    return found


def _list_of(item: str) -> Callable[[etree._Element, Prefixes], list[str]]:
    def convert_list(element: etree._Element, prefixes: Prefixes) -> list[str]:
        return [_text(child) for _, child in _parts(element, (item,), prefixes, repeatable=(item,))]

    return convert_list


def _quantity_list(element: etree._Element, prefixes: Prefixes) -> list[dict[str, Any]]:
    items = []
    for _, child in _parts(
        element, ("quantityElement",), prefixes, repeatable=("quantityElement",)
    ):
        item: dict[str, Any] = {}
        for name, part in _parts(child, ("epcClass", "quantity", "uom"), prefixes):
            if name == "quantity":
                if part.get(f"{{{XSI}}}nil") in ("true", "1"):
                    continue
                item[name] = values.number("quantity", _text(part))
            else:
                item[name] = _text(part)
        if "epcClass" not in item:
            raise EventProblem("a <quantityElement> lacks its <epcClass>")
        if "uom" in item and "quantity" not in item:
            raise EventProblem("a <quantityElement> has a <uom> but no <quantity>")
        items.append(item)
    return items


def _location(element: etree._Element, prefixes: Prefixes) -> dict[str, Any]:
    result: dict[str, Any] = {}
    parts = _parts(element, ("id", "extension"), prefixes, result)
    if not parts:
        raise EventProblem(f"<{standard(element.tag)[1]}> lacks its <id>")
    return {"id": _text(parts[0][1]), **result}


def _typed_list(item: str, type_required: bool) -> Callable[..., list[dict[str, str]]]:
    def convert_list(element: etree._Element, prefixes: Prefixes) -> list[dict[str, str]]:
        result = []
        for _, child in _parts(element, (item,), prefixes, repeatable=(item,)):
            entry: dict[str, str] = {}
            kind = child.get("type")
            if kind is not None:
                entry["type"] = kind.strip()
            elif type_required:
                raise EventProblem(f"a <{item}> lacks its type attribute")
            entry[item] = _text(child)
            result.append(entry)
        if not result:
            raise EventProblem(f"<{standard(element.tag)[1]}> holds no <{item}>")
        return result

    return convert_list


def _sensor_attributes(element: etree._Element, prefixes: Prefixes) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, text in attributes(element):
        uri, local = standard(name)
        if uri == XSI:
            continue
        if uri is not None:
            result[prefixes.attribute_key(name, element)] = text
        elif local in _SENSOR_NUMBERS:
            result[local] = values.number(local, text.strip(), exponent=True)
        elif local in _SENSOR_TIMES:
            result[local] = values.date_time(local, text.strip())
        elif local == "booleanValue":
            result[local] = values.boolean(local, text.strip())
        else:
            result[local] = text
    return result


def _sensor_element_list(element: etree._Element, prefixes: Prefixes) -> list[dict[str, Any]]:
    result = []
    for _, child in _parts(element, ("sensorElement",), prefixes, repeatable=("sensorElement",)):
        sensor: dict[str, Any] = {}
        extensions: dict[str, Any] = {}
        reports = []
        sequence = ("sensorMetadata", "sensorReport", "extension")
        parts = _parts(child, sequence, prefixes, extensions, repeatable=sequence[1:2])
        for part_name, part in parts:
            if part_name == "sensorMetadata":
                sensor["sensorMetadata"] = _sensor_attributes(part, prefixes)
            else:
                reports.append(_sensor_attributes(part, prefixes))
        if not reports:
            raise EventProblem("a <sensorElement> holds no <sensorReport>")
        result.append({**sensor, "sensorReport": reports, **extensions})
    if not result:
        raise EventProblem("<sensorElementList> holds no <sensorElement>")
    return result


def _persistent_disposition(element: etree._Element, prefixes: Prefixes) -> dict[str, Any]:
    result: dict[str, list[str]] = {}
    for name, child in _parts(element, ("unset", "set"), prefixes, repeatable=("unset", "set")):
        result.setdefault(name, []).append(_text(child))
    return {key: result[key] for key in ("set", "unset") if key in result}


def _ilmd(element: etree._Element, prefixes: Prefixes) -> dict[str, Any]:
    result: dict[str, Any] = {}
    _parts(element, ("extension",), prefixes, result)
    _attributes(element, prefixes, result)
    return result


def _error_declaration(element: etree._Element, prefixes: Prefixes) -> dict[str, Any]:
    extensions: dict[str, Any] = {}
    sequence = ("declarationTime", "reason", "correctiveEventIDs", "extension")
    result: dict[str, Any] = {}
    for name, child in _parts(element, sequence, prefixes, extensions, any_order=True):
        if name == "declarationTime":
            result[name] = values.date_time("declarationTime", _text(child))
        elif name == "reason":
            result[name] = _text(child)
        else:
            result[name] = _list_of("correctiveEventID")(child, prefixes)
    if "declarationTime" not in result:
        raise EventProblem("<errorDeclaration> lacks the required element <declarationTime>")
    _attributes(element, prefixes, extensions)
    return {**result, **extensions}


def _date_time(name: str) -> Callable[[etree._Element, Prefixes], str]:
    return lambda element, _: values.date_time(name, _text(element))


_CONVERTERS: dict[str, Callable[[etree._Element, Prefixes], Any]] = {
    "eventTime": _date_time("eventTime"),
    "recordTime": _date_time("recordTime"),
    "eventTimeZoneOffset": lambda e, _: values.time_zone_offset(_text(e)),
    "eventID": _text,
    "errorDeclaration": _error_declaration,
    "certificationInfo": _text,
    "parentID": _text,
    "epcList": _list_of("epc"),
    "childEPCs": _list_of("epc"),
    "inputEPCList": _list_of("epc"),
    "outputEPCList": _list_of("epc"),
    "action": lambda e, _: values.action(_text(e)),
    "quantityList": _quantity_list,
    "childQuantityList": _quantity_list,
    "inputQuantityList": _quantity_list,
    "outputQuantityList": _quantity_list,
    "transformationID": _text,
    "bizStep": _text,
    "disposition": _text,
    "readPoint": _location,
    "bizLocation": _location,
    "bizTransactionList": _typed_list("bizTransaction", type_required=False),
    "sourceList": _typed_list("source", type_required=True),
    "destinationList": _typed_list("destination", type_required=True),
    "sensorElementList": _sensor_element_list,
    "persistentDisposition": _persistent_disposition,
    "ilmd": _ilmd,
}
