"""Streaming reader of EPCIS 2.0 JSON / JSON-LD documents (bounded memory, any size).

ijson (yajl C backend) walks the token stream and builds one event object at a time, so a
1 GB document never sits in memory. Events need the document's ``@context`` (it says what
extension prefixes mean), which almost always comes first.

A seekable input (a file, a spooled capture body) is read in two passes: the head of the
document up to ``type`` and ``@context``, then the events through ijson's C-level
``items()``, several times faster than building them token by token in Python. A
non-seekable stream takes the one-pass token walk; if its @context comes after the events,
those events wait in memory until it arrives — the only case that buffers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

from oretrail.epcis import DocumentEvent, EpcisParseError

_EVENT_PREFIXES = (
    "epcisBody.eventList.item",
    "epcisBody.queryResults.resultsBody.eventList.item",
)
DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")


def namespaces_of(context: Any) -> dict[str, str]:
    """Prefix → IRI for every simple term definition in a JSON-LD @context."""
    entries = context if isinstance(context, list) else [context]
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, str) and not key.startswith("@"):
                    found[key] = value
                elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                    found[key] = value["@id"]
    return found


def _tokens(stream: IO[bytes]) -> Iterator[tuple[str, str, Any]]:
    try:
        yield from ijson.parse(stream, use_float=True)
    except ijson.JSONError as exc:
        raise EpcisParseError(f"malformed JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise EpcisParseError(f"not UTF-8 text: {exc}") from exc


def _values(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """(``"event"`` | ``"context"`` | ``"type"``, value) for the parts of a document we use."""
    builder: ijson.ObjectBuilder | None = None
    building = ""
    depth = 0
    for prefix, kind, value in _tokens(stream):
        if builder is None:
            if prefix in _EVENT_PREFIXES and kind != "end_array":
                building = "event"
            elif prefix == "@context":
                building = "context"
            else:
                if prefix == "type" and kind == "string":
                    yield "type", value
                continue
            builder = ijson.ObjectBuilder()
            depth = 0
        builder.event(kind, value)
        if kind in ("start_map", "start_array"):
            depth += 1
        elif kind in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            yield building, builder.value
            builder = None


def _document_type(value: Any) -> Any:
    if value not in DOCUMENT_TYPES:
        raise EpcisParseError(f"not an EPCIS document: type is {value!r}")
    return value


def _as_context(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _require(doc_type: Any, context: list[Any] | None, index: int) -> list[Any]:
    if doc_type is None:
        raise EpcisParseError("not an EPCIS document: no top-level type", index=index)
    if context is None:
        raise EpcisParseError(f"{doc_type} has no @context", index=index)
    return context


def _two_pass(stream: IO[bytes]) -> Iterator[DocumentEvent]:
    start = stream.tell()
    doc_type: Any = None
    context: list[Any] | None = None
    for what, value in _values(stream):  # the head only: stop once both are known
        if what == "type":
            doc_type = _document_type(value)
        elif what == "context":
            context = _as_context(value)
        if doc_type is not None and context is not None:
            break
    context = _require(doc_type, context, 0)
    stream.seek(start)
    prefix = _EVENT_PREFIXES[0] if doc_type == "EPCISDocument" else _EVENT_PREFIXES[1]
    namespaces = namespaces_of(context)
    index = 0
    try:
        for event in ijson.items(stream, prefix, use_float=True):
            if isinstance(event, dict) and "@context" in event:
                yield _document_event(event, index, context)
            else:
                yield DocumentEvent(
                    event=event, index=index, namespaces=namespaces, context=context
                )
            index += 1
    except ijson.JSONError as exc:
        raise EpcisParseError(f"malformed JSON after event {index}: {exc}", index=index) from exc
    except UnicodeDecodeError as exc:
        raise EpcisParseError(f"not UTF-8 text: {exc}", index=index) from exc


def _one_pass(stream: IO[bytes]) -> Iterator[DocumentEvent]:
    context: list[Any] | None = None
    doc_type: Any = None
    pending: list[Any] = []
    index = 0
    try:
        for what, value in _values(stream):
            if what == "type":
                doc_type = _document_type(value)
            elif what == "context":
                context = _as_context(value)
                for event in pending:
                    yield _document_event(event, index, context)
                    index += 1
                pending.clear()
            elif context is None:
                pending.append(value)
            else:
                yield _document_event(value, index, context)
                index += 1
    except EpcisParseError as exc:
        exc.index = index
        raise
    _require(doc_type, context, index)


def iter_json_events(stream: IO[bytes]) -> Iterator[DocumentEvent]:
    """Yield the events of an EPCISDocument (or EPCISQueryDocument) one by one.

    Raises EpcisParseError for input that is not an EPCIS document, has no @context, or is
    not well-formed JSON (after yielding the events before the fault, with ``index`` set to
    the first event not yielded).
    """
    yield from (_two_pass(stream) if stream.seekable() else _one_pass(stream))


def _document_event(event: Any, index: int, context: list[Any]) -> DocumentEvent:
    namespaces = namespaces_of(context)
    if isinstance(event, dict) and "@context" in event:
        namespaces.update(namespaces_of(event["@context"]))
    return DocumentEvent(event=event, index=index, namespaces=namespaces, context=context)
