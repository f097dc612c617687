"""Which EPCIS elements an event may hold, where, and in which order (the XML binding).

Written from the EPCIS 2.0 and 1.2 XSDs (EPCglobal-epcis-2_0.xsd, EPCglobal-epcis-1_2.xsd);
the XSDs are not loaded at run time. Standard elements are in no namespace; elements in any
other namespace are user extensions, which the XSDs allow after the standard ones (the
``xsd:any namespace="##other"`` wildcard that ends every event's sequence).

EPCIS 1.2 had no AssociationEvent, sensorElementList, persistentDisposition or
certificationInfo, and put TransformationEvent, quantity lists, source/destination lists,
ILMD, eventID and errorDeclaration into ``extension``/``baseExtension`` wrappers. A 1.2
document carrying 2.0 data (as written by the GS1 and OpenEPCIS down-converters, which do
not agree on where) is read like this: the elements the 1.2 XSD lists at a level must follow
its order there; a 2.0 field of the event type the 1.2 XSD does not list at that level is
accepted anywhere in the event or its wrappers; and every wrapper is flattened away.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lxml import etree

from connectors.epcis._xml_extensions import standard
from connectors.epcis._xml_values import EventProblem

WRAPPERS = ("extension", "baseExtension")

_BASE_20 = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
    "baseExtension",
)
_WHAT_WHERE_WHY = ("bizStep", "disposition", "readPoint", "bizLocation")
_SOURCE_TO_END = (
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
)

# The element sequence of each event type in EPCIS 2.0 (after the common base elements).
SEQUENCES_20: dict[str, tuple[str, ...]] = {
    "ObjectEvent": (
        *_BASE_20, "epcList", "action", *_WHAT_WHERE_WHY, "bizTransactionList",
        "quantityList", *_SOURCE_TO_END, "ilmd", "extension",
    ),
    "AggregationEvent": (
        *_BASE_20, "parentID", "childEPCs", "action", *_WHAT_WHERE_WHY,
        "bizTransactionList", "childQuantityList", *_SOURCE_TO_END, "extension",
    ),
    "TransactionEvent": (
        *_BASE_20, "bizTransactionList", "parentID", "epcList", "action", *_WHAT_WHERE_WHY,
        "quantityList", *_SOURCE_TO_END, "extension",
    ),
    "TransformationEvent": (
        *_BASE_20, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "transformationID", *_WHAT_WHERE_WHY, "bizTransactionList", *_SOURCE_TO_END, "ilmd",
        "extension",
    ),
    "AssociationEvent": (
        *_BASE_20, "parentID", "childEPCs", "childQuantityList", "action", *_WHAT_WHERE_WHY,
        "bizTransactionList", *_SOURCE_TO_END, "extension",
    ),
}  # fmt: skip

_BASE_12 = ("eventTime", "recordTime", "eventTimeZoneOffset", "baseExtension")
_WHAT_12 = (*_WHAT_WHERE_WHY, "bizTransactionList")

# EPCIS 1.2: the event sequence, and what its first ``extension`` level lists.
SEQUENCES_12: dict[str, tuple[str, ...]] = {
    "ObjectEvent": (*_BASE_12, "epcList", "action", *_WHAT_12, "extension"),
    "AggregationEvent": (*_BASE_12, "parentID", "childEPCs", "action", *_WHAT_12, "extension"),
    "TransactionEvent": (
        *_BASE_12, "bizTransactionList", "parentID", "epcList", "action", *_WHAT_WHERE_WHY,
        "extension",
    ),
    "TransformationEvent": (
        *_BASE_12, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
        "transformationID", *_WHAT_12, "sourceList", "destinationList", "ilmd", "extension",
    ),
    # Not in the 1.2 XSD (it sits in an ##local wildcard): the 2.0 content on a 1.2 base.
    "AssociationEvent": (
        *_BASE_12, "parentID", "childEPCs", "childQuantityList", "action", *_WHAT_12,
        "sourceList", "destinationList", "extension",
    ),
}  # fmt: skip
_EXTENSION_12: dict[str, tuple[str, ...]] = {
    "ObjectEvent": ("quantityList", "sourceList", "destinationList", "ilmd", "extension"),
    "AggregationEvent": ("childQuantityList", "sourceList", "destinationList", "extension"),
    "TransactionEvent": ("quantityList", "sourceList", "destinationList", "extension"),
}
_BASE_EXTENSION_12 = ("eventID", "errorDeclaration", "extension")

_ACTION_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "AssociationEvent")
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "2.0": {
        "ObjectEvent": ("eventTime", "eventTimeZoneOffset", "action"),
        "AggregationEvent": ("eventTime", "eventTimeZoneOffset", "action"),
        "TransactionEvent": ("eventTime", "eventTimeZoneOffset", "bizTransactionList", "action"),
        "TransformationEvent": ("eventTime", "eventTimeZoneOffset"),
        "AssociationEvent": ("eventTime", "eventTimeZoneOffset", "parentID", "action"),
    },
    "1.2": {
        "ObjectEvent": ("eventTime", "eventTimeZoneOffset", "epcList", "action"),
        "AggregationEvent": ("eventTime", "eventTimeZoneOffset", "childEPCs", "action"),
        "TransactionEvent": (
            "eventTime", "eventTimeZoneOffset", "bizTransactionList", "epcList", "action",
        ),
        "TransformationEvent": ("eventTime", "eventTimeZoneOffset"),
        "AssociationEvent": ("eventTime", "eventTimeZoneOffset", "parentID", "action"),
    },
}  # fmt: skip

EVENT_TYPES = tuple(SEQUENCES_20)


@functools.cache
def fields_of(event_type: str) -> tuple[str, ...]:
    """The 2.0 JSON fields of an event type, in the binding's order (no wrappers)."""
    return tuple(n for n in SEQUENCES_20[event_type] if n not in WRAPPERS)


