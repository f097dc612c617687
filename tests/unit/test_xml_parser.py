"""iter_xml_events: safety, streaming, the 2.0 JSON-LD shape, 1.2 flattening, structure rules."""

from __future__ import annotations

import io
import itertools
import socket
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.epcis._xml import EPCIS_CONTEXT, _Reader, iter_xml_events
from connectors.epcis._xml_values import EventProblem, date_time, number
from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent

NS = {"2.0": "urn:epcglobal:epcis:xsd:2", "1.2": "urn:epcglobal:epcis:xsd:1"}
OBJECT = (
    "<ObjectEvent><eventTime>2026-03-01T08:00:00.000+01:00</eventTime>"
    "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
    "<epcList><epc>urn:epc:id:sgtin:4012345.011111.{n}</epc></epcList><action>OBSERVE</action>"
    "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep></ObjectEvent>"
)


def document(*events: str, version: str = "2.0", declarations: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<epcis:EPCISDocument xmlns:epcis="{NS[version]}"'
        f' schemaVersion="{version}" creationDate="2026-03-01T08:00:00Z"{declarations}>'
        f"<EPCISBody><EventList>{''.join(events)}</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def without_declaration(data: bytes) -> bytes:
    return data.split(b"?>", 1)[1].lstrip()


def read(data: bytes, **kwargs: Any) -> list[DocumentEvent | InvalidEvent]:
    return list(iter_xml_events(io.BytesIO(data), **kwargs))


def only(data: bytes) -> DocumentEvent:
    (result,) = read(data)
    assert isinstance(result, DocumentEvent), result
    return result


def invalid(data: bytes) -> InvalidEvent:
    (result,) = read(data)
    assert isinstance(result, InvalidEvent), result
    return result


def event(body: str, kind: str = "ObjectEvent") -> str:
    return (
        f"<{kind}><eventTime>2026-03-01T08:00:00Z</eventTime>"
        f"<eventTimeZoneOffset>+00:00</eventTimeZoneOffset>{body}</{kind}>"
    )


# --- safety -------------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
    + without_declaration(document(event("<action>ADD</action><x>&lol9;</x>")))
)  # fmt: skip


@pytest.mark.parametrize(
    "data",
    [
        LAUGHS,
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><a/>',
        b'<?xml version="1.0"?>\n<!-- hi --><!DOCTYPE a PUBLIC "-//x//y" "http://x/y.dtd"><a/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode(
            "utf-16"
        ),
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "external-dtd", "utf-16"],
)
def test_dtds_and_entities_are_refused_before_parsing(data: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(EpcisParseError, match="DTDs and entities are not accepted"):
        read(data)
    assert time.monotonic() - started < 1


def test_external_dtd_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]
        data = (
            f'<!DOCTYPE e SYSTEM "http://127.0.0.1:{port}/x.dtd" [<!ENTITY s SYSTEM '
            f'"file://{secret}"><!ENTITY % r SYSTEM "http://127.0.0.1:{port}/r"> %r;]>'
        ).encode() + without_declaration(document(event("<action>ADD</action><e>&s;</e>")))
        with pytest.raises(EpcisParseError, match="DTDs and entities"):
            read(data)
        with pytest.raises(TimeoutError):
            server.accept()


def test_parser_itself_refuses_a_dtd_the_prolog_check_did_not_see() -> None:
    reader = _Reader(1 << 20)
    data = b'<!DOCTYPE a [<!ENTITY x "y">]>' + without_declaration(document(OBJECT.format(n=1)))
    with pytest.raises(EpcisParseError, match="DTDs and entities"):
        list(reader.feed(data))


def test_bare_doctype_declares_nothing_and_is_accepted() -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE project>\n' + without_declaration(
        document(OBJECT.format(n=1))
    )
    assert only(data).event["epcList"] == ["urn:epc:id:sgtin:4012345.011111.1"]


def test_undeclared_entity_is_not_well_formed() -> None:
    with pytest.raises(EpcisParseError, match="not well-formed"):
        read(document(event("<action>ADD</action><bizStep>&x;</bizStep>")))


