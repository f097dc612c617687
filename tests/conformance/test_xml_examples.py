"""iter_xml_events against the official XML examples (GS1 EPCIS repo, OpenEPCIS test set).

* Every EPCISDocument yields as many events as it has (counted with plain XPath), all valid,
  except the few published "valid" files that break the XSD (KNOWN_INVALID, with the reason).
* Where a JSON-LD twin exists, each event matches the twin's event field by field on the core
  fields; the published twins differ from their XML in a few places (KNOWN_DIFFERENCES).
* Every OpenEPCIS XML capture document in Invalid/ is refused with a reason naming the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.epcis._xml import iter_xml_events
from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent
from tests.conftest import STANDARDS

EXAMPLES = STANDARDS / "epcis" / "examples"
OPENEPCIS = EXAMPLES / "openepcis-test-resources"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_VERSIONS = {"urn:epcglobal:epcis:xsd:2": "2.0", "urn:epcglobal:epcis:xsd:1": "1.2"}

# Published as valid, but the XSD says otherwise; the event is refused for that reason.
KNOWN_INVALID = {
    # OpenEPCIS shows its converter accepts any element order; the XSD fixes one.
    "openepcis-test-resources/2.0/EPCIS/XML/Capture/Documents/JumbledFieldsOrder.xml": (
        "element <eventTimeZoneOffset> is out of order in TransactionEvent"
    ),
    "openepcis-test-resources/1.2/EPCIS/XML/Capture/Documents/Jumbled_attributes_order.xml": (
        "element <eventTimeZoneOffset> is out of order in ObjectEvent"
    ),
    # xsd:dateTime needs seconds.
    "openepcis-test-resources/1.2/EPCIS/XML/Capture/Documents/"
    "TransactionEvent_all_possible_fields.xml": "declarationTime '2006-11-07T13:00Z'",
    # In the 1.2 folder but in the 2.0 namespace, with 1.2's baseExtension/extension wrappers.
    "openepcis-test-resources/1.2/EPCIS/XML/Capture/Documents/Document_with_namespace.xml": (
        "element <eventID> is not allowed in ObjectEvent/baseExtension"
    ),
}


def _xml_files() -> Iterator[Any]:
    folders = [EXAMPLES / "xml", OPENEPCIS / "2.0/EPCIS/XML", OPENEPCIS / "1.2/EPCIS/XML"]
    paths = sorted(p for f in folders if f.is_dir() for p in f.rglob("*.xml"))
    for path in paths:
        if "Invalid" in path.parts:
            continue
        root = etree.parse(path, _SAFE).getroot()
        local = etree.QName(root).localname
        name = str(path.relative_to(EXAMPLES))
        label = name if local == "EPCISDocument" else f"{name} [{local} root: skipped]"
        yield pytest.param(path, root, id=label)


def _expected_count(root: etree._Element) -> int:
    """Events counted independently: EventList children, and 1.2's extension-wrapped ones."""
    wrapped = "EPCISBody/EventList/extension"
    return int(
        root.xpath("count(EPCISBody/EventList/*[local-name() != 'extension'])")
        + root.xpath(f"count({wrapped}/*[local-name() != 'extension'])")
        + root.xpath(f"count({wrapped}/extension/*)")
    )


def _read(path: Path) -> list[DocumentEvent | InvalidEvent]:
    with path.open("rb") as stream:
        return list(iter_xml_events(stream))


@pytest.mark.parametrize(("path", "root"), list(_xml_files()))
def test_every_example_document(standards: Path, path: Path, root: etree._Element) -> None:
    if etree.QName(root).localname != "EPCISDocument":
        pytest.skip(f"{etree.QName(root).localname} is not an EPCISDocument")
    results = _read(path)
    assert len(results) == _expected_count(root)
    assert [r.index for r in results] == list(range(len(results)))
    known = KNOWN_INVALID.get(str(path.relative_to(EXAMPLES)))
    if known is not None:
        assert any(isinstance(r, InvalidEvent) and known in r.message for r in results), results
        return
    assert all(isinstance(r, DocumentEvent) for r in results), results
    version = _VERSIONS[etree.QName(root).namespace or ""]
    assert {r.schema_version for r in results} <= {version}  # type: ignore[union-attr]


