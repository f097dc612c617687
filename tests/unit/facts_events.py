"""JSON-LD events of a small cobalt supply chain, and their TraceEvent records, for the
streams.facts tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oretrail.epcis import EPCIS_CONTEXT, DocumentEvent, to_trace_event

ROOT = Path(__file__).resolve().parents[2]
OT = "https://oretrail.dev/ns/epcis/"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"ot": OT, "cbvmda": "urn:epcglobal:cbv:mda:"}]
ORIGIN: dict[str, Any] = {
    "connector": "test",
    "source": "memory",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
KOL = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
HYD = "https://id.gs1.org/01/09506000134352/10/HYD-2026-0031"
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
SLAG = "https://id.gs1.org/01/09506000134437/10/SLG-2026-1101"
CELL = "https://id.gs1.org/01/09506000134444/21/"  # + serial
MODULE = "https://id.gs1.org/01/09506000134451/21/M-0001"
MINE = "https://id.gs1.org/414/0950600012340"
REFINERY = "https://id.gs1.org/414/0950600022349"
CERT = "https://certs.example.org/rmap/conformant-smelter/2026-CD-117"


def record_of(event: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    """The TraceEvent record of a JSON-LD event, as the EPCIS connector makes it."""
    context = CONTEXT if context is None else context
    namespaces = {k: v for entry in context if isinstance(entry, dict) for k, v in entry.items()}
    document = DocumentEvent(event=event, index=0, namespaces=namespaces, context=context)
    return to_trace_event(document, origin=ORIGIN)


def commissioning() -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0001",
        "eventTime": "2026-10-01T06:30:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "certificationInfo": [CERT],
        "action": "ADD",
        "bizStep": "commissioning",
        "readPoint": {"id": MINE},
        "bizLocation": {"id": MINE},
        "quantityList": [{"epcClass": KOL, "quantity": 20, "uom": "TNE"}],
        "ilmd": {
            "cbvmda:countryOfOrigin": "CD",
            "ot:elementContent": [
                {"ot:element": "Co", "ot:massFraction": 0.30},
                {"ot:element": "Ni", "ot:massFraction": 0.05},
            ],
            "ot:recycledShare": [{"ot:element": "Co", "ot:postConsumer": 0.1}],
            "ot:carbonFootprint": {"ot:kgCO2ePerKg": 2.1, "ot:stage": "RawMaterialExtraction"},
        },
    }


def transformation() -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventID": "urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0002",
        "eventTime": "2026-11-01T22:45:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "inputQuantityList": [
            {"epcClass": KOL, "quantity": 10000, "uom": "KGM"},
            {"epcClass": HYD, "quantity": 2.5, "uom": "TNE"},
            {"epcClass": KOL, "quantity": 500, "uom": "KGM"},
        ],
        "outputQuantityList": [
            {"epcClass": CSF, "quantity": 14300, "uom": "KGM"},
            {"epcClass": SLAG, "quantity": 1.2, "uom": "TNE"},
        ],
        "readPoint": {"id": REFINERY},
        "bizLocation": {"id": REFINERY},
        "ilmd": {"ot:elementContent": [{"ot:element": "Co", "ot:massFraction": 0.2088}]},
        "ot:chainOfCustody": "mass_balance",
        "ot:processEmissions": {"ot:kgCO2e": 18500, "ot:stage": "MainProduction"},
    }


def aggregation(action: str = "ADD") -> dict[str, Any]:
    return {
        "type": "AggregationEvent",
        "eventID": "urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0003",
        "eventTime": "2026-11-05T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "parentID": MODULE,
        "childEPCs": [CELL + "C-2", CELL + "C-1"],
        "action": action,
        "bizStep": "packing",
        "childQuantityList": [{"epcClass": HYD, "quantity": 800, "uom": "GRM"}],
        "readPoint": {"id": REFINERY},
    }
