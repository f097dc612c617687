"""What a source yields: records to publish, or rejections to dead-letter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One Avro record for ``topic``; ``position`` is committed once Kafka acknowledged it."""

    topic: str
    schema: str
    value: Mapping[str, Any]
    key: str | None
    position: str
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not become a record: it goes to the dead-letter topic, never nowhere.

    ``stage`` names the step that failed (parse, validate, normalise, serialise, authorise);
    ``payload`` is the offending input verbatim so it can be repaired and replayed.
    """

    source: str
    position: str
    stage: str
    error_class: str
    message: str
    payload: bytes = b""
    extra_headers: tuple[tuple[str, bytes], ...] = field(default=())

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, source: str, position: str, stage: str, payload: bytes = b""
    ) -> Rejected:
        return cls(
            source, position, getattr(exc, "stage", stage), type(exc).__name__, str(exc), payload
        )