def article(word: str) -> str:
    return f"an {word}" if word[0] in "AEIOU" else f"a {word}"


@dataclass
class Collected:
    """An event's standard elements (by name) and its extension elements, wrappers gone."""

    fields: dict[str, etree._Element] = field(default_factory=dict)
    extensions: list[etree._Element] = field(default_factory=list)


def collect(event: etree._Element, event_type: str, version: str) -> Collected:
    """Check the event's element structure and gather its elements; raise EventProblem."""
    found = Collected()
    sequence = (SEQUENCES_20 if version == "2.0" else SEQUENCES_12)[event_type]
    _Level(event_type, version, found, sequence, path=event_type).walk(event)
    for name in REQUIRED[version][event_type]:
        if name not in found.fields:
            raise EventProblem(f"{article(event_type)} lacks the required element <{name}>")
    return found


@dataclass
class _Level:
    event_type: str
    version: str
    found: Collected
    sequence: tuple[str, ...]
    path: str

    def walk(self, parent: etree._Element) -> None:
        last, last_name, other = -1, "", ""
        known = fields_of(self.event_type)
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            uri, name = standard(child.tag)
            if uri is not None:
                self.found.extensions.append(child)
                other = other or child.prefix or uri
                continue
            if name in self.sequence:
                place = self.sequence.index(name)
                if place <= last:
                    self._out_of_order(name, last_name, place == last)
                if other:
                    raise EventProblem(
                        f"element <{name}> is out of order in {self.path}: standard elements "
                        f"must come before extension elements such as <{other}:...>"
                    )
                last, last_name = place, name
            elif not (self.version == "1.2" and name in known and name not in WRAPPERS):
                raise EventProblem(self._unknown(name))
            if name in WRAPPERS:
                self._descend(child, name)
            elif name in self.found.fields:
                raise EventProblem(f"element <{name}> appears twice in {article(self.event_type)}")
            else:
                self.found.fields[name] = child

    def _out_of_order(self, name: str, before: str, twice: bool) -> None:
        if twice:
            raise EventProblem(f"element <{name}> appears twice in {self.path}")
        raise EventProblem(
            f"element <{name}> is out of order in {self.path}: the XML binding puts it "
            f"before <{before}>"
        )

    def _unknown(self, name: str) -> str:
        if self.path == self.event_type:
            return f"element <{name}> is not part of {article(self.event_type)}"
        if name in fields_of(self.event_type):
            return (
                f"element <{name}> is not allowed in {self.path}: EPCIS 2.0 puts it directly "
                "in the event (the extension wrappers around it are EPCIS 1.2's)"
            )
        return (
            f"element <{name}> is not allowed in {self.path} "
            "(only the standard's fields or namespaced extension elements)"
        )

    def _descend(self, wrapper: etree._Element, name: str) -> None:
        path = f"{self.path}/{name}"
        if self.version == "2.0":
            inner: tuple[str, ...] = ()
        elif name == "baseExtension":
            inner = _BASE_EXTENSION_12
        elif self.path == self.event_type:
            inner = _EXTENSION_12.get(self.event_type, ("extension",))
        else:
            inner = ("extension",)
        _Level(self.event_type, self.version, self.found, inner, path).walk(wrapper)
