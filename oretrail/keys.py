"""Message keys: which lot an event is "about", so events of one lot share a partition.

A TransformationEvent is keyed by what it produces (the lot whose state it creates), an
AggregationEvent by its parent, other events by the first object they name. Identifiers
are already normalised Digital Link URIs, so the same lot always gives the same key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_ORDER = (
    ("outputEPCList", None),
    ("outputQuantityList", "epcClass"),
    ("parentID", None),
    ("epcList", None),
    ("quantityList", "epcClass"),
    ("childEPCs", None),
    ("childQuantityList", "epcClass"),
    ("inputEPCList", None),
    ("inputQuantityList", "epcClass"),
)


def _first(value: Any, member: str | None) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, Sequence) and value:
        head = value[0]
        if member is None:
            return head if isinstance(head, str) else None
        if isinstance(head, Mapping):
            found = head.get(member)
            return found if isinstance(found, str) else None
    return None


def lot_key(event: Mapping[str, Any]) -> str:
    """The partition key of a TraceEvent record; falls back to its event id."""
    for field, member in _ORDER:
        found = _first(event.get(field), member)
        if found:
            return found
    return str(event["eventID"])
