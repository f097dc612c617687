"""Turn what the EPCIS reader yields into Kafka-ready TraceEvents or rejections.

No Kafka here: a captured event becomes a ``Good`` (key, Avro value, the record) or a
``Bad`` (a ``Rejected`` to dead-letter, with the step that failed and the input as given).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from connectors.capture._problems import BodyKind
from connectors.epcis import read_document
from connectors.sdk import Rejected
from connectors.sdk._dlq import MAX_PAYLOAD
from oretrail.epcis import (
    DocumentEvent,
    EpcisParseError,
    EpcisValidationError,
    InvalidEvent,
    to_trace_event,
)
from oretrail.keys import lot_key
from oretrail.serde import Serde, SerdeError

CONNECTOR = "epcis-capture"

LetterKey = tuple[str, str]
"""What identifies a dead letter within its capture job: (position, stage)."""


@dataclass(frozen=True, slots=True)
class Good:
    index: int
    event_id: str
    key: bytes
    value: bytes
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Bad:
    index: int | None  # None: the document itself could not be read
    rejected: Rejected

    @property
    def letter(self) -> LetterKey:
        return self.rejected.position, self.rejected.stage


class Refused(Exception):
    """One event that cannot be captured; ``rejected`` says why, for its dead letter."""

    def __init__(self, rejected: Rejected) -> None:
        super().__init__(rejected.message)
        self.rejected = rejected


def origin(source: str, index: int, fmt: str) -> dict[str, Any]:
    return {
        "connector": CONNECTOR,
        "source": source,
        "position": str(index),
        "format": fmt,
        "receivedAt": datetime.now(UTC),
    }


def head(stream: IO[bytes]) -> bytes:
    """The start of a body as a dead-letter payload: one byte over the cap, so the dead
    letter is marked truncated exactly when the body was longer."""
    stream.seek(0)
    return stream.read(MAX_PAYLOAD + 1)


def prepare(
    item: DocumentEvent | InvalidEvent, source: str, kind: BodyKind, serde: Serde, topic: str
) -> Good | Bad:
    """The TraceEvent of one captured event for ``topic``, or why it cannot be one."""
    if isinstance(item, InvalidEvent):
        return Bad(
            item.index,
            Rejected(
                source,
                str(item.index),
                "validate",
                "EpcisValidationError",
                item.message,
                item.payload,
            ),
        )
    fmt = f"epcis-{kind}-{item.schema_version}"
    stage = "validate"
    try:
        record = to_trace_event(item, origin=origin(source, item.index, fmt))
        stage = "serialise"
        value = serde.encode("trace_event", record, topic)
    except (EpcisValidationError, SerdeError, ValueError) as exc:
        payload = json.dumps(item.event, ensure_ascii=False, default=str).encode()
        return Bad(
            item.index,
            Rejected.from_exception(
                exc, source=source, position=str(item.index), stage=stage, payload=payload
            ),
        )
    return Good(item.index, record["eventID"], lot_key(record).encode(), value, record)


def read_items(
    body: Path, source: str, kind: BodyKind, serde: Serde, topic: str, max_event_bytes: int
) -> Iterator[Good | Bad]:
    """Every event of the document at ``body``, prepared; an unreadable rest of the document
    ends the stream as one ``Bad`` carrying the document itself."""
    with body.open("rb") as stream:
        try:
            for item in read_document(stream, max_event_bytes=max_event_bytes):
                yield prepare(item, source, kind, serde, topic)
        except EpcisParseError as exc:
            yield Bad(
                exc.index,
                Rejected.from_exception(
                    exc,
                    source=source,
                    position=str(exc.index or 0),
                    stage="parse",
                    payload=head(stream),
                ),
            )
