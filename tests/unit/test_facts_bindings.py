"""The same event in EPCIS JSON-LD and in EPCIS XML states the same facts.

The XML below is written by hand from the JSON events of facts_events: numbers become text,
a JSON array a repeated element (so a one-element array comes back from the XML reader as an
object), and a measurement keeps its unit in an attribute.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.epcis import iter_xml_events
from oretrail.epcis import DocumentEvent, to_trace_event
from streams.facts import EventFacts, extract
from streams.model import ELEMENTS
from tests.unit.facts_events import (
    CELL,
    CERT,
    CSF,
    HYD,
    KOL,
    MINE,
    MODULE,
    ORIGIN,
    OT,
    REFINERY,
    SLAG,
    aggregation,
    commissioning,
    record_of,
    transformation,
)

# EPCIS XML binds cbvmda without the trailing colon the JSON-LD context has
DECLARATIONS = f'xmlns:ot="{OT}" xmlns:cbvmda="urn:epcglobal:cbv:mda"'


def document(events: str, declarations: str = DECLARATIONS) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" {declarations} '
        'schemaVersion="2.0" creationDate="2026-11-02T08:00:00.000+01:00">'
        f"<EPCISBody><EventList>{events}</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def xml_facts(data: bytes) -> list[EventFacts]:
    out = []
    for result in iter_xml_events(io.BytesIO(data)):
        assert isinstance(result, DocumentEvent), result
        out.append(extract(to_trace_event(result, origin=ORIGIN)))
    return out


COMMISSIONING_XML = f"""
<ObjectEvent>
  <eventTime>2026-10-01T06:30:00.000+02:00</eventTime>
  <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
  <eventID>urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0001</eventID>
  <certificationInfo>{CERT}</certificationInfo>
  <action>ADD</action>
  <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
  <readPoint><id>{MINE}</id></readPoint>
  <bizLocation><id>{MINE}</id></bizLocation>
  <quantityList>
    <quantityElement><epcClass>{KOL}</epcClass><quantity>20</quantity><uom>TNE</uom></quantityElement>
  </quantityList>
  <ilmd>
    <cbvmda:countryOfOrigin>CD</cbvmda:countryOfOrigin>
    <ot:elementContent><ot:element>Co</ot:element><ot:massFraction>0.30</ot:massFraction></ot:elementContent>
    <ot:elementContent><ot:element>Ni</ot:element><ot:massFraction>0.05</ot:massFraction></ot:elementContent>
    <ot:recycledShare><ot:element>Co</ot:element><ot:postConsumer>0.1</ot:postConsumer></ot:recycledShare>
    <ot:carbonFootprint>
      <ot:kgCO2ePerKg>2.1</ot:kgCO2ePerKg><ot:stage>RawMaterialExtraction</ot:stage>
    </ot:carbonFootprint>
  </ilmd>
</ObjectEvent>"""

TRANSFORMATION_XML = f"""
<TransformationEvent>
  <eventTime>2026-11-01T22:45:00.000+01:00</eventTime>
  <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
  <eventID>urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0002</eventID>
  <inputQuantityList>
    <quantityElement><epcClass>{KOL}</epcClass><quantity>10000</quantity><uom>KGM</uom></quantityElement>
    <quantityElement><epcClass>{HYD}</epcClass><quantity>2.5</quantity><uom>TNE</uom></quantityElement>
    <quantityElement><epcClass>{KOL}</epcClass><quantity>500</quantity><uom>KGM</uom></quantityElement>
  </inputQuantityList>
  <outputQuantityList>
    <quantityElement><epcClass>{CSF}</epcClass><quantity>14300</quantity><uom>KGM</uom></quantityElement>
    <quantityElement><epcClass>{SLAG}</epcClass><quantity>1.2</quantity><uom>TNE</uom></quantityElement>
  </outputQuantityList>
  <readPoint><id>{REFINERY}</id></readPoint>
  <bizLocation><id>{REFINERY}</id></bizLocation>
  <ilmd>
    <ot:elementContent><ot:element>Co</ot:element><ot:massFraction>0.2088</ot:massFraction></ot:elementContent>
  </ilmd>
  <ot:chainOfCustody>mass_balance</ot:chainOfCustody>
  <ot:processEmissions><ot:kgCO2e>18500</ot:kgCO2e><ot:stage>MainProduction</ot:stage></ot:processEmissions>
</TransformationEvent>"""

AGGREGATION_XML = f"""
<AggregationEvent>
  <eventTime>2026-11-05T08:00:00Z</eventTime>
  <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
  <eventID>urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0003</eventID>
  <parentID>{MODULE}</parentID>
  <childEPCs><epc>{CELL}C-2</epc><epc>{CELL}C-1</epc></childEPCs>
  <action>ADD</action>
  <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
  <readPoint><id>{REFINERY}</id></readPoint>
  <childQuantityList>
    <quantityElement><epcClass>{HYD}</epcClass><quantity>800</quantity><uom>GRM</uom></quantityElement>
  </childQuantityList>
