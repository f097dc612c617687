"""The body of ``POST /events``: exactly one event, as a JSON-LD object or a bare XML event.

A bare XML event (the binding's single-event form: ``<ObjectEvent>...</ObjectEvent>``) is
read by wrapping it in an EPCIS 2.0 document, so the one XML reader validates it the same
way as an event inside ``POST /capture``.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

from connectors.capture._problems import BodyKind
from connectors.epcis import namespaces_of, read_document
from oretrail.epcis import DocumentEvent, EpcisParseError, EpcisValidationError

_DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
_XML_DECLARATION = re.compile(rb"\s*<\?xml[^>]*\?>")


def wrap_xml_event(body: bytes) -> bytes:
    """An EPCIS 2.0 XML document whose only event is the bare event ``body``."""
    body = body.removeprefix(b"\xef\xbb\xbf")
    declaration = _XML_DECLARATION.match(body)
    head = declaration.group(0).strip() if declaration else b""
    event = body[declaration.end() :] if declaration else body
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return (
        head + b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" '
        b'schemaVersion="2.0" creationDate="' + created + b'"><EPCISBody><EventList>'
        + event + b"</EventList></EPCISBody></epcis:EPCISDocument>"
    )  # fmt: skip


def single_event(body: bytes, kind: BodyKind) -> DocumentEvent:
    """The one event of a POST /events body.

    EpcisParseError: not one readable event (a document, malformed input, several events);
    EpcisValidationError: one event the XML reader refused.
    """
    if kind == "xml":
        items = list(read_document(io.BytesIO(wrap_xml_event(body))))
        if len(items) != 1:
            raise EpcisParseError(f"POST /events takes exactly one event, got {len(items)}")
        if not isinstance(items[0], DocumentEvent):
            raise EpcisValidationError(items[0].message)
        return items[0]
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EpcisParseError(f"malformed JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise EpcisParseError("an event is a JSON object")
    if event.get("type") in _DOCUMENT_TYPES:
        raise EpcisParseError("POST /events takes one event; send documents to POST /capture")
    raw = event.pop("@context", [])
    context = raw if isinstance(raw, list) else [raw]
    return DocumentEvent(event=event, index=0, namespaces=namespaces_of(context), context=context)
