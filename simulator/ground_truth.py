"""``ground_truth.json``: what the simulator expects the pipeline to find, per lot.

Figures are the simulator's own (simulator.truth), written with full precision. The shape
follows ``oretrail trace --json`` where it can, so the two compare field by field:
``massKg``, ``elements.{E}.massKg``, ``elements.{E}.recycledShare.{preConsumer,
postConsumer}``, ``elements.{E}.primaryOrigin`` (shares of the primary part, by country),
``carbonFootprint.totalKgCO2e``; ``alerts``, the alert types raised on the lot itself, and
``alertMarks``, those raised on it or upstream of it (the ledger's ``alert:<type>`` flags);
and, to find one's way, ``kind`` (pack, module, cell, lot), ``product`` and ``site``.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.model import Aggregate, Commission, Flow, Transform
from simulator.truth import Lot, Truth

KINDS = {"pack": "pack", "module": "module", "cell": "cell"}


def _lot_json(lot: Lot) -> dict[str, Any]:
    elements: dict[str, Any] = {}
    for element, part in lot.parts.items():
        primary = sum(part.origin[c] for c in sorted(part.origin))
        elements[element] = {
            "massKg": part.kg,
            "recycledShare": {
                "preConsumer": part.pre / part.kg,
                "postConsumer": part.post / part.kg,
            },
            "primaryOrigin": {c: part.origin[c] / primary for c in sorted(part.origin)}
            if primary > 0
            else {},
        }
    return {
        "massKg": lot.kg,
        "elements": elements,
        "carbonFootprint": {
            "totalKgCO2e": lot.carbon,
            "kgCO2ePerKg": lot.carbon / lot.kg if lot.kg > 0 else 0.0,
        },
        "alerts": sorted(lot.alerts),
        "alertMarks": sorted(lot.marks),
    }


def _made_at(flow: Flow) -> dict[str, str]:
    """The site where each lot, item or assembly was made."""
    site: dict[str, str] = {}
    for op in flow.operations:
        if isinstance(op, Commission):
            site[op.lot] = op.site
        elif isinstance(op, Aggregate):
            site[op.parent] = op.site
        elif isinstance(op, Transform):
            site.update((lot, op.site) for o in op.outputs for lot, _ in o.lots())
    return site


def ground_truth(flow: Flow, truth: Truth, meta: dict[str, Any]) -> dict[str, Any]:
    kind_of = {item: kind for kind, items in flow.items.items() for item in items}
    made_at = _made_at(flow)
    lots = {}
    for lot_id, lot in truth.lots.items():
        lots[lot_id] = {
            "kind": kind_of.get(lot_id, "lot"),
            "product": flow.product_of[lot_id],
            "site": made_at[lot_id],
            **_lot_json(lot),
        }
    return {
        **meta,
        "assumptions": {
            "massBalancePeriodDays": truth.period_s // 86400,
            "tolerance": truth.tolerance,
            "note": "mass-balance pools are fixed windows of massBalancePeriodDays from the "
            "Unix epoch and the mass-balance check allows tolerance (the ledger's defaults, "
            "ORETRAIL_LEDGER_*); run the pipeline with those settings to compare",
        },
        "packs": list(flow.items.get("pack", ())),
        "alerts": [
            {
                "type": a.type,
                "lot": a.lot,
                "eventID": a.event_id,
                "operation": a.event,
                "element": a.element,
                "inputKg": a.input_kg,
                "outputKg": a.output_kg,
            }
            for a in truth.alerts
        ],
        "lots": lots,
    }


def dumps(data: dict[str, Any]) -> bytes:
    """Readable at the top, one line per lot below (thousands of lots stay a few MB)."""
    head = {k: v for k, v in data.items() if k != "lots"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[: -len("\n}")]
    lots = ",\n".join(
        f"  {json.dumps(lot)}: {json.dumps(value, separators=(',', ':'), ensure_ascii=False)}"
        for lot, value in data["lots"].items()
    )
    return f'{text},\n "lots": {{\n{lots}\n }}\n}}\n'.encode()
