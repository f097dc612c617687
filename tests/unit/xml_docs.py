"""Small EPCIS XML documents for the XML reader's tests."""

from __future__ import annotations

import io
from typing import Any

from connectors.epcis._xml import iter_xml_events
from oretrail.epcis._document import DocumentEvent, InvalidEvent

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
