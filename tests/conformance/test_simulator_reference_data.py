"""The simulator's cited tables (simulator.reference) are the battery-passport reference
pack's figures: BatPac 5.1 NMC811 mineral intensities and Istrate et al. 2024 cradle-to-gate
footprints (../shared/standards/batterypass/reference-data)."""

from __future__ import annotations

import csv
from pathlib import Path

from simulator.reference import GHG_KG_PER_KG, NMC811_KG_PER_KWH

MINERALS = {"Li": "Lithium", "Ni": "Nickel", "Co": "Cobalt", "Mn": "Manganese",
            "C": "Graphite", "Cu": "Copper"}  # fmt: skip
MATERIALS = {
    "lioh_spodumene": "Lithium, spodumene",
    "li2co3_brine": "Lithium, brine - carbonate",
    "coso4": "Cobalt",
    "niso4": "Nickel",
    "graphite_natural": "Graphite, natural",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_nmc811_mineral_intensities_are_batpac_51(standards: Path) -> None:
    rows = _rows(standards / "batterypass/reference-data/batpac51_mineral_intensity_kg_per_kwh.csv")
    table = {(r["mineral"], r["chemistry"]): float(r["kg_per_kwh"]) for r in rows}
    assert {e: table[MINERALS[e], "NMC 811"] for e in NMC811_KG_PER_KWH} == NMC811_KG_PER_KWH


def test_raw_material_footprints_are_istrate_2024(standards: Path) -> None:
    rows = _rows(standards / "batterypass/reference-data/raw_material_ghg_istrate2024.csv")
    table = {r["raw_material"]: float(r["kg_co2e_per_unit"]) for r in rows}
    assert {k: table[MATERIALS[k]] for k in GHG_KG_PER_KG} == GHG_KG_PER_KG