def test_utf16_document_is_read() -> None:
    data = document(OBJECT.format(n=7)).decode().replace("UTF-8", "UTF-16").encode("utf-16")
    assert only(data).event["epcList"] == ["urn:epc:id:sgtin:4012345.011111.7"]


# --- document level -------------------------------------------------------------------------


def test_events_before_a_syntax_error_are_yielded_first() -> None:
    data = document(OBJECT.format(n=1), OBJECT.format(n=2), "<ObjectEvent><eventTime>")
    events = iter_xml_events(io.BytesIO(data[: data.index(b"</EventList>")]))
    assert [e.index for e in itertools.islice(events, 2)] == [0, 1]
    with pytest.raises(EpcisParseError, match="not well-formed") as failure:
        next(events)
    assert failure.value.index == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not well-formed"),
        (b"\x00\xff garbage", "not well-formed"),
        (b'<ObjectEvent xmlns="urn:epcglobal:epcis:xsd:2"/>', "root element"),
        (b'<e:EPCISDocument xmlns:e="urn:other"><EPCISBody/></e:EPCISDocument>', "root element"),
        (b'<e:EPCISDocument xmlns:e="urn:epcglobal:epcis:xsd:2"/>', "no <EPCISBody>"),
    ],
)
def test_unreadable_documents(data: bytes, reason: str) -> None:
    with pytest.raises(EpcisParseError, match=reason):
        read(data)


def test_header_and_empty_body() -> None:
    header = b"<EPCISHeader><x:h xmlns:x='urn:x'><x:i/></x:h></EPCISHeader><EPCISBody>"
    data = document().replace(b"<EPCISBody>", header)
    assert read(data) == []


def test_oversized_event_is_invalid_and_the_rest_goes_on() -> None:
    epcs = "".join(f"<epc>urn:epc:id:sgtin:4012345.011111.{i}</epc>" for i in range(60_000))
    big = event(f"<epcList>{epcs}</epcList><action>ADD</action>")
    small = OBJECT.format(n=1)
    results = read(document(small, big, small, small), max_event_bytes=4000)
    assert [type(r).__name__ for r in results] == [
        "DocumentEvent", "InvalidEvent", "DocumentEvent", "DocumentEvent",
    ]  # fmt: skip
    assert [r.index for r in results] == [0, 1, 2, 3]
    too_big = results[1]
    assert isinstance(too_big, InvalidEvent)
    assert "max_event_bytes=4000" in too_big.message
    assert 0 < len(too_big.payload) <= 4000
    assert too_big.payload.startswith(b"<ObjectEvent")


def test_event_just_over_the_limit_is_measured_exactly() -> None:
    data = document(OBJECT.format(n=1))
    size = len(etree.tostring(etree.fromstring(data).find("EPCISBody/EventList/ObjectEvent")))
    assert isinstance(read(data, max_event_bytes=size)[0], DocumentEvent)
    assert isinstance(read(data, max_event_bytes=size - 1)[0], InvalidEvent)


class _Generated(io.RawIOBase):
    """A document made on the fly: never held in memory as a whole."""

    def __init__(self, count: int) -> None:
        head, tail = document("@", declarations=' xmlns:x="urn:x"').split(b"@")
        lots = (OBJECT.format(n=i).replace("</ObjectEvent>", f"<x:lot>L{i}</x:lot></ObjectEvent>")
                for i in range(count))  # fmt: skip
        self.parts = itertools.chain([head], (p.encode() for p in lots), [tail])
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = size if size is not None and size > 0 else 1 << 16
        while len(self.buffer) < want and (part := next(self.parts, None)) is not None:
            self.buffer += part
        out, self.buffer = self.buffer[:want], self.buffer[want:]
        return out


def _rss() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096


