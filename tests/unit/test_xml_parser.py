"""iter_xml_events: safety, streaming, structure rules and the 2.0 JSON-LD shape."""

from __future__ import annotations

import io
import itertools
import socket
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from connectors.epcis._xml import _Reader, iter_xml_events
from connectors.epcis._xml_values import EventProblem, date_time, number
from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent
from tests.unit.xml_docs import (
    OBJECT,
    document,
    event,
    invalid,
    only,
    read,
    without_declaration,
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
