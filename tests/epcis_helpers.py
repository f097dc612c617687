"""Taking an in-memory EPCIS JSON-LD document apart the way the event hash tests need it."""

from __future__ import annotations

from typing import Any

from connectors.epcis import namespaces_of


def document_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of an EPCISDocument or EPCISQueryDocument, in order."""
    body = document["epcisBody"]
    if "queryResults" in body:
        body = body["queryResults"]["resultsBody"]
    events: list[dict[str, Any]] = body["eventList"] if "eventList" in body else [body["event"]]
    return events


def document_namespaces(document: dict[str, Any]) -> dict[str, str]:
    """Prefix → namespace of the document's @context, as the JSON reader resolves them."""
    return namespaces_of(document.get("@context", []))
