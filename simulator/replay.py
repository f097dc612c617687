"""The pipeline without Kafka, for checking a simulated folder: every feed read by the
project's own connectors (EPCIS files, ERP exports and staging rows, MQTT payloads), each
record through the processors' first stage (Avro encode/decode, ``streams.facts``) into an
in-memory fact set, the ledger traced from there.

This is the consumer side of the simulator: the ground truth (simulator.truth) never
imports it or streams/.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.erp import ErpFileConfig, ErpFileSource, EventBuilder, RowError, load_mapping
from connectors.erp._convert import Converter, Member
from connectors.iot import PayloadMapping, ReadingError, readings_from_payload
from connectors.sdk import Rejected, SourceRecord
from oretrail.serde import SingleObjectSerde
from simulator.erp import NUMERIC
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
        elif entry["connector"] == "erp-file":
            erp = ErpFileSource(ErpFileConfig(mapping=folder / entry["mapping"], paths=(path,)))
            _drain(entry["path"], erp.poll(), proc)
        elif entry["connector"] == "erp-postgres":
            _drain(entry["path"], staging_rows(folder, entry), proc)
        elif entry["connector"] == "mqtt":
            _telemetry(folder, entry, replayed)
    return replayed


def _telemetry(folder: Path, entry: Mapping[str, Any], replayed: Replayed) -> None:
    """Each message through the mqtt connector's payload mapping, as it would arrive."""
    config = yaml.safe_load((folder / entry["config"]).read_text())
    mappings = [PayloadMapping(**m) for m in config.get("mappings", [])]
    assets = config.get("assets", {})
    for number, text in enumerate((folder / entry["path"]).read_text().splitlines(), start=1):
        message = json.loads(text)
        payload = message["payload"].encode()
        for found in readings_from_payload(payload, message["topic"], mappings, assets):
            if isinstance(found, ReadingError):
                replayed.rejected.append((f"{entry['path']}:{number}", str(found)))
            else:
                replayed.readings += 1


def typed_rows(data: bytes) -> list[dict[str, Any]]:
    """A staging load (CSV for COPY) as PostgreSQL gives its rows back: numeric columns as
    Decimal, text as str, an empty field as NULL."""
    rows = []
    for raw in csv.DictReader(io.StringIO(data.decode())):
        rows.append(
            {k: None if v == "" else Decimal(v) if k in NUMERIC else v for k, v in raw.items()}
        )
    return rows


def staging_rows(folder: Path, entry: Mapping[str, Any]) -> Iterator[SourceRecord | Rejected]:
    """The erp-postgres connector's conversion of one table's rows, read in one transaction:
    rows grouped into the record kinds' events (a production order's lines together)."""
    mapping = load_mapping(folder / entry["mapping"])
    builder = EventBuilder(mapping)
    convert = Converter(builder, "erp-postgres", TOPIC, "erp-postgres")
    table = entry["table"]
    groups: dict[tuple[str, tuple[Any, ...]], list[Member]] = {}
    for key, row in enumerate(typed_rows((folder / entry["path"]).read_bytes()), start=1):
        member = Member(f"{table}:{key}", row, json.dumps(row, default=str).encode())
        try:
            kind = builder.kind_of(row, entry["kinds"])
            group = builder.group_key(kind, row) if mapping.kinds[kind].group_by else ("#", key)
        except RowError as exc:
            yield convert.rejected(exc, table, member.position, [member])
            continue
        groups.setdefault((kind, group), []).append(member)
    for (kind, _), members in groups.items():
        yield convert.convert(kind, members, source=table, position=members[-1].position)
