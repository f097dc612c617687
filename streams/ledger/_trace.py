"""The JSON of ``oretrail trace ID --json``: a lot's ledger with its inputs, recursively."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streams.ledger._compute import Ledgers
from streams.ledger._types import Alert, LedgerConfig, LotLedger
from streams.model import FactsView


def number(value: float) -> float:
    """12 significant digits: hides the last bits of float noise (0.6000000000000001) that
    would otherwise show in every share; -0.0 becomes 0.0."""
    return float(f"{value:.12g}") + 0.0


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "type": alert.type,
        "lot": alert.lot,
        "eventID": alert.event_id,
        "element": alert.element,
        "figures": {k: number(alert.figures[k]) for k in sorted(alert.figures)},
        "message": alert.message,
    }


def ledger_json(ledger: LotLedger) -> dict[str, Any]:
    """One lot's ledger in the trace shape, without its inputs."""
    elements: dict[str, Any] = {}
    for element, led in ledger.elements.items():
        origin = led.primary_origin_shares()
        elements[element] = {
            "massKg": number(led.mass_kg),
            "recycledShare": {
                "preConsumer": number(led.pre_consumer_share),
                "postConsumer": number(led.post_consumer_share),
            },
            "primaryOrigin": {c: number(origin[c]) for c in origin if origin[c] > 0},
        }
    return {
        "id": ledger.lot,
        "massKg": number(ledger.mass_kg),
        "complete": ledger.complete,
        "elements": elements,
        "carbonFootprint": {
            "totalKgCO2e": number(ledger.carbon_kg),
            "kgCO2ePerKg": number(ledger.carbon_kg_per_kg),
        },
        "certificates": list(ledger.certificates),
        "flags": list(ledger.flags),
        "alerts": [alert_json(a) for a in ledger.alerts],
    }


#: levels of inputs listed below a lot; real supply chains are a dozen deep, and JSON nested
#: much deeper than this cannot be written by ``json.dumps`` (recursion limit)
MAX_DEPTH = 100


def trace_json(
    lot: str, facts: FactsView, config: LedgerConfig | None = None, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """``{"id", "massKg", "complete", "elements", "carbonFootprint", "certificates", "flags",
    "alerts", "inputs": [same shape + "quantityTakenKg", ...]}``. A lot met again on its own
    path (a lineage cycle), or ``max_depth`` levels down, is listed with ``"inputs": []`` and
    ``"inputsOmitted": true``."""
    return _Tracer(Ledgers(facts, config), max_depth).node(lot, frozenset())[0]


def trace_json_many(
    lots: Iterable[str], facts: FactsView, config: LedgerConfig | None = None
) -> dict[str, dict[str, Any]]:
    """``trace_json`` of each lot, computed together: lots due in one flush share most of
    their upstream, and each upstream ledger and JSON subtree is then built once."""
    tracer = _Tracer(Ledgers(facts, config), MAX_DEPTH)
    return {lot: tracer.node(lot, frozenset())[0] for lot in lots}


class _Tracer:
    def __init__(self, ledgers: Ledgers, max_depth: int) -> None:
        self.ledgers = ledgers
        self.max_depth = max_depth
        # a lot reached by several paths is built once; the JSON shares the subtree
        self.done: dict[str, dict[str, Any]] = {}

    def node(self, lot: str, path: frozenset[str]) -> tuple[dict[str, Any], bool]:
        """The lot's JSON, and whether anything in it was omitted (then it is not shared:
        from another path it may be complete)."""
        cached = self.done.get(lot)
        if cached is not None:
            return cached, False
        ledger = self.ledgers.of(lot)
        node = ledger_json(ledger)
        inputs: list[dict[str, Any]] = []
        omitted = bool(ledger.inputs) and (lot in path or len(path) >= self.max_depth)
        if not omitted:
            for child, kg in ledger.inputs:
                sub, cut = self.node(child, path | {lot})
                inputs.append({"id": sub["id"], "quantityTakenKg": number(kg), **sub})
                omitted = omitted or cut
        node["inputs"] = inputs
        if omitted and not inputs:
            node["inputsOmitted"] = True
        if not omitted:
            self.done[lot] = node
        return node, omitted