@pytest.mark.parametrize(
    "count", [20_000, pytest.param(200_000, marks=pytest.mark.slow)], ids=["20k", "200k"]
)
def test_large_document_streams_in_bounded_memory(count: int) -> None:
    tracemalloc.start()
    try:
        seen, rss_early = 0, 0
        for result in iter_xml_events(_Generated(count)):  # type: ignore[arg-type]
            assert isinstance(result, DocumentEvent)
            assert result.event["x:lot"] == f"L{seen}"
            seen += 1
            if seen == count // 10:
                rss_early = _rss()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 8 << 20  # Python objects: a few events at a time, not the document
    # libxml2 memory, which tracemalloc does not see: the tree is freed as it goes (kept, 20k
    # events would add ~35 MB here)
    assert _rss() - rss_early < 10 << 20


# --- structure rules (from the XSD) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind", "reason"),
    [
        ("<epcList/><action>OBSERV</action>", "ObjectEvent", "'OBSERV' is not one of ADD, "
         "OBSERVE, DELETE (did you mean OBSERVE?)"),
        ("<epcList/>", "ObjectEvent", "lacks the required element <action>"),
        ("<action>ADD</action><epcList/>", "ObjectEvent", "element <epcList> is out of order"),
        ("<action>ADD</action><color>red</color>", "ObjectEvent", "<color> is not part of"),
        ("<action>ADD</action><bizStep>a</bizStep><bizStep>b</bizStep>", "ObjectEvent",
         "<bizStep> appears twice"),
        ("<action>ADD</action><x:a xmlns:x='urn:x'/><bizStep>b</bizStep>", "ObjectEvent",
         "must come before extension elements such as <x:...>"),
        ("<action>ADD</action>", "TransformationEvent", "<action> is not part of"),
        ("<action>ADD</action>", "AssociationEvent", "required element <parentID>"),
        ("<action>ADD</action>", "QuantityEvent", "QuantityEvent was removed in EPCIS 2.0"),
        ("<baseExtension><eventID>e</eventID></baseExtension><action>ADD</action>",
         "ObjectEvent", "EPCIS 2.0 puts it directly in the event"),
        ("<action>ADD</action><quantityList><quantityElement><epcClass>c</epcClass><quantity>"
         "ten</quantity></quantityElement></quantityList>", "ObjectEvent",
         "quantity 'ten' is not a number"),
        ("<action>ADD</action><sourceList><source>s</source></sourceList>", "ObjectEvent",
         "<source> lacks its type attribute"),
        ("<action>ADD</action><readPoint><x/></readPoint>", "ObjectEvent",
         "element <x> is not allowed in <readPoint>"),
        ("<action>ADD</action><sensorElementList><sensorElement><sensorReport value='hot'/>"
         "</sensorElement></sensorElementList>", "ObjectEvent", "value 'hot' is not a number"),
        ("<action>ADD</action><errorDeclaration><reason>r</reason></errorDeclaration>",
         "ObjectEvent", "<errorDeclaration> is out of order"),
    ],
)  # fmt: skip
def test_structure_and_value_rules(body: str, kind: str, reason: str) -> None:
    bad = invalid(document(event(body, kind)))
    assert reason in bad.message
    assert etree.fromstring(bad.payload).tag == kind  # the event's own XML, replayable


def test_eventtime_needs_a_time_zone() -> None:
    data = document(OBJECT.format(n=1).replace(".000+01:00</eventTime>", "</eventTime>"))
    assert "eventTime '2026-03-01T08:00:00' is not an xsd:dateTime" in invalid(data).message


def test_an_invalid_event_does_not_stop_the_others() -> None:
    results = read(document(OBJECT.format(n=1), event("<action>NOPE</action>"), OBJECT.format(n=3)))
    assert [(type(r).__name__, r.index) for r in results] == [
        ("DocumentEvent", 0), ("InvalidEvent", 1), ("DocumentEvent", 2),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-02-28T23:59:59.123456789Z", True), ("2024-02-29T00:00:00+14:00", True),
        ("2026-02-29T00:00:00Z", False), ("2026-03-01T24:00:00Z", False),
        ("2026-03-01T08:00Z", False), ("2026-03-01 08:00:00Z", False),
        ("2026-03-01T08:00:00+14:30", False),
    ],
)  # fmt: skip
def test_date_time_rule(text: str, ok: bool) -> None:
    if ok:
        assert date_time("eventTime", text) == text
    else:
        with pytest.raises(EventProblem):
            date_time("eventTime", text)


