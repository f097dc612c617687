"""``oretrail trace`` without --json: the trace as a readable tree."""

from __future__ import annotations

from rich.console import Console

from oretrail.cli._worker import tree

ORE = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"


def render(node: dict[str, object]) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(tree(node))
    return console.export_text()


def test_tree_shows_elements_alerts_and_inputs_with_the_quantity_taken() -> None:
    element = {
        "massKg": 2985.84,
        "recycledShare": {"preConsumer": 0.0, "postConsumer": 0.1},
        "primaryOrigin": {"CD": 0.6, "ZM": 0.4},
    }
    node = {
        "id": CSF,
        "massKg": 14300.0,
        "elements": {"Co": element},
        "carbonFootprint": {"totalKgCO2e": 39500.0, "kgCO2ePerKg": 2.76},
        "alerts": [{"type": "mass_balance_violation", "element": "Co", "eventID": "[e4]"}],
        "inputs": [{"id": ORE, "quantityTakenKg": 10000.0, "massKg": 20000.0, "inputs": []}],
    }
    lines = render(node).splitlines()
    assert lines[0] == f"{CSF}  14300.0 kg  39500.0 kg CO2e (2.76 kg CO2e/kg)"
    text = "\n".join(lines)
    assert "Co: 2985.84 kg, recycled pre 0.0 post 0.1, origin CD 60.0%, ZM 40.0%" in text
    assert '"eventID": "[e4]"' in text  # brackets are text, not markup
    assert f"{ORE}  20000.0 kg  (taken 10000.0 kg)" in text
