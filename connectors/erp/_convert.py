"""One row or group of rows -> a TraceEvent SourceRecord, or a Rejected naming the culprit.

Shared by the file and the PostgreSQL sources: they differ in how rows are read and what a
position is, not in what a row means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.erp._mapping import EventBuilder
from connectors.erp._values import Row, RowError
from connectors.sdk import Rejected, SourceRecord
from oretrail.epcis import to_trace_event
from oretrail.keys import lot_key

TRACE_SCHEMA = "trace_event"


@dataclass(frozen=True, slots=True)
class Member:
    """A row as read: where it is (``file:line`` / ``table:pk``) and its verbatim text."""

    position: str
    row: Row
    raw: bytes


def payload(members: Sequence[Member]) -> bytes:
    """The rows verbatim: one row as it was read, a group as its rows one per line."""
    if len(members) == 1:
        return members[0].raw
    return b"\n".join(m.raw.rstrip(b"\r\n") for m in members) + b"\n"


@dataclass(frozen=True)
class Converter:
    builder: EventBuilder
    connector: str
    topic: str
    format: str

    def convert(
        self, kind: str, members: Sequence[Member], *, source: str, position: str
    ) -> SourceRecord | Rejected:
        """The event of ``members`` (one event), published at ``position``."""
        origin = {
            "connector": self.connector,
            "source": source,
            "position": position,
            "format": self.format,
            "receivedAt": datetime.now(UTC),
        }
        try:
            event = self.builder.event(kind, [m.row for m in members])
            record = to_trace_event(event, origin=origin)
        except RowError as exc:
            where = f"{members[exc.row].position}: " if len(members) > 1 else ""
            return self.rejected(exc, source, position, members, f"{kind}: {where}{exc}")
        except ValueError as exc:  # EpcisValidationError and its kin: the event breaks a rule
            return self.rejected(exc, source, position, members, f"{kind}: {exc}", "validate")
        return SourceRecord(self.topic, TRACE_SCHEMA, record, lot_key(record), position)

    def rejected(
        self,
        exc: Exception,
        source: str,
        position: str,
        members: Sequence[Member],
        message: str | None = None,
        stage: str = "parse",
    ) -> Rejected:
        return Rejected(
            source=source,
            position=position,
            stage=getattr(exc, "stage", stage),
            error_class=type(exc).__name__,
            message=message if message is not None else str(exc),
            payload=payload(members),
        )
