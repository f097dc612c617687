"""EPCIS XML documents: 2.0, and 1.2 as an older site's system writes it (EPC URNs, the
``extension`` / ``baseExtension`` wrappers, TransformationEvent inside ``extension``).

Written from the JSON-LD events of simulator.events, element order as the XSDs give it.
User extensions (``ot:``, ``cbvmda:``) become namespaced elements: a JSON array is the
element repeated, an object nests (the binding issue 4 describes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from simulator.events import OT, local_time
from simulator.model import Site

NAMESPACES: Final = {"2.0": "urn:epcglobal:epcis:xsd:2", "1.2": "urn:epcglobal:epcis:xsd:1"}
#: EPCIS XML binds CBV master data without the trailing colon JSON-LD prefixes have
CBVMDA_XML: Final = "urn:epcglobal:cbv:mda"
_NSMAP: Final = {"ot": OT, "cbvmda": CBVMDA_XML}

_BASE_20 = ("eventTime", "eventTimeZoneOffset", "eventID", "certificationInfo")
_WHY = ("bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList")
ORDER_20: Final[dict[str, tuple[str, ...]]] = {
    "ObjectEvent": (*_BASE_20, "epcList", "action", *_WHY, "quantityList", "sourceList",
                    "destinationList", "ilmd"),
    "AggregationEvent": (*_BASE_20, "parentID", "childEPCs", "action", *_WHY,
                         "childQuantityList", "sourceList", "destinationList"),
    "TransformationEvent": (*_BASE_20, "inputEPCList", "inputQuantityList", "outputEPCList",
                            "outputQuantityList", "transformationID", *_WHY, "sourceList",
                            "destinationList", "ilmd"),
}  # fmt: skip
# EPCIS 1.2: what sits in the event itself, and what its ``extension`` wrapper holds
ORDER_12: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "ObjectEvent": (("eventTime", "eventTimeZoneOffset", "epcList", "action", *_WHY),
                    ("quantityList", "sourceList", "destinationList", "ilmd")),
    "AggregationEvent": (("eventTime", "eventTimeZoneOffset", "parentID", "childEPCs", "action",
                          *_WHY), ("childQuantityList", "sourceList", "destinationList")),
    "TransformationEvent": (("eventTime", "eventTimeZoneOffset", "inputEPCList",
                             "inputQuantityList", "outputEPCList", "outputQuantityList",
                             "transformationID", *_WHY, "sourceList", "destinationList",
                             "ilmd"), ()),
}  # fmt: skip
_VOCABULARY: Final = {"bizStep": "bizstep", "disposition": "disp"}
_LISTS: Final = {
    "epcList": "epc", "childEPCs": "epc", "inputEPCList": "epc", "outputEPCList": "epc",
}  # fmt: skip


def text(value: Any) -> str:
    """A number as xsd:decimal that reads back as the same double; anything else as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def to_urn(uri: str) -> str:
    """A Digital Link of the simulated chain as the EPC URN an EPCIS 1.2 system writes."""
    parts = uri.removeprefix("https://id.gs1.org/").split("/")
    company = "9506000"
    if parts[0] == "414":
        gln = parts[1]
        return f"urn:epc:id:sgln:{company}.{gln[len(company) : 12]}.0"
    gtin = parts[1]
    item = gtin[0] + gtin[1 + len(company) : 13]
    kind = "class:lgtin" if parts[2] == "10" else "id:sgtin"
    return f"urn:epc:{kind}:{company}.{item}.{parts[3]}"


class _Builder:
    def __init__(self, version: str) -> None:
        self.version = version

    def ident(self, value: str) -> str:
        return to_urn(value) if self.version == "1.2" and value.startswith("https://") else value

    def field(self, parent: etree._Element, name: str, value: Any) -> None:
        el = etree.SubElement(parent, name)
        if name in _LISTS:
            for epc in value:
                etree.SubElement(el, _LISTS[name]).text = self.ident(epc)
        elif name in ("readPoint", "bizLocation"):
            etree.SubElement(el, "id").text = self.ident(value["id"])
        elif name.endswith("uantityList"):
            for q in value:
                element = etree.SubElement(el, "quantityElement")
                etree.SubElement(element, "epcClass").text = self.ident(q["epcClass"])
                etree.SubElement(element, "quantity").text = text(q["quantity"])
                etree.SubElement(element, "uom").text = q["uom"]
        elif name == "bizTransactionList":
            for tx in value:
                child = etree.SubElement(el, "bizTransaction", type=_btt(tx["type"]))
                child.text = tx["bizTransaction"]
        elif name in ("sourceList", "destinationList"):
            member = name[: -len("List")]
            for party in value:
                child = etree.SubElement(el, member, type=_sdt(party["type"]))
                child.text = self.ident(party[member])
        elif name == "ilmd":
            for key, member in value.items():
                extension(el, key, member)
        elif name in _VOCABULARY:
            el.text = f"urn:epcglobal:cbv:{_VOCABULARY[name]}:{value}"
        elif name == "certificationInfo":
            el.text = value[0] if isinstance(value, list) else value
        else:
            el.text = self.ident(value) if name == "parentID" else text(value)

    def event(self, parent: etree._Element, event: dict[str, Any]) -> None:
        kind = event["type"]
        if self.version == "1.2" and kind == "TransformationEvent":
            parent = etree.SubElement(parent, "extension")
        el = etree.SubElement(parent, kind)
        own: tuple[str, ...]
        wrapped: tuple[str, ...]
        if self.version == "2.0":
            own, wrapped = ORDER_20[kind], ()
        else:
            own, wrapped = ORDER_12[kind]
        for name in own:
            if name in event or (name == "epcList" and self.version == "1.2"):
                self.field(el, name, event.get(name, []))
            if name == "eventTimeZoneOffset" and self.version == "1.2" and "eventID" in event:
                base = etree.SubElement(el, "baseExtension")
                etree.SubElement(base, "eventID").text = event["eventID"]
        present = [name for name in wrapped if name in event]
        if present:
            ext = etree.SubElement(el, "extension")
            for name in present:
                self.field(ext, name, event[name])
        for key, member in event.items():
            if ":" in key:
                extension(el, key, member)


def extension(parent: etree._Element, key: str, value: Any) -> None:
    """``ot:x`` / ``cbvmda:x`` as an element in its namespace: arrays repeat, objects nest."""
    prefix, local = key.split(":", 1)
    tag = f"{{{_NSMAP[prefix]}}}{local}"
    if isinstance(value, list):
        for item in value:
            extension(parent, key, item)
    elif isinstance(value, dict):
        el = etree.SubElement(parent, tag)
        for k, v in value.items():
            extension(el, k, v)
    else:
        etree.SubElement(parent, tag).text = text(value)


def _btt(word: str) -> str:
    return f"urn:epcglobal:cbv:btt:{word}"


def _sdt(word: str) -> str:
    return f"urn:epcglobal:cbv:sdt:{word}"


def document(
    events: Sequence[dict[str, Any]], created: datetime, site: Site, version: str = "2.0"
) -> bytes:
    ns = NAMESPACES[version]
    root = etree.Element(
        f"{{{ns}}}EPCISDocument",
        nsmap={"epcis": ns, **_NSMAP},
        schemaVersion=version,
        creationDate=local_time(created, site.utc_offset),
    )
    body = etree.SubElement(etree.SubElement(root, "EPCISBody"), "EventList")
    builder = _Builder(version)
    for event in events:
        builder.event(body, event)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
