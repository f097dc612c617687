"""EpcisFileSource: EPCIS documents from files and folders into TraceEvents on Kafka.

Position ``<file ordinal>:<event index>`` over the sorted file list; the runner commits it
only after Kafka acknowledged every record up to it, so a restart with the same inputs goes
on after the last acknowledged event (event ids make any replay idempotent downstream).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.epcis._read import read_document, sniff
from connectors.sdk import Rejected, Source, SourceRecord
from oretrail.epcis import (
    DocumentEvent,
    EpcisParseError,
    EpcisValidationError,
    InvalidEvent,
    to_trace_event,
)
from oretrail.keys import lot_key

SUFFIXES = (".json", ".jsonld", ".xml")


class EpcisFileConfig(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", env_prefix="ORETRAIL_EPCIS_FILE_"
    )

    paths: tuple[Path, ...] = Field(description="EPCIS documents, or folders searched for them")
    topic: str = "oretrail.events"
    max_event_bytes: int = Field(
        default=1 << 20, gt=0, description="larger XML events are rejected"
    )


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, folders searched recursively for .json/.jsonld/.xml, sorted, unique."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.add(path)
    return sorted(found)


class EpcisFileSource(Source):
    name = "epcis-file"
    config_model = EpcisFileConfig
    summary = "EPCIS 2.0 JSON-LD / XML and 1.2 XML documents from files and folders"

    def __init__(self, config: EpcisFileConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self.files = expand(config.paths)
        self.total_bytes = sum(p.stat().st_size for p in self.files if p.is_file())
        self._done_bytes = 0
        self._current: IO[bytes] | None = None

    @property
    def bytes_read(self) -> int:
        current = self._current
        try:
            extra = current.tell() if current is not None and not current.closed else 0
        except ValueError:
            extra = 0
        return self._done_bytes + extra

    def _resume_point(self) -> tuple[int, int]:
        saved = self.state.load() if self.state is not None else None
        if not saved:
            return 0, -1
        ordinal, index = saved.split(":", 1)
        return int(ordinal), int(index)

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        start_file, last_index = self._resume_point()
        for ordinal, path in enumerate(self.files):
            if ordinal < start_file:
                self._done_bytes += path.stat().st_size
                continue
            skip_through = last_index if ordinal == start_file else -1
            yield from self._file(ordinal, path, skip_through)
            if self.stopping:
                return

    def _file(
        self, ordinal: int, path: Path, skip_through: int
    ) -> Iterator[SourceRecord | Rejected]:
        last = -1
        try:
            with path.open("rb") as stream:
                self._current = stream
                kind = sniff(stream)
                for item in read_document(stream, max_event_bytes=self.cfg.max_event_bytes):
                    last = item.index
                    if item.index <= skip_through:
                        continue
                    yield self._convert(ordinal, path, kind, item)
                    if self.stopping:
                        return
        except (EpcisParseError, OSError) as exc:
            # what could not be read counts once, whatever it held: nothing is dropped silently
            index = last + 1
            yield Rejected.from_exception(
                exc,
                source=str(path),
                position=f"{ordinal}:{index}",
                stage="parse",
                payload=_head(path),
            )
        finally:
            self._current = None
            self._done_bytes += path.stat().st_size if path.exists() else 0

    def _convert(
        self, ordinal: int, path: Path, kind: str, item: DocumentEvent | InvalidEvent
    ) -> SourceRecord | Rejected:
        position = f"{ordinal}:{item.index}"
        if isinstance(item, InvalidEvent):
            return Rejected(
                str(path), position, "validate", "EpcisValidationError", item.message, item.payload
            )
        origin = _origin(self.name, path, item, kind)
        try:
            record = to_trace_event(item, origin=origin)
        except (EpcisValidationError, ValueError) as exc:
            return Rejected.from_exception(
                exc, source=str(path), position=position, stage="validate",
                payload=_dump(item.event),
            )  # fmt: skip
        return SourceRecord(self.cfg.topic, "trace_event", record, lot_key(record), position)


def _origin(connector: str, path: Path, item: DocumentEvent, kind: str) -> dict[str, Any]:
    return {
        "connector": connector,
        "source": str(path),
        "position": str(item.index),
        "format": f"epcis-{kind}-{item.schema_version}",
        "receivedAt": datetime.now(UTC),
    }


def _dump(event: Any) -> bytes:

    return json.dumps(event, ensure_ascii=False, default=str).encode()


def _head(path: Path, limit: int = 64 * 1024) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""
