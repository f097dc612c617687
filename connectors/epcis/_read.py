"""One entry for every EPCIS input form: sniff JSON or XML, then stream its events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, BinaryIO

from connectors.epcis._json import iter_json_events
from connectors.epcis._xml import iter_xml_events
from oretrail.epcis import DocumentEvent, EpcisParseError, InvalidEvent

_BOM = b"\xef\xbb\xbf"


def sniff(stream: IO[bytes]) -> str:
    """``json`` or ``xml`` from the first significant byte; the stream is left unmoved."""
    start = stream.tell()
    head = stream.read(512)
    stream.seek(start)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "xml"  # UTF-16 with a byte-order mark: only XML may be UTF-16 here (JSON is UTF-8)
    text = head.removeprefix(_BOM).lstrip()
    if text.startswith(b"{") or text.startswith(b"["):
        return "json"
    if text.startswith(b"<"):
        return "xml"
    raise EpcisParseError("neither JSON nor XML: an EPCIS document starts with '{' or '<'")


def read_document(
    stream: BinaryIO, *, max_event_bytes: int = 1 << 20
) -> Iterator[DocumentEvent | InvalidEvent]:
    """Events of an EPCIS 2.0 JSON-LD, 2.0 XML or 1.2 XML document, in document order."""
    if sniff(stream) == "json":
        yield from iter_json_events(stream)
    else:
        yield from iter_xml_events(stream, max_event_bytes=max_event_bytes)


def format_name(kind: str, event: DocumentEvent) -> str:
    return f"epcis-{kind}-{event.schema_version}"
