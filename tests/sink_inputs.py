"""Inputs for the sink pipeline tests, made by the project's own pipeline pieces: TraceEvent
records from EPCIS documents (connectors.epcis + oretrail.epcis.to_trace_event), passport
updates from the element ledger over the facts those events state (streams.facts,
streams.memory_facts, streams.ledger, streams.passports), and facility master data."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.epcis import read_document
from oretrail.epcis import DocumentEvent, to_trace_event
from streams.facts import extract
from streams.ledger import trace_json
from streams.memory_facts import MemoryFacts
from streams.passports import PassportState, next_update

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld"
KOL = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"  # cobalt hydroxide lot
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"  # refined cobalt sulphate lot
MINE = "https://id.gs1.org/414/0950600012340"
REFINERY = "https://id.gs1.org/414/0950600022349"
ORIGIN: dict[str, Any] = {
    "connector": "test",
    "source": "memory",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
}

# A later declaration about the ore lot (10 % of its cobalt post-consumer recycled): it
# changes the ore's passport and, downstream, the refined lot's (a version 2).
LATER: dict[str, Any] = {
    "@context": [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"ot": "https://oretrail.dev/ns/epcis/"},
    ],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-11-03T08:00:00.000+01:00",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-10-01T07:00:00.000+02:00",
                "eventTimeZoneOffset": "+02:00",
                "action": "ADD",
                "bizStep": "commissioning",
                "quantityList": [{"epcClass": KOL, "quantity": 20000, "uom": "KGM"}],
                "readPoint": {"id": MINE},
                "ilmd": {
                    "ot:recycledShare": [
                        {"ot:element": "Co", "ot:preConsumer": 0.0, "ot:postConsumer": 0.1}
                    ]
                },
            }
        ]
    },
}

FACILITIES_YAML = f"""\
facilities:
  - id: {MINE}
    name: Kolwezi cobalt mine
    country: CD
    operator_id: https://id.gs1.org/417/0950600012340
    operator_name: Kolwezi Mining SA
  - id: {REFINERY}
    name: Cobalt refinery
    country: FI
    latitude: 63.84
    longitude: 23.13
"""


def events_of(document: dict[str, Any] | bytes) -> list[dict[str, Any]]:
    """The TraceEvent records of an EPCIS document, as the EPCIS connector makes them."""
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    out = []
    for item in read_document(io.BytesIO(data)):
        assert isinstance(item, DocumentEvent), item
        out.append(to_trace_event(item, origin=ORIGIN))
    return out


def refinery_events() -> list[dict[str, Any]]:
    """Mine commissioning, shipping, refinery receiving and the refining transformation."""
    return events_of(SAMPLE.read_bytes())


def later_events() -> list[dict[str, Any]]:
    return events_of(LATER)


def facts_of(records: Sequence[dict[str, Any]]) -> MemoryFacts:
    """The fact set the processors would hold after these events."""
    facts = MemoryFacts()
    for record in records:
        found = extract(record)
        assert not found.problems, found.problems
        for lot in found.lots:
            facts.add_lot(lot)
        if found.transformation is not None:
            facts.add_transformation(found.transformation)
        if found.aggregation is not None:
            facts.add_aggregation(found.aggregation)
    return facts


def passport_update(
    lot: str,
    records: Sequence[dict[str, Any]],
    sources: Sequence[dict[str, Any]],
    previous: PassportState | None = None,
    issued_us: int = 1_795_000_000_000_000,
) -> tuple[dict[str, Any], PassportState]:
    """The PassportUpdate the processors publish for ``lot`` once ``records`` are applied,
    naming ``sources`` as the events behind it."""
    made = next_update(
        lot,
        trace_json(lot, facts_of(records)),
        previous,
        [str(r["eventID"]) for r in sources],
        issued_us,
    )
    assert made is not None, "the passport did not change"
    return made


def facilities_file(folder: Path, text: str = FACILITIES_YAML) -> Path:
    path = folder / "facilities.yaml"
    path.write_text(text)
    return path
