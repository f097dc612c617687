"""battery_pass: the Annex XIII figures of a battery's passport carry the attribute names and
value ranges of the Battery Pass consortium data model v1.2 (its generated JSON Schemas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from sink.untp import battery_pass
from tests.untp_inputs import CELL, PACK, battery_chain, passport

ASPECTS = {
    "Circularity": "io.BatteryPass.Circularity/1.2.0/gen/Circularity-schema.json",
    "CarbonFootprintForBatteries": (
        "io.BatteryPass.CarbonFootprint/1.2.0/gen/CarbonFootprintForBatteries-schema.json"
    ),
}


def attribute_errors(standards: Path, figures: dict[str, Any]) -> list[str]:
    """Every attribute checked against the model's schema of that property (the aspect's
    other mandatory attributes, e.g. dismantling documents, are no ledger figures)."""
    root = standards / "batterypass" / "batterypass-consortium" / "v1.2"
    errors = []
    for aspect, values in figures.items():
        schema = json.loads((root / ASPECTS[aspect]).read_text())
        for name, value in values.items():
            if name not in schema["properties"]:
                errors.append(f"{aspect}.{name}: no attribute of the model")
                continue
            # draft-04 ignores members beside $ref: the root only points at the property,
            # whose own $ref then resolves against the model's components
            root_schema = {
                "$ref": f"#/properties/{name}",
                "properties": schema["properties"],
                "components": schema["components"],
            }
            validator = Draft4Validator(root_schema)
            errors += [f"{aspect}.{name}: {e.message}" for e in validator.iter_errors(value)]
    return errors


@pytest.mark.parametrize("item", [PACK, CELL + "C-1"])
def test_battery_figures_use_the_model_attributes(standards: Path, item: str) -> None:
    figures = battery_pass(passport(item))
    assert set(figures) == set(ASPECTS)
    assert attribute_errors(standards, figures) == []
    materials = [e["recycledMaterial"] for e in figures["Circularity"]["recycledContent"]]
    assert materials == ["Cobalt", "Lithium", "Nickel"]  # no lead in an NMC pack
    stages = figures["CarbonFootprintForBatteries"]["carbonFootprintPerLifecycleStage"]
    assert [s["lifecycleStage"] for s in stages] == ["RawMaterialExtraction", "MainProduction"]


def test_pack_figures_from_the_chain(standards: Path) -> None:
    """The pack holds 2 x 50 kg of cathode material from a 20 t lot made of 32 t of feed:
    its raw-material footprint is 100/20000 of the feed's 75000 kg CO2e, production the
    refinery's 18500 kg share plus 2 x 120 kg at the cell plant."""
    figures = battery_pass(passport(PACK, battery_chain()))["CarbonFootprintForBatteries"]
    stages = {
        s["lifecycleStage"]: s["carbonFootprint"]
        for s in figures["carbonFootprintPerLifecycleStage"]
    }
    assert stages["RawMaterialExtraction"] == pytest.approx(75_000 * 100 / 20_000)
    assert stages["MainProduction"] == pytest.approx(18_500 * 100 / 20_000 + 240)
    assert figures["absoluteCarbonFootprint"] == pytest.approx(707.5)


def test_a_share_out_of_range_is_caught(standards: Path) -> None:
    """The check itself: a fraction where the model wants percent beyond 100 fails."""
    figures = {"Circularity": {"recycledContent": [
        {"recycledMaterial": "Cobalt", "preConsumerShare": 120.0, "postConsumerShare": 0.0}
    ]}}  # fmt: skip
    assert attribute_errors(standards, figures)
    assert attribute_errors(standards, {"Circularity": {"recycledShares": []}})