INVALID_REASONS = {
    "ObjectEvent_bare_event_without_action.xml": "the root element is 'ObjectEvent'",
    "ObjectEvent_with_invalid_action.xml": "action 'CREATE' is not one of ADD, OBSERVE, DELETE",
    "ObjectEvent_with_invalid_eventTime_format.xml": (
        "eventTime '22-07-2026' is not an xsd:dateTime"
    ),
    "ObjectEvent_with_near_miss_action.xml": "action 'OBSERV' is not one of ADD, OBSERVE, DELETE "
    "(did you mean OBSERVE?)",
    "ObjectEvent_with_unknown_element.xml": "element <madeUpField> is not part of an ObjectEvent",
    "ObjectEvent_with_wrong_element_order.xml": "element <eventTime> is out of order",
    "ObjectEvent_without_eventTime.xml": "lacks the required element <eventTime>",
}


def _invalid_files() -> list[Path]:
    folder = OPENEPCIS / "2.0/EPCIS/XML/Capture/Invalid"
    return sorted(folder.glob("*.xml")) if folder.is_dir() else []


@pytest.mark.parametrize("path", _invalid_files(), ids=lambda p: p.name)
def test_invalid_documents_are_refused_with_the_reason(standards: Path, path: Path) -> None:
    reason = INVALID_REASONS[path.name]  # a new file in Invalid/ needs its expected reason
    try:
        messages = [r.message for r in _read(path) if isinstance(r, InvalidEvent)]
    except EpcisParseError as error:
        messages = [str(error)]
    assert any(reason in m for m in messages), messages


# --- JSON-LD twins --------------------------------------------------------------------------

_CBV = re.compile(
    r"^(urn:epcglobal:cbv:(bizstep|disp|btt|sdt|er):"
    r"|(https://ref\.gs1\.org/cbv/|cbv:)(bizstep|disp|btt|sdt|er)-)",
    re.IGNORECASE,
)


def _cbv(value: Any) -> Any:
    """CBV values compare by their bare term: the XML keeps URNs, the JSON uses bare words."""
    return _CBV.sub("", value) if isinstance(value, str) else value


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00")))


