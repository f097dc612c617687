"""Streaming, safe reader of EPCIS XML documents (EPCIS 2.0 and 1.2).

``iter_xml_events`` feeds the document to lxml's pull parser in chunks and yields each event
as soon as its end tag is read, then frees it, so memory stays bounded by the largest event,
not the document. Every event comes out in the EPCIS 2.0 JSON-LD shape (see _xml_event), or
as an InvalidEvent naming what is wrong; the other events of the document go on.

Safety: a DOCTYPE beyond a bare ``<!DOCTYPE name>`` is refused before the parser sees it
(_xml_prolog); the parser runs without entity resolution, DTD loading, network access or
libxml2's "huge" limits, and any attempt to resolve an external resource is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from connectors.epcis._xml_event import convert
from connectors.epcis._xml_extensions import Prefixes, split, standard
from connectors.epcis._xml_prolog import DTD_REFUSED, read_prolog
from connectors.epcis._xml_values import EventProblem
from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
NAMESPACES = {"urn:epcglobal:epcis:xsd:2": "2.0", "urn:epcglobal:epcis:xsd:1": "1.2"}
CHUNK_SIZE = 64 * 1024
_BODY_PATH = ("EPCISBody", "EventList")


def iter_xml_events(
    stream: BinaryIO, *, max_event_bytes: int = 1 << 20
) -> Iterator[DocumentEvent | InvalidEvent]:
    """Yield the events of an EPCIS XML document in document order.

    Raises EpcisParseError when the document cannot be read at all (not well-formed, not an
    EPCISDocument, a DTD); events before the point of failure have been yielded already.
    An event whose XML exceeds ``max_event_bytes`` becomes an InvalidEvent.
    """
    reader = _Reader(max_event_bytes)
    chunk = read_prolog(stream, CHUNK_SIZE)
    while chunk:
        yield from reader.feed(chunk)
        chunk = stream.read(CHUNK_SIZE)
    yield from reader.close()


class _RefuseExternal(etree.Resolver):
    """Nothing outside the document is ever read; an attempt is recorded and refused."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[str] = []

    # lxml-stubs lag lxml here: resolve() takes a context and Resolver has resolve_empty().
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        self.attempts.append(system_url or public_id)
        return self.resolve_empty(context)  # type: ignore[attr-defined]


