"""The pipeline without Kafka, for checking a simulated folder: every feed read by the
project's own connectors (EPCIS files, ERP exports and staging rows, MQTT payloads), each
record through the processors' first stage (Avro encode/decode, ``streams.facts``) into an
in-memory fact set, the ledger traced from there.

This is the consumer side of the simulator: the ground truth (simulator.truth) never
imports it or streams/.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.sdk import Rejected, SourceRecord
from oretrail.serde import SingleObjectSerde
from streams.ledger import trace_json_many
from streams.memory_facts import MemoryFacts
from streams.processors import reduce_event

TOPIC = "oretrail.events"


@dataclass
class Replayed:
    facts: MemoryFacts = field(default_factory=MemoryFacts)
    #: path -> records the connector accepted from it
    accepted: dict[str, int] = field(default_factory=dict)
    #: (path, message) of every input a connector dead-lettered
    rejected: list[tuple[str, str]] = field(default_factory=list)
    #: (event id, message) of records the processors would dead-letter (bad facts)
    unusable: list[tuple[str, str]] = field(default_factory=list)
    #: event ids seen, with how many times
    event_ids: dict[str, int] = field(default_factory=dict)
    readings: int = 0

    def trace(self, lots: Iterable[str]) -> dict[str, dict[str, Any]]:
        return trace_json_many(list(lots), self.facts)


class _Processor:
    """The processors' stage 1, on the real serde."""

    def __init__(self, replayed: Replayed) -> None:
        self.serde = SingleObjectSerde()
        self.replayed = replayed

    def record(self, value: Mapping[str, Any]) -> None:
        data = self.serde.encode("trace_event", value, TOPIC)
        found = reduce_event(self.serde, data, TOPIC, 0, 0)
        if isinstance(found, Rejected):
            self.replayed.unusable.append((str(value.get("eventID")), found.message))
            return
        r = self.replayed
        r.event_ids[found.event_id] = r.event_ids.get(found.event_id, 0) + 1
        for lot in found.lots:
            r.facts.add_lot(lot)
        if found.transformation is not None:
            r.facts.add_transformation(found.transformation)
        if found.aggregation is not None:
            r.facts.add_aggregation(found.aggregation)


def _drain(path: str, items: Iterable[SourceRecord | Rejected | None], proc: _Processor) -> None:
    r = proc.replayed
    r.accepted.setdefault(path, 0)
    for item in items:
        if isinstance(item, SourceRecord):
            r.accepted[path] += 1
            proc.record(item.value)
        elif isinstance(item, Rejected):
            r.rejected.append((path, item.message))


def replay(folder: Path) -> Replayed:
    """Every feed ``manifest.json`` lists, read as its connector reads it."""
    manifest = json.loads((folder / "manifest.json").read_text())
    replayed = Replayed()
    proc = _Processor(replayed)
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if entry["connector"] == "epcis-file":
            source = EpcisFileSource(EpcisFileConfig(paths=(path,)))
            _drain(entry["path"], source.poll(), proc)
    return replayed
