"""The synchronous check of a capture body before it becomes a job: well-formed, and how many
events it holds.

``POST /capture`` answers 400 when the body is not well-formed JSON / XML at all (nothing
in it could be captured) and 413 when it holds more events than ``GS1-EPCIS-Capture-Limit``;
everything else — a missing ``@context``, an invalid event — is a capture error reported by
the job. The scan streams (ijson / lxml iterparse), so its memory does not grow with the
body, and it stops as soon as the limit is passed.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import ijson
from lxml import etree

from connectors.capture._problems import BodyKind
from oretrail.epcis import EVENT_TYPES

_JSON_EVENT_LISTS = (
    "epcisBody.eventList.item",
    "epcisBody.queryResults.resultsBody.eventList.item",
)
_JSON_VALUE_STARTS = ("start_map", "start_array", "string", "number", "boolean", "null")
_BARE_XML_EVENTS = {*EVENT_TYPES, "QuantityEvent"}


class MalformedBody(ValueError):
    """The body is not well-formed JSON / XML (or not the form its Content-Type says)."""


class TooManyEvents(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the document holds more than {limit} events (GS1-EPCIS-Capture-Limit)")
        self.limit = limit


def _first_byte(stream: IO[bytes]) -> bytes:
    head = stream.read(512)
    stream.seek(0)
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]


def count_events(path: Path, kind: BodyKind, limit: int) -> int:
    """The number of events in the body at ``path``; MalformedBody / TooManyEvents otherwise."""
    with path.open("rb") as stream:
        first = _first_byte(stream)
        if kind == "json" and first not in (b"{", b"["):
            raise MalformedBody("the body is not JSON, as its Content-Type says")
        if kind == "xml" and first != b"<":
            raise MalformedBody("the body is not XML, as its Content-Type says")
        return _json_events(stream, limit) if kind == "json" else _xml_events(stream, limit)


def _json_events(stream: IO[bytes], limit: int) -> int:
    count = 0
    try:
        for prefix, token, _ in ijson.parse(stream):
            if prefix in _JSON_EVENT_LISTS and token in _JSON_VALUE_STARTS:
                count += 1
                if count > limit:
                    raise TooManyEvents(limit)
    except ijson.JSONError as exc:
        raise MalformedBody(f"malformed JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"not UTF-8 text: {exc}") from exc
    return count


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _is_event(element: etree._Element) -> bool:
    parent = element.getparent()
    if parent is None:  # a bare event, as the XML binding's single-event examples are
        return _local(element.tag) in _BARE_XML_EVENTS
    if _local(element.tag) == "extension" or not isinstance(element.tag, str):
        return False
    container = _local(parent.tag)
    if container == "extension":  # EPCIS 1.x wraps newer event types in <extension>
        grand = parent.getparent()
        return grand is not None and _local(grand.tag) == "EventList"
    return container == "EventList"


def _xml_events(stream: IO[bytes], limit: int) -> int:
    count = 0
    # No DTDs, no entity expansion, no network: the body comes from anyone.
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for action, element in parser:
            if not _is_event(element):
                continue
            if action == "start":
                count += 1
                if count > limit:
                    raise TooManyEvents(limit)
            else:
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    parent = element.getparent()
                    if parent is None:
                        break
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise MalformedBody(f"malformed XML: {exc}") from exc
    return count