class _Reader:
    def __init__(self, max_event_bytes: int) -> None:
        self.max_event_bytes = max_event_bytes
        self.parser = etree.XMLPullParser(
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        self.refuser = _RefuseExternal()
        self.parser.resolvers.add(self.refuser)
        self.version = ""
        self.path: list[str] = []  # local names of the open elements below the root
        self.index = 0
        self.seen_body = False
        self.event: etree._Element | None = None
        self.inner = 0  # depth inside the current event
        self.event_start = 0  # bytes fed when the event's start tag was read
        self.fed = 0
        self.oversized: bytes | None = None  # first bytes of an event found too large

    def feed(self, chunk: bytes) -> Iterator[DocumentEvent | InvalidEvent]:
        self.fed += len(chunk)
        yield from self._parse(lambda: self.parser.feed(chunk))
        if (
            self.event is not None
            and self.oversized is None
            and self.fed - self.event_start > self.max_event_bytes + 2 * CHUNK_SIZE
        ):
            # From here on the event's elements are dropped as they complete: whatever its
            # size, it is dead-lettered with its first max_event_bytes bytes.
            self.oversized = etree.tostring(self.event)[: self.max_event_bytes]

    def close(self) -> Iterator[DocumentEvent | InvalidEvent]:
        yield from self._parse(self.parser.close)
        if not self.seen_body:
            raise EpcisParseError("the EPCISDocument has no <EPCISBody>", index=self.index)

    def _parse(self, step: Any) -> Iterator[DocumentEvent | InvalidEvent]:
        failure: etree.XMLSyntaxError | None = None
        try:
            step()
        except etree.XMLSyntaxError as exc:
            failure = exc
        yield from self._handle(self.parser.read_events())
        if self.refuser.attempts:
            raise EpcisParseError(f"{DTD_REFUSED}: reference to {self.refuser.attempts[0]!r}")
        if failure is not None:
            raise EpcisParseError(f"not well-formed XML: {failure}", index=self.index)

    def _handle(self, events: Iterable[tuple[str, Any]]) -> Iterator[DocumentEvent | InvalidEvent]:
        for kind, element in events:
            if self.event is None:
                if kind == "start":
                    self._start(element)
                else:
                    self._end(element)
            elif kind == "start":
                self.inner += 1
            elif self.inner:
                self.inner -= 1
                if self.oversized is not None:
                    _free(element)
            else:
                yield self._finish(self.event)
                self.event, self.oversized = None, None
                self._end(element)

    def _start(self, element: etree._Element) -> None:
        if self.version == "":
            self._root(element)
            self.version = NAMESPACES[split(element.tag)[0] or ""]
            return
        uri, name = standard(element.tag)
        self.path.append(name if uri is None else f"{{{uri}}}{name}")
        if self.path == ["EPCISBody"]:
            self.seen_body = True
        if self._is_event_position():
            self.event, self.inner, self.event_start = element, 0, self.fed

    def _end(self, element: etree._Element) -> None:
        """Outside events nothing is kept: a huge header or master data stays bounded too."""
        if self.path:
            self.path.pop()
            _free(element)

    def _is_event_position(self) -> bool:
        """Events sit in EventList, or (EPCIS 1.2) in chains of <extension> wrappers there."""
        if len(self.path) < 3 or tuple(self.path[:2]) != _BODY_PATH:
            return False
        return all(name == "extension" for name in self.path[2:-1]) and (
            self.path[-1] != "extension"
        )

    def _root(self, root: etree._Element) -> None:
        if _declares_anything(root.getroottree().docinfo):
            raise EpcisParseError(DTD_REFUSED)
        uri, name = split(root.tag)
        if name != "EPCISDocument" or uri not in NAMESPACES:
            raise EpcisParseError(
                f"the root element is {root.tag!r}, not an EPCISDocument in the namespace "
                "urn:epcglobal:epcis:xsd:2 (EPCIS 2.0) or urn:epcglobal:epcis:xsd:1 (EPCIS 1.2)"
            )

    def _finish(self, element: etree._Element) -> DocumentEvent | InvalidEvent:
        index = self.index
        self.index += 1
        if self.oversized is not None:
            return InvalidEvent(index, self._too_large(), self.oversized)
        payload: bytes | None = None
        if self.fed - self.event_start >= self.max_event_bytes - 2 * CHUNK_SIZE:
            payload = etree.tostring(element, with_tail=False)
            if len(payload) > self.max_event_bytes:
                return InvalidEvent(index, self._too_large(), payload[: self.max_event_bytes])
        prefixes = Prefixes()
        try:
            event = convert(element, self.version, prefixes)
        except EventProblem as problem:
            if payload is None:
                payload = etree.tostring(element, with_tail=False)
            return InvalidEvent(index, str(problem), payload)
        namespaces = dict(prefixes.used)
        return DocumentEvent(
            event=event,
            index=index,
            namespaces=namespaces,
            context=[EPCIS_CONTEXT, dict(namespaces)],
            schema_version=self.version,
        )

    def _too_large(self) -> str:
        return (
            f"the event is larger than max_event_bytes={self.max_event_bytes}; "
            "the payload holds its first max_event_bytes bytes"
        )


def _free(element: etree._Element) -> None:
    """Drop a finished element and the finished siblings before it (lxml's iterparse idiom)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _declares_anything(docinfo: Any) -> bool:
    """A DTD that points elsewhere or declares entities/elements (read_prolog refuses those
    already; this checks what libxml2 actually saw). ``Any``: lxml-stubs lack these names."""
    dtd = docinfo.internalDTD
    return bool(
        docinfo.system_url
        or docinfo.public_id
        or (dtd is not None and (any(dtd.iterentities()) or any(dtd.iterelements())))
    )
