"""Realistic inputs for the UNTP credential tests, made by the project's own code: passport
updates from the element ledger over a small battery supply chain (streams.ledger +
streams.passports), TraceEvent records from EPCIS events (oretrail.epcis.to_trace_event)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.epcis import read_document
from oretrail.epcis import EPCIS_CONTEXT, DocumentEvent, to_trace_event
from streams.ledger import trace_json
from streams.memory_facts import MemoryFacts
from streams.model import Aggregation, LotFacts, RecycledShare, Take, Transformation
from streams.passports import next_update

GTIN_FEED = "https://id.gs1.org/01/09506000134352/10/"
KOL = GTIN_FEED + "KOL-2026-0917"  # cobalt hydroxide, DR Congo
HYD = GTIN_FEED + "MHP-2026-0031"  # mixed nickel-cobalt hydroxide, Indonesia
BLK = GTIN_FEED + "BLK-2026-0007"  # black mass from a recycler
LIC = GTIN_FEED + "LIC-2026-0412"  # lithium carbonate, Chile
MNS = GTIN_FEED + "MNS-2026-0100"  # manganese sulphate, South Africa, no footprint declared
CAM = "https://id.gs1.org/01/09506000134420/10/NMC-2026-1101"  # cathode active material
CELL = "https://id.gs1.org/01/09506000134444/21/"  # + serial
PACK = "https://id.gs1.org/01/09506000134468/21/P-0001"
REFINERY = "https://id.gs1.org/414/0950600022349"
CELL_PLANT = "https://id.gs1.org/414/0950600033345"
CERT = "https://certs.example.org/rmap/conformant-smelter/2026-CD-117"
CAM_CERT = "https://certs.example.org/irma/cam-plant/2026-0042"
CELL_CERT = "https://certs.example.org/iso14001/cell-plant/2026-7"
CELLS = ("C-1", "C-2")
FEED_TAKEN = ((KOL, 10_000.0), (HYD, 10_000.0), (BLK, 5_000.0), (LIC, 3_000.0), (MNS, 4_000.0))
BLACK_MASS_SHARE = RecycledShare(pre_consumer=0.25, post_consumer=0.75)
ISSUED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _feed(
    facts: MemoryFacts,
    lot: str,
    kg: float,
    content: dict[str, float],
    country: str | None,
    carbon: float | None,
    recycled: dict[str, RecycledShare] | None = None,
    certificates: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
) -> None:
    facts.add_lot(
        LotFacts(
            lot,
            kg,
            content,
            recycled or {},
            country,
            carbon_kg_per_kg=carbon,
            carbon_stage="RawMaterialExtraction" if carbon is not None else None,
            certificates=certificates,
            flags=flags,
            source_events=(f"urn:uuid:commission-{lot.rsplit('/', 1)[-1]}",),
        )
    )


def battery_chain(
    flags: tuple[str, ...] = (), cam_content: dict[str, float] | None = None
) -> MemoryFacts:
    """Five feed lots → cathode material (controlled blending) → two cells → a pack.
    ``flags`` mark the Indonesian feed (they travel downstream); ``cam_content`` makes the
    cathode material declare its own element content (too much of it raises an alert)."""
    facts = MemoryFacts()
    _feed(facts, KOL, 10_000, {"Co": 0.30, "Ni": 0.05}, "CD", 2.1, certificates=(CERT,))
    _feed(facts, HYD, 10_000, {"Ni": 0.40, "Co": 0.04}, "ID", 3.5, flags=flags)
    _feed(
        facts,
        BLK,
        5_000,
        {"Co": 0.10, "Ni": 0.12, "Li": 0.04, "Mn": 0.08},
        None,
        0.8,
        recycled={e: BLACK_MASS_SHARE for e in ("Co", "Ni", "Li", "Mn")},
    )
    _feed(facts, LIC, 3_000, {"Li": 0.188}, "CL", 5.0)
    _feed(facts, MNS, 4_000, {"Mn": 0.32}, "ZA", None)
    facts.add_lot(
        LotFacts(
            CAM,
            20_000,
            cam_content or {},
            certificates=(CAM_CERT,),
            source_events=("urn:uuid:t-cam",),
        )
    )
    facts.add_transformation(
        Transformation(
            "urn:uuid:t-cam",
            1_000,
            REFINERY,
            tuple(Take(lot, kg) for lot, kg in FEED_TAKEN),
            (Take(CAM, 20_000),),
            process_emissions_kg=18_500,
            process_emissions_stage="MainProduction",
        )
    )
    for serial in CELLS:
        facts.add_lot(
            LotFacts(
                CELL + serial,
                45.0,
                certificates=(CELL_CERT,),
                source_events=(f"urn:uuid:t-{serial}",),
            )
        )
        facts.add_transformation(
            Transformation(
                f"urn:uuid:t-{serial}",
                2_000,
                CELL_PLANT,
                (Take(CAM, 50.0),),
                (Take(CELL + serial, 45.0),),
                process_emissions_kg=120.0,
                process_emissions_stage="MainProduction",
            )
        )
    facts.add_aggregation(
        Aggregation("urn:uuid:a-pack", 3_000, PACK, tuple(Take(CELL + s, 45.0) for s in CELLS))
    )
    return facts


def passport(lot: str, facts: MemoryFacts | None = None) -> dict[str, Any]:
    return trace_json(lot, facts or battery_chain())


def update(lot: str, facts: MemoryFacts | None = None) -> dict[str, Any]:
    """The PassportUpdate record the processors would publish for the lot, version 1."""
    made = next_update(lot, passport(lot, facts), None, ["urn:uuid:t-cam"], 1_790_000_000_000_000)
    assert made is not None
    return made[0]


# --- traceability events -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
PACK_PLANT = "https://id.gs1.org/414/0950600044341"
BUYER = "https://id.gs1.org/414/0950600012340"
OT_CONTEXT: list[Any] = [EPCIS_CONTEXT, {"ot": "https://oretrail.dev/ns/epcis/"}]
ORIGIN: dict[str, Any] = {
    "connector": "test",
    "source": "memory",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": ISSUED,
}


def _battery_events() -> list[dict[str, Any]]:
    """EPCIS 2.0 JSON-LD events of the cell and pack plants: the event kinds the refinery
    sample does not have (aggregation, association, transaction), sensor readings, an
    unstated quantity, an error declaration."""
    cell = "urn:epc:id:sgtin:9506000.013444.C-1"  # EPC URN on purpose: the mapping converts it
    return [
        {
            "type": "TransformationEvent",
            "eventTime": "2026-11-03T09:15:00.250+01:00",
            "eventTimeZoneOffset": "+01:00",
            "bizStep": "commissioning",
            "disposition": "active",
            "inputQuantityList": [{"epcClass": CAM, "quantity": 50, "uom": "KGM"}],
            "outputEPCList": [cell],
            "readPoint": {"id": CELL_PLANT},
            "bizLocation": {"id": CELL_PLANT},
            "sensorElementList": [
                {
                    "sensorMetadata": {
                        "time": "2026-11-03T09:10:00Z",
                        "deviceID": "urn:epc:id:giai:9506000.OVEN7",
                        "dataProcessingMethod": "https://example.com/methods/oven-average",
                    },
                    "sensorReport": [
                        {"type": "gs1:Temperature", "value": 121.5, "uom": "CEL"},
                        {"type": "gs1:RelativeHumidity", "meanValue": 0.8, "uom": "P1"},
                    ],
                }
            ],
        },
        {
            "type": "AggregationEvent",
            "eventTime": "2026-11-05T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "bizStep": "packing",
            "disposition": "container_closed",
            "parentID": PACK,
            "childEPCs": [CELL + "C-1", CELL + "C-2"],
            "readPoint": {"id": PACK_PLANT},
            "bizLocation": {"id": PACK_PLANT},
        },
        {
            "type": "AssociationEvent",
            "eventTime": "2026-11-05T08:30:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "bizStep": "assembling",
            "parentID": PACK,
            "childEPCs": ["urn:epc:id:giai:9506000.BMS0001"],
            "childQuantityList": [{"epcClass": GTIN_FEED + "SCREWS-7"}],  # quantity unstated
            "readPoint": {"id": PACK_PLANT},
        },
        {
            "type": "TransactionEvent",
            "eventTime": "2026-11-10T15:00:00-05:00",
            "eventTimeZoneOffset": "-05:00",
            "action": "ADD",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "bizTransactionList": [
                {"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:0950600044341:INV-9"}
            ],
            "epcList": [PACK],
            "readPoint": {"id": PACK_PLANT},
            "sourceList": [{"type": "owning_party", "source": PACK_PLANT}],
            "destinationList": [{"type": "owning_party", "destination": BUYER}],
        },
        {
            "type": "ObjectEvent",
            "eventTime": "2026-11-06T10:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "epcList": [PACK],
            "readPoint": {"id": PACK_PLANT},
            "errorDeclaration": {
                "declarationTime": "2026-11-07T10:00:00Z",
                "reason": "incorrect_data",
            },
        },
    ]


def _records(document: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in read_document(io.BytesIO(json.dumps(document).encode())):
        assert isinstance(item, DocumentEvent), item
        out.append(to_trace_event(item, origin=ORIGIN))
    return out


def trace_events() -> list[dict[str, Any]]:
    """TraceEvent records as the EPCIS connector makes them: the refinery sample document of
    examples/epcis (commissioning, shipping, receiving, transformation) and the battery
    plants' events above, each read through connectors.epcis and oretrail.epcis."""
    sample = json.loads((ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld").read_text())
    battery = {
        "@context": OT_CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-10T16:00:00Z",
        "epcisBody": {"eventList": _battery_events()},
    }
    return _records(sample) + _records(battery)


# --- broken credentials ---------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Mutation:
    return lambda c: c.__setitem__(key, value)


def _drop(key: str) -> Mutation:
    return lambda c: c.pop(key)


def _subject(mutate: Callable[[Any], Any]) -> Mutation:
    return lambda c: c.__setitem__("credentialSubject", mutate(c["credentialSubject"]))


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "contexts swapped": (lambda c: c["@context"].reverse(), "@context[0]"),
    "other UNTP version": (
        lambda c: c["@context"].__setitem__(1, c["@context"][1].replace("0.6.1", "0.6.0")),
        "@context[1]",
    ),
    "no VC context": (lambda c: c["@context"].pop(0), "@context[0]"),
    "context twice": (lambda c: c["@context"].append(c["@context"][0]), "names a context twice"),
    "context not an array": (_set("@context", "https://www.w3.org/ns/credentials/v2"), "@context"),
    "issuer missing": (_drop("issuer"), "issuer: is missing"),
    "issuer a string": (_set("issuer", "did:web:example.com"), "issuer: must be a JSON object"),
    "issuer id no DID": (lambda c: c["issuer"].__setitem__("id", "https://x.org"), "issuer.id"),
    "issuer nameless": (lambda c: c["issuer"].pop("name"), "issuer.name"),
    "not a VerifiableCredential": (lambda c: c["type"].remove("VerifiableCredential"), "type"),
    "type a string": (_set("type", "VerifiableCredential"), "type: must be an array"),
    "validFrom missing": (_drop("validFrom"), "validFrom"),
    "validFrom local time": (_set("validFrom", "2026-11-24T12:00:00"), "validFrom"),
    "validUntil before validFrom": (_set("validUntil", "2020-01-01T00:00:00Z"), "validUntil"),
    "id no URI": (_set("id", "passport 1"), "id: must be a URI"),
    "subject missing": (_drop("credentialSubject"), "credentialSubject: is missing"),
    "status untyped": (lambda c: c["credentialStatus"].pop("type"), "credentialStatus.type"),
}
SHAPE: dict[str, tuple[Mutation, str]] = {
    "dpp": (_subject(lambda s: [s]), "credentialSubject: must be a JSON object"),
    "dfr": (_subject(lambda s: [s]), "credentialSubject: must be a JSON object"),
    "dte": (_subject(lambda s: s[0]), "must be an array of events"),
}