</AggregationEvent>"""


def test_the_supply_chain_gives_equal_facts_in_both_bindings() -> None:
    from_xml = xml_facts(document(COMMISSIONING_XML + TRANSFORMATION_XML + AGGREGATION_XML))
    from_json = [extract(record_of(e)) for e in (commissioning(), transformation(), aggregation())]
    assert from_xml == from_json
    # and they are not empty: each kind of fact is there
    assert all(f.problems == () for f in from_xml)
    assert from_xml[0].lots[0].element_content == {"Co": 0.30, "Ni": 0.05}
    assert from_xml[1].transformation is not None
    assert from_xml[2].aggregation is not None


def test_other_prefixes_and_a_unit_attribute_give_the_same_facts() -> None:
    event = commissioning()
    event["quantityList"] = [{"epcClass": HYD, "quantity": 400, "uom": "EA"}]
    event["ilmd"] = {
        "cbvmda:netWeight": 2.5,
        "ot:elementContent": [{"ot:element": "Co", "ot:massFraction": 0.25}],
    }
    xml = (
        COMMISSIONING_XML.replace("ot:", "o:")
        .replace("cbvmda:", "mda:")
        .replace(f"<epcClass>{KOL}</epcClass><quantity>20</quantity><uom>TNE</uom>", "")
    )
    ilmd_start, ilmd_end = xml.index("<ilmd>"), xml.index("</ilmd>")
    xml = (
        xml[:ilmd_start]
        + '<ilmd><mda:netWeight measurementUnitCode="GRM">2500</mda:netWeight>'
        + "<o:elementContent><o:element>Co</o:element>"
        + "<o:massFraction>2.5E-1</o:massFraction></o:elementContent>"
        + xml[ilmd_end:]
    ).replace(
        "<quantityElement></quantityElement>",
        f"<quantityElement><epcClass>{HYD}</epcClass><quantity>400</quantity>"
        "<uom>EA</uom></quantityElement>",
    )
    declarations = f'xmlns:o="{OT}" xmlns:mda="urn:epcglobal:cbv:mda:"'
    (from_xml,) = xml_facts(document(xml, declarations))
    assert from_xml == extract(record_of(event))
    assert from_xml.lots[0].mass_kg == 400 * 2.5


def test_bad_values_are_the_same_problems_in_both_bindings() -> None:
    event = commissioning()
    event["ilmd"]["ot:elementContent"][0]["ot:massFraction"] = "abc"
    event["ilmd"]["ot:elementContent"][1]["ot:massFraction"] = 1.5
    event["ilmd"]["cbvmda:countryOfOrigin"] = "COD"
    xml = (
        COMMISSIONING_XML.replace(">0.30<", ">abc<")
        .replace(">0.05<", ">1.5<")
        .replace(">CD<", ">COD<")
    )
    (from_xml,) = xml_facts(document(xml))
    from_json = extract(record_of(event))
    assert from_xml == from_json
    assert len(from_json.problems) == 3


# -- any composition, rendered to XML the way the contract says -----------------------------


def _xml_value(tag: str, value: Any) -> str:
    """One ot:/cbvmda: member as XML: an array repeats the element, an object nests."""
    if isinstance(value, list):
        return "".join(_xml_value(tag, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml_value(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    text = repr(value) if isinstance(value, float) else str(value)
    return f"<{tag}>{escape(text)}</{tag}>"


def _decimal(value: float) -> str:
    """xsd:decimal (no exponent) that reads back as the same double."""
    return format(Decimal(repr(value)), "f")


def _xml_event(event: dict[str, Any]) -> str:
    quantities = "".join(
        f"<quantityElement><epcClass>{q['epcClass']}</epcClass>"
        f"<quantity>{_decimal(q['quantity'])}</quantity><uom>{q['uom']}</uom></quantityElement>"
        for q in event["quantityList"]
    )
    ilmd = "".join(_xml_value(k, v) for k, v in event["ilmd"].items())
    return (
        f"<ObjectEvent><eventTime>{event['eventTime']}</eventTime>"
        f"<eventTimeZoneOffset>{event['eventTimeZoneOffset']}</eventTimeZoneOffset>"
        f"<eventID>{event['eventID']}</eventID><action>ADD</action>"
        f"<bizLocation><id>{MINE}</id></bizLocation>"
        f"<quantityList>{quantities}</quantityList><ilmd>{ilmd}</ilmd></ObjectEvent>"
    )


_fraction = st.floats(0, 1) | st.floats(-1, 2, allow_nan=False)
_symbols = st.sampled_from([*ELEMENTS, "Fe"])


@st.composite
def compositions(draw: st.DrawFn) -> dict[str, Any]:
    ilmd: dict[str, Any] = {}
    content = draw(st.lists(st.tuples(_symbols, _fraction), max_size=4))
    if content:
        ilmd["ot:elementContent"] = [{"ot:element": e, "ot:massFraction": f} for e, f in content]
    recycled = draw(st.lists(st.tuples(_symbols, _fraction, _fraction), max_size=3))
    if recycled:
        ilmd["ot:recycledShare"] = [
            {"ot:element": e, "ot:preConsumer": pre, "ot:postConsumer": post}
            for e, pre, post in recycled
        ]
    if draw(st.booleans()):
        ilmd["cbvmda:countryOfOrigin"] = draw(st.sampled_from(["CD", "ZM", "AU", "Congo"]))
    if draw(st.booleans()):
        ilmd["ot:carbonFootprint"] = {
            "ot:kgCO2ePerKg": draw(st.floats(-1, 100, allow_nan=False)),
            "ot:stage": "RawMaterialExtraction",
        }
    event = commissioning()
    del event["certificationInfo"], event["readPoint"]
    event["bizLocation"] = {"id": MINE}
    event["ilmd"] = ilmd
    event["quantityList"] = [
        {
            "epcClass": KOL,
            "quantity": draw(st.floats(0, 1e6)),
            "uom": draw(st.sampled_from(["KGM", "TNE", "LBR"])),
        }
    ]
    return event


@settings(max_examples=150)
@given(compositions())
def test_any_composition_gives_equal_facts_in_both_bindings(event: dict[str, Any]) -> None:
    (from_xml,) = xml_facts(document(_xml_event(event)))
    assert from_xml == extract(record_of(json.loads(json.dumps(event))))
    hypothesis.event("problems", str(bool(from_xml.problems)))
    hypothesis.event("element content", str(bool(from_xml.lots[0].element_content)))