def _quantities(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    def one(q: dict[str, Any]) -> tuple[Any, ...]:
        quantity = q.get("quantity")
        return (q["epcClass"], None if quantity is None else float(quantity), q.get("uom"))

    return sorted(map(one, items), key=repr)


def _typed(key: str) -> Callable[[list[dict[str, str]]], list[tuple[Any, str]]]:
    return lambda items: sorted((_cbv(i.get("type")), i[key].strip()) for i in items)


def _sensors(items: list[dict[str, Any]]) -> list[list[tuple[Any, ...]]]:
    def report(r: dict[str, Any]) -> tuple[Any, ...]:
        return (str(r.get("type", "")).split(":")[-1], r.get("value"), r.get("uom"))

    return [sorted(map(report, e.get("sensorReport", []))) for e in items]


_CORE: dict[str, Callable[[Any], Any]] = {
    "type": str, "eventTime": _instant, "eventTimeZoneOffset": str, "recordTime": _instant,
    "eventID": str, "certificationInfo": str, "action": str, "parentID": str,
    "transformationID": str, "bizStep": _cbv, "disposition": _cbv,
    **{k: sorted for k in ("epcList", "childEPCs", "inputEPCList", "outputEPCList")},
    **{k: _quantities for k in ("quantityList", "childQuantityList", "inputQuantityList",
                                "outputQuantityList")},
    "readPoint": lambda v: v["id"], "bizLocation": lambda v: v["id"],
    "bizTransactionList": _typed("bizTransaction"), "sourceList": _typed("source"),
    "destinationList": _typed("destination"),
    "persistentDisposition": lambda v: {k: sorted(map(_cbv, v.get(k, []))) for k in v},
    "errorDeclaration": lambda v: (_instant(v["declarationTime"]), _cbv(v.get("reason")),
                                   v.get("correctiveEventIDs")),
    "sensorElementList": _sensors,
}  # fmt: skip


def _expand(keys: Any, namespaces: dict[str, str]) -> set[tuple[str, str]]:
    """``prefix:local`` keys as (namespace, local), so prefixes do not matter; the namespace
    without its trailing separator, since XML writes ``urn:epcglobal:cbv:mda`` for what the
    JSON-LD context writes ``urn:epcglobal:cbv:mda:``."""
    expanded = set()
    for key in keys:
        prefix, _, local = key.partition(":")
        uri = namespaces.get(prefix, prefix) if local else ""
        expanded.add((uri.rstrip("/#:"), local or key))
    return expanded


def _context_prefixes() -> dict[str, str]:
    """The prefixes the EPCIS JSON-LD context itself defines (cbvmda, gs1...)."""
    context = STANDARDS / "epcis/context/epcis-context.ref-gs1-2.0.0.jsonld"
    terms = json.loads(context.read_text())["@context"]
    return {k: v for k, v in terms.items() if isinstance(v, str) and v[-1:] in (":", "/", "#")}


def _differences(
    xml: dict[str, Any], xml_ns: dict[str, str], twin: dict[str, Any], twin_ns: dict[str, str]
) -> set[str]:
    found = set()
    for name, norm in _CORE.items():
        mine, theirs = xml.get(name) or None, twin.get(name) or None  # [] is the same as absent
        if (mine is None) != (theirs is None) or (mine is not None and norm(mine) != norm(theirs)):
            found.add(name)
    if _expand(xml.get("ilmd", {}), xml_ns) != _expand(twin.get("ilmd", {}), twin_ns):
        found.add("ilmd")
    ours = _expand((k for k in xml if ":" in k), xml_ns)
    if ours != _expand((k for k in twin if ":" in k), twin_ns):
        found.add("extensions")
    return found


def _json_events(path: Path) -> list[tuple[dict[str, Any], dict[str, str]]]:
    document = json.loads(path.read_text())
    base = _context_prefixes()
    for item in document.get("@context", []):
        base.update(item if isinstance(item, dict) else {})
    events = document["epcisBody"]["eventList"] if "epcisBody" in document else [document]
    result = []
    for event in events:
        local = event.get("@context", [])
        namespaces = dict(base)
        for item in local if isinstance(local, list) else [local]:
            namespaces.update(item if isinstance(item, dict) else {})
        result.append((event, namespaces))
    return result


_GS1_TWINS = {  # the GS1 folders name a few twins differently; the rest share the file name
    "xml/Example_9.6.1-ObjectEvent-2020_06_18a.xml": "json/Example_9.6.1-ObjectEvent.jsonld",
    "xml/Example-TransactionEvent-2020_07_03y.xml": (
        "json/Example-TransactionEvents-2020_07_03y.jsonld"
    ),
    "xml/Example-PersistentDisposition.xml": "json/PersistentDisposition-example.jsonld",
    "xml/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.xml": (
        "json/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld"
    ),
    # One XML file, one JSON file per event: events are paired by content below.
    "xml/AssociationEvent/AssociationEventExamples.xml": "json/AssociationEvent/*.jsonld",
    "xml/WithSensorData/SensorDataExamples.xml": "json/WithSensorData/*.jsonld",
    **{
        f"xml/WithFullCombinationOfFields/{kind}_event_all_possible_fields.xml": (
            f"json/WithFullCombinationOfFields/{kind}_event_all_possible_fields.jsonld"
        )
        for kind in ("object", "aggregation", "transaction", "transformation", "association")
    },
    # Seven writings of one event (the hash-ID equivalence set); _7 is the JSON one.
    **{
        f"xml/WithEventHashID/event_with_identical_hash_id_{n}.xml": (
            "xml/WithEventHashID/event_with_identical_hash_id_7.json"
        )
        for n in range(1, 7)
    },
}


def _twins() -> Iterator[Any]:
    for xml, pattern in _GS1_TWINS.items():
        yield pytest.param(EXAMPLES / xml, sorted(EXAMPLES.glob(pattern)), id=xml)
    folder = OPENEPCIS / "2.0/EPCIS"
    for xml in sorted((folder / "XML/Capture/Documents").glob("*.xml")):
        stem = xml.stem.replace("errorDeclaration", "error_declaration")
        twin = folder / "JSON/Capture/Documents" / f"{stem}.json"
        if twin.exists():
            yield pytest.param(xml, [twin], id=str(xml.relative_to(EXAMPLES)))


def _observed_differences(xml: Path, twins: list[Path]) -> set[str]:
    candidates = [pair for twin in twins for pair in _json_events(twin)]
    found: set[str] = set()
    for result in _read(xml):
        if not isinstance(result, DocumentEvent):
            found.add("invalid")
            continue
        event = result.event
        same_time = [
            (differences, position)
            for position, (twin, twin_ns) in enumerate(candidates)
            if _instant(twin["eventTime"]) == _instant(event["eventTime"])
            for differences in [_differences(event, result.namespaces, twin, twin_ns)]
        ]
        if not same_time:
            found.add("unmatched")
            continue
        differences, _ = min(same_time, key=lambda pair: len(pair[0]))
        found |= differences
    return found


@pytest.mark.parametrize(("xml", "twins"), list(_twins()))
def test_events_match_their_json_ld_twin(standards: Path, xml: Path, twins: list[Path]) -> None:
    assert twins, f"no JSON twin found for {xml}"
    known = KNOWN_DIFFERENCES.get(str(xml.relative_to(EXAMPLES)), {})
    assert _observed_differences(xml, twins) == set(known)


_ILLUSTRATIVE_ID = "the JSON adds an illustrative eventID the XML does not have"
_JSON_RICHER = "the JSON twin carries fields its XML does not"
_OE = "openepcis-test-resources/2.0/EPCIS/XML/Capture/Documents/"
# Where a published twin says something else than its XML: file differences, not ours.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "xml/Example_9.6.1-ObjectEvent-2020_06_18a.xml": {"eventID": _ILLUSTRATIVE_ID},
    "xml/Example-PersistentDisposition.xml": {
        field: "the JSON twin writes the same story as ObjectEvents, the XML as AggregationEvents"
        for field in ("type", "action", "bizStep", "childEPCs", "epcList", "eventID", "parentID")
    },
    "xml/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.xml": {
        "inputQuantityList": "the JSON adds quantity and uom", "readPoint": "another read point",
    },
    "xml/AssociationEvent/AssociationEventExamples.xml": {
        "eventID": _ILLUSTRATIVE_ID,
        "errorDeclaration": "AssociationEvent-g.jsonld has no errorDeclaration; the XML has",
    },
    "xml/WithSensorData/SensorDataExamples.xml": {
        "eventID": _ILLUSTRATIVE_ID,
        "sensorElementList": "the JSON uses newer sensor type names (DoseEquivalentRate for "
        "EffectiveDoseRate...) and adds types the XML's case 9 lacks",
        "epcList": "case 4: the JSON identifies the object by EPC, the XML by quantity",
        "quantityList": "case 4, as above",
        "extensions": "the XML's TransformationEvent has an example2:furtherData the JSON lacks",
    },
    **{
        f"xml/WithFullCombinationOfFields/{kind}_event_all_possible_fields.xml": {
            "eventID": _JSON_RICHER, "certificationInfo": _JSON_RICHER,
            "errorDeclaration": _JSON_RICHER,
        }
        for kind in ("aggregation", "transaction", "association")
    },
    "xml/WithFullCombinationOfFields/object_event_all_possible_fields.xml": {
        "eventID": _JSON_RICHER, "certificationInfo": _JSON_RICHER,
        "errorDeclaration": _JSON_RICHER, "ilmd": _JSON_RICHER, "extensions": _JSON_RICHER,
        "action": "OBSERVE in the XML, ADD in the JSON",
    },
    "xml/WithFullCombinationOfFields/transformation_event_all_possible_fields.xml": {
        "eventID": _JSON_RICHER, "certificationInfo": _JSON_RICHER,
        "errorDeclaration": _JSON_RICHER,
        "ilmd": "the JSON binds cbvmda to http://example.com/cbvmda/, not urn:epcglobal:cbv:mda",
    },
    "xml/WithEventHashID/event_with_identical_hash_id_2.xml": {
        "eventTimeZoneOffset": "the same instant written at -05:00 instead of -06:00, on purpose",
    },
    _OE + "Combination_of_different_event.xml": {
        "errorDeclaration": "declarationTime 14:00+01:00 in the XML, 14:00Z in the JSON",
    },
    _OE + "JumbledFieldsOrder.xml": {"invalid": "out of XSD order on purpose: KNOWN_INVALID"},
    _OE + "ObjectEvent_with_comment.xml": {
        "extensions": "the JSON's rdfs:comment is an XML <!-- comment --> there, which is no data",
    },
    _OE + "epcisDocWithAllGS1Keys.xml": {
        "epcList": "one SSCC is a URN in the XML and a Digital Link in the JSON",
    },
    _OE + "epcisDocWithSensorComponent.xml": {
        "epcList": "URNs in the XML, Digital Links in the JSON",
        "readPoint": "URNs in the XML, Digital Links in the JSON",
    },
}  # fmt: skip


def test_the_gs1_xml_example_set_is_complete(standards: Path) -> None:
    ids = [str(param.id) for param in _xml_files()]
    documents = [i for i in ids if i.startswith("xml/") and "root: skipped" not in i]
    assert len(documents) == 31, "the GS1 XML examples hold 31 EPCISDocuments"
