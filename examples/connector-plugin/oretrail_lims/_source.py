"""Assay lines (JSON Lines exported by a LIMS) → SensorReading records, keyed by the lot.

One line per measured element of a sample, e.g.::

    {"sample": "S-2026-0042", "lot": "https://id.gs1.org/01/09506000134352/10/CO-0001",
     "element": "Co", "massFraction": 20.4, "unit": "%", "method": "ICP-OES",
     "analysedAt": "2026-11-24T10:15:00Z", "lab": "urn:lab:refinery-qc"}

The position is the byte offset after the last line acknowledged by Kafka, so a restart
goes on exactly where delivery stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.sdk import Rejected, Source, SourceRecord

ELEMENTS = {"Li", "Co", "Ni", "Mn", "C", "Cu", "Fe", "Al"}
_UNITS = {"%": ("P1", 1.0), "ppm": ("59", 1.0), "mass fraction": ("P1", 100.0)}


class AssayError(ValueError):
    """A line that is not a usable assay result."""


class LimsAssayConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_LIMS_")

    path: Path = Field(description="JSON Lines export of the LIMS")
    topic: str = "oretrail.sensor-readings"


def parse_assay(line: bytes, origin: dict[str, Any]) -> dict[str, Any]:
    """One JSON line → a SensorReading record (pure; raises AssayError)."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise AssayError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AssayError("an assay line must be a JSON object")
    missing = [k for k in ("sample", "lot", "element", "massFraction", "unit", "analysedAt")
               if k not in data]  # fmt: skip
    if missing:
        raise AssayError(f"missing field(s) {missing}")
    if data["element"] not in ELEMENTS:
        raise AssayError(f"unknown element {data['element']!r}; expected one of {sorted(ELEMENTS)}")
    if data["unit"] not in _UNITS:
        raise AssayError(f"unknown unit {data['unit']!r}; expected one of {sorted(_UNITS)}")
    value = data["massFraction"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssayError(f"massFraction must be a number, got {value!r}")
    uom, factor = _UNITS[data["unit"]]
    try:
        when = datetime.fromisoformat(str(data["analysedAt"]))
    except ValueError as exc:
        raise AssayError(f"analysedAt {data['analysedAt']!r} is not ISO 8601") from exc
    if when.tzinfo is None:
        raise AssayError("analysedAt needs a time zone")
    identity = f"{data['sample']}|{data['element']}|{data['analysedAt']}".encode()
    return {
        "readingID": "urn:uuid:" + hashlib.sha256(identity).hexdigest()[:32],
        "deviceID": str(data.get("lab", "urn:lab:unknown")),
        "assetID": str(data["lot"]),
        "type": "gs1:Dimensionless",
        "time": when.astimezone(UTC),
        "value": float(value) * factor,
        "stringValue": None,
        "uom": uom,
        "attributes": {
            "chemicalSubstance": str(data["element"]),
            "sample": str(data["sample"]),
            "method": str(data.get("method", "")),
        },
        "origin": origin,
    }


class LimsAssaySource(Source):
    name = "lims-assay"
    config_model = LimsAssayConfig
    summary = "laboratory assay results (LIMS JSON Lines) as readings keyed by lot [example]"

    def __init__(self, config: LimsAssayConfig) -> None:
        super().__init__(config)
        self.cfg = config

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        start = int(self.state.load() or 0) if self.state is not None else 0
        with self.cfg.path.open("rb") as fh:
            fh.seek(start)
            offset = start
            for line in fh:
                offset += len(line)
                if not line.strip():
                    continue
                origin = {
                    "connector": self.name,
                    "source": str(self.cfg.path),
                    "position": str(offset),
                    "format": "lims-jsonl",
                    "receivedAt": datetime.now(UTC),
                }
                try:
                    record = parse_assay(line, origin)
                except AssayError as exc:
                    yield Rejected.from_exception(
                        exc, source=str(self.cfg.path), position=str(offset), stage="parse",
                        payload=line,
                    )  # fmt: skip
                    continue
                yield SourceRecord(
                    self.cfg.topic, "sensor_reading", record, record["assetID"], str(offset)
                )
                if self.stopping:
                    return