@given(st.datetimes(timezones=st.timezones()).filter(lambda d: d.utcoffset() is not None))
def test_every_aware_iso_timestamp_is_accepted(moment: Any) -> None:
    text = moment.isoformat()
    offset = moment.utcoffset()
    if offset.total_seconds() % 60 or abs(offset.total_seconds()) > 14 * 3600:
        return  # xsd:dateTime offsets are whole minutes within +-14:00
    assert date_time("eventTime", text) == text


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_decimal_quantities_read_as_json_numbers(value: Any) -> None:
    parsed = number("quantity", str(value) if "E" not in str(value) else f"{value:f}")
    assert parsed == pytest.approx(float(value))


# --- the JSON-LD shape ----------------------------------------------------------------------


def test_full_object_event_shape() -> None:
    body = (
        "<recordTime>2026-03-01T09:00:00Z</recordTime><eventTimeZoneOffset>+01:00"
        "</eventTimeZoneOffset><eventID>urn:uuid:1</eventID><errorDeclaration><declarationTime>"
        "2026-03-02T00:00:00Z</declarationTime><reason>urn:epcglobal:cbv:er:incorrect_data"
        "</reason><correctiveEventIDs><correctiveEventID>urn:uuid:2</correctiveEventID>"
        "</correctiveEventIDs><x:why>typo</x:why></errorDeclaration><certificationInfo>https://c"
        "</certificationInfo><epcList/><action>ADD</action><disposition>active</disposition>"
        "<readPoint><id>rp</id><x:dock>4</x:dock></readPoint><bizLocation><id>bl</id></bizLocation>"
        "<bizTransactionList><bizTransaction>po1</bizTransaction></bizTransactionList>"
        "<quantityList><quantityElement><epcClass>c</epcClass><quantity>2.5</quantity><uom>KGM"
        "</uom></quantityElement><quantityElement><epcClass>d</epcClass></quantityElement>"
        "</quantityList><sensorElementList><sensorElement><sensorMetadata time="
        "'2026-03-01T07:00:00Z' x:k='v'/><sensorReport type='gs1:Temperature' value='-1.5E1' "
        "booleanValue='1' percRank='50'/></sensorElement></sensorElementList>"
        "<persistentDisposition><set>completeness_verified</set></persistentDisposition>"
    )
    got = only(document(
        "<ObjectEvent><eventTime>2026-03-01T08:00:00+01:00</eventTime>" + body + "</ObjectEvent>",
        declarations=' xmlns:x="urn:x"')).event  # fmt: skip
    assert got == {
        "type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+01:00",
        "recordTime": "2026-03-01T09:00:00Z", "eventTimeZoneOffset": "+01:00",
        "eventID": "urn:uuid:1",
        "errorDeclaration": {"declarationTime": "2026-03-02T00:00:00Z",
                             "reason": "urn:epcglobal:cbv:er:incorrect_data",
                             "correctiveEventIDs": ["urn:uuid:2"], "x:why": "typo"},
        "certificationInfo": "https://c", "epcList": [], "action": "ADD",
        "disposition": "active", "readPoint": {"id": "rp", "x:dock": "4"},
        "bizLocation": {"id": "bl"}, "bizTransactionList": [{"bizTransaction": "po1"}],
        "quantityList": [{"epcClass": "c", "quantity": 2.5, "uom": "KGM"}, {"epcClass": "d"}],
        "sensorElementList": [{
            "sensorMetadata": {"time": "2026-03-01T07:00:00Z", "x:k": "v"},
            "sensorReport": [{"type": "gs1:Temperature", "value": -15.0, "booleanValue": True,
                              "percRank": 50}]}],
        "persistentDisposition": {"set": ["completeness_verified"]},
    }  # fmt: skip


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
