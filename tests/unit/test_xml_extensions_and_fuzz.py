"""iter_xml_events: extensions and ILMD, 1.2 flattening, and fuzzing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.epcis._xml import EPCIS_CONTEXT, iter_xml_events
from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent
from tests.unit.xml_docs import (
    OBJECT,
    document,
    event,
    invalid,
    only,
    read,
)

# --- extensions, ILMD, namespaces -----------------------------------------------------------


def test_extension_representation_and_namespaces() -> None:
    ilmd = (
        "<ilmd m:origin='lab'><m:lot>L1</m:lot>"
        "<m:netWeight unit='KGM' xsi:type='xsd:decimal'> 3.5 </m:netWeight>"
        "<m:tags><m:tag>a</m:tag><m:tag>b</m:tag><plain>p</plain></m:tags>"
        "<m:none xsi:nil='true'/><other xmlns='urn:default'>d</other></ilmd>"
    )
    declarations = (' xmlns:m="urn:epcglobal:cbv:mda" xmlns:xsi="http://www.w3.org/2001/'
                    'XMLSchema-instance" xmlns:ns1="urn:taken"')  # fmt: skip
    got = only(document(event(f"<action>ADD</action>{ilmd}<ns1:z>1</ns1:z><ns1:z>2</ns1:z>"),
                        declarations=declarations))  # fmt: skip
    assert got.event["ilmd"] == {
        "m:lot": "L1",
        "m:netWeight": {"@unit": "KGM", "#text": "3.5"},
        "m:tags": {"m:tag": ["a", "b"], "plain": "p"},
        "m:none": None,
        "ns2:other": "d",
        "@m:origin": "lab",
    }
    assert got.event["ns1:z"] == ["1", "2"]
    assert got.namespaces == {
        "m": "urn:epcglobal:cbv:mda",
        "ns2": "urn:default",
        "ns1": "urn:taken",
    }
    assert got.context == [EPCIS_CONTEXT, got.namespaces]


def test_one_prefix_bound_to_two_namespaces_in_one_event() -> None:
    body = "<action>ADD</action><p:a xmlns:p='urn:one'>1</p:a><p:b xmlns:p='urn:two'>2</p:b>"
    got = only(document(event(body)))
    assert (got.event["p:a"], got.event["ns1:b"]) == ("1", "2")
    assert got.namespaces == {"p": "urn:one", "ns1": "urn:two"}


_NAMES = st.sampled_from(["a:x", "a:y", "b:x", "b:z"])
_TEXT = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)
    .map(str.strip)
    .filter(bool)
)
_VALUES = st.recursive(
    _TEXT,
    lambda inner: st.dictionaries(
        _NAMES, st.one_of(inner, st.lists(inner, min_size=2, max_size=3)), min_size=1, max_size=4
    ),
    max_leaves=12,
)


def _to_xml(key: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_to_xml(key, item) for item in value)
    if isinstance(value, dict):
        return f"<{key}>{''.join(_to_xml(k, v) for k, v in value.items())}</{key}>"
    return f"<{key}>{value.replace('&', '&amp;').replace('<', '&lt;')}</{key}>"


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=4))
def test_ilmd_and_extensions_round_trip(values: dict[str, Any]) -> None:
    """Whatever nesting of namespaced elements, the JSON is the nesting, losslessly."""
    inner = "".join(_to_xml(k, v) for k, v in values.items())
    xml = document(event(f"<action>ADD</action><ilmd>{inner}</ilmd>{inner}"),
                   declarations=' xmlns:a="urn:a" xmlns:b="urn:b"')  # fmt: skip
    got = only(xml)
    assert got.event["ilmd"] == values
    assert {k: got.event[k] for k in values} == values
    assert got.namespaces == {p: f"urn:{p}" for p in _prefixes(values)}


def _prefixes(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*map(_prefixes, value))
    if isinstance(value, dict):
        return {k.split(":")[0] for k in value}.union(*map(_prefixes, value.values()))
    return set()


# --- EPCIS 1.2 ------------------------------------------------------------------------------

_V20 = [
    "<ObjectEvent><eventTime>2026-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
    "</eventTimeZoneOffset><eventID>urn:uuid:1</eventID><errorDeclaration><declarationTime>"
    "2026-03-02T00:00:00Z</declarationTime></errorDeclaration><epcList><epc>e1</epc></epcList>"
    "<action>ADD</action><bizStep>commissioning</bizStep><quantityList><quantityElement>"
    "<epcClass>c</epcClass><quantity>3</quantity><uom>KGM</uom></quantityElement></quantityList>"
    "<sourceList><source type='owning_party'>s</source></sourceList><sensorElementList>"
    "<sensorElement><sensorReport type='gs1:Mass' value='3'/></sensorElement></sensorElementList>"
    "<persistentDisposition><set>completeness_verified</set></persistentDisposition><ilmd><x:lot>"
    "L1</x:lot></ilmd><x:note>n</x:note></ObjectEvent>",
    "<TransformationEvent><eventTime>2026-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
    "</eventTimeZoneOffset><inputEPCList><epc>e1</epc></inputEPCList><outputEPCList><epc>e2</epc>"
    "</outputEPCList><persistentDisposition><unset>a</unset></persistentDisposition><ilmd><x:lot>"
    "L2</x:lot></ilmd></TransformationEvent>",
    "<AssociationEvent><eventTime>2026-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
    "</eventTimeZoneOffset><parentID>p</parentID><childEPCs><epc>e3</epc></childEPCs><action>ADD"
    "</action></AssociationEvent>",
]
_V12 = [
    "<ObjectEvent><eventTime>2026-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
    "</eventTimeZoneOffset><baseExtension><eventID>urn:uuid:1</eventID><errorDeclaration>"
    "<declarationTime>2026-03-02T00:00:00Z</declarationTime></errorDeclaration></baseExtension>"
    "<epcList><epc>e1</epc></epcList><action>ADD</action><bizStep>commissioning</bizStep>"
    "<extension><quantityList><quantityElement><epcClass>c</epcClass><quantity>3</quantity><uom>"
    "KGM</uom></quantityElement></quantityList><sourceList><source type='owning_party'>s</source>"
    "</sourceList><ilmd><x:lot>L1</x:lot></ilmd><extension><sensorElementList><sensorElement>"
    "<sensorReport type='gs1:Mass' value='3'/></sensorElement></sensorElementList>"
    "<persistentDisposition><set>completeness_verified</set></persistentDisposition></extension>"
    "</extension><x:note>n</x:note></ObjectEvent>",
    "<extension><TransformationEvent><eventTime>2026-03-01T08:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><inputEPCList><epc>e1</epc></inputEPCList>"
    "<outputEPCList><epc>e2</epc></outputEPCList><ilmd><x:lot>L2</x:lot></ilmd><extension>"
    "<persistentDisposition><unset>a</unset></persistentDisposition></extension>"
    "</TransformationEvent></extension>",
    "<extension><extension><AssociationEvent><eventTime>2026-03-01T08:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><parentID>p</parentID><childEPCs><epc>e3"
    "</epc></childEPCs><action>ADD</action></AssociationEvent></extension></extension>",
]


def test_epcis_12_is_flattened_to_the_20_shape() -> None:
    ns = ' xmlns:x="urn:x"'
    v20 = read(document(*_V20, declarations=ns))
    v12 = read(document(*_V12, version="1.2", declarations=ns))
    assert all(isinstance(r, DocumentEvent) for r in v20 + v12), v20 + v12
    assert [r.event for r in v12] == [r.event for r in v20]  # type: ignore[union-attr]
    assert {r.schema_version for r in v12} == {"1.2"}  # type: ignore[union-attr]
    assert {r.schema_version for r in v20} == {"2.0"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<action>ADD</action><epcList/>", "<epcList> is out of order"),  # 1.2 order too
        ("<action>ADD</action>", "required element <epcList>"),  # required in 1.2
        ("<epcList/><action>ADD</action><extension><foo/></extension>",
         "<foo> is not allowed in ObjectEvent/extension"),
        ("<baseExtension><eventID>a</eventID></baseExtension><epcList/><action>ADD</action>"
         "<extension><extension><eventID>b</eventID></extension></extension>",
         "<eventID> appears twice"),
    ],
)  # fmt: skip
def test_epcis_12_rules(body: str, reason: str) -> None:
    assert reason in invalid(document(event(body), version="1.2")).message


# --- fuzzing: nothing but EpcisParseError, and no hang --------------------------------------

_VALID = document(*_V20, OBJECT.format(n=9), declarations=' xmlns:x="urn:x"')


def _consume(data: bytes) -> None:
    try:
        for result in iter_xml_events(io.BytesIO(data), max_event_bytes=600):
            assert isinstance(result, DocumentEvent | InvalidEvent)
    except EpcisParseError:
        pass


@settings(deadline=2000, max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _consume(data)
    _consume(b"<?xml version='1.0'?>" + data)


@settings(deadline=2000, max_examples=300)
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=8),
       st.integers(0, len(_VALID)))  # fmt: skip
def test_flipped_and_truncated_copies(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID)
    for position, byte in flips:
        data[position] = byte
    _consume(bytes(data[:cut]))
    _consume(bytes(data))


@settings(deadline=2000, max_examples=200)
@given(st.data())
def test_copies_with_elements_deleted(data: st.DataObject) -> None:
    tree = etree.fromstring(_VALID)
    elements = list(tree.iter())[1:]
    for _ in range(data.draw(st.integers(1, 3))):
        victim = data.draw(st.sampled_from(elements))
        if victim.getparent() is not None:
            victim.getparent().remove(victim)
    _consume(etree.tostring(tree))
