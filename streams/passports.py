"""Versioned passport updates: canonical content, its hash, what changed, and the debounce.

Pure logic; the processors (``streams.processors``) keep the state in faust tables:

- ``passports`` table, lot -> :class:`PassportState` (last version, its hash and content);
- ``pending`` table, lot -> :class:`Pending` (events that touched the lot since its last
  update, when the last one did, and the W3C ``traceparent`` of that event's processing
  when tracing is on: the lot's passport update continues that trace).

A lot is due once no event touched it for the debounce interval, so a burst of events
yields one update. An update is emitted only when the content hash differs from the last
version's: the version is ``previous + 1`` and the content a pure function of the fact set,
so recomputing after a crash or a replay gives the same hash and no new version. If the
worker dies after the update was acknowledged but before the table remembered it, the same
``(productID, version, contentHash)`` is emitted again: consumers treat it as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ITEM_MARKER = "/21/"  # GS1 Digital Link serial number: the passport is of one item


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, no NaN: equal content gives equal bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def changed_pointers(old: Any, new: Any, prefix: str = "") -> list[str]:
    """RFC 6901 pointers of the members that differ between two JSON values, sorted.

    Objects are compared member by member; arrays and scalars as a whole (an array of
    inputs or alerts that changed is reported once, at the array).
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        pointers: list[str] = []
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}/{_escape(str(key))}"
            if key not in old or key not in new:
                pointers.append(path)
            else:
                pointers.extend(changed_pointers(old[key], new[key], path))
        return pointers
    if old == new and type(old) is type(new):
        return []
    return [prefix or ""]


def granularity(product_id: str) -> str:
    return "item" if _ITEM_MARKER in product_id else "batch"


@dataclass(frozen=True, slots=True)
class PassportState:
    version: int
    content_hash: str
    passport: str  # canonical JSON of the last emitted version

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "hash": self.content_hash, "passport": self.passport}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PassportState:
        return cls(int(data["version"]), str(data["hash"]), str(data["passport"]))


@dataclass(frozen=True, slots=True)
class Pending:
    events: tuple[str, ...]
    touched_us: int
    trace: str | None = None  # traceparent of the last touch; entries written before: none

    def touch(self, events: Iterable[str], now_us: int, trace: str | None = None) -> Pending:
        return Pending(
            tuple(sorted(set(self.events) | set(events))),
            max(self.touched_us, now_us),
            trace or self.trace,
        )

    def due(self, now_us: int, debounce_us: int) -> bool:
        return now_us - self.touched_us >= debounce_us

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"events": list(self.events), "touched": self.touched_us}
        if self.trace is not None:
            data["trace"] = self.trace
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pending:
        trace = data.get("trace")
        return cls(
            tuple(str(e) for e in data["events"]),
            int(data["touched"]),
            None if trace is None else str(trace),
        )


def touch(
    previous: Pending | None, events: Sequence[str], now_us: int, trace: str | None = None
) -> Pending:
    return (previous or Pending((), now_us)).touch(events, now_us, trace)


def next_update(
    product_id: str,
    passport: Mapping[str, Any],
    previous: PassportState | None,
    source_events: Sequence[str],
    issued_at_us: int,
) -> tuple[dict[str, Any], PassportState] | None:
    """The PassportUpdate record and the state to remember, or None when nothing changed."""
    text = canonical_json(passport)
    digest = content_hash(text)
    if previous is not None and previous.content_hash == digest:
        return None
    old = json.loads(previous.passport) if previous is not None else None
    changed = changed_pointers(old, json.loads(text)) if old is not None else [""]
    version = previous.version + 1 if previous is not None else 1
    record = {
        "productID": product_id,
        "granularity": granularity(product_id),
        "version": version,
        "contentHash": digest,
        "previousHash": previous.content_hash if previous is not None else None,
        "changed": changed,
        "passport": text,
        "sourceEventIDs": sorted(set(source_events)),
        "issuedAt": issued_at_us,
    }
    return record, PassportState(version, digest, text)


def new_alerts(
    previous: PassportState | None, passport: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """Alerts of ``passport`` that its previous version did not carry, so each is sent once."""
    seen: set[str] = set()
    if previous is not None:
        old_alerts = json.loads(previous.passport).get("alerts", [])
        seen = {canonical_json(a) for a in old_alerts}
    alerts = passport.get("alerts", [])
    return [a for a in alerts if canonical_json(a) not in seen]
