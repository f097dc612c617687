"""Carbon figures read off a passport's input tree.

The ledger carries a lot's footprint down the supply chain: a transformation's outputs share
their inputs' carried footprint (each input contributes ``kg taken / input mass`` of its own)
plus the transformation's process emissions; an aggregation parent is the sum of its
children. The trace JSON keeps, per lot, the total and the inputs with the quantity taken,
which is enough to split a total in two life-cycle stages the way the project's events tag
them (``ot:carbonFootprint`` of a mined or recycled lot: ``RawMaterialExtraction``;
``ot:processEmissions`` of a transformation: ``MainProduction``):

- raw-material stage: what the lots nothing produced (the leaves of the tree) carry into
  this one, following the same ``kg taken / input mass`` ratios;
- production stage: the rest, i.e. every process emission on the way.

A transformation with several outputs gives each only its mass share of the carried
footprint and the trace does not show the siblings, so when the inputs would carry more than
the lot's total, the carried part is scaled down to the total (exact when the transformation
emitted nothing; otherwise the raw-material part is slightly overstated). A lot whose inputs
the trace omitted (a cycle, or the depth limit) counts as a leaf.

The same walk gives the primary-sourced ratio of the footprint: the share of the leaf mass
carried into the lot whose producer declared a footprint (a leaf without a declaration
contributes zero kg CO2e, i.e. nothing measured).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sink.untp._common import number
from sink.untp._materials import PassportError, obj, real

RAW_MATERIAL_STAGE = "RawMaterialExtraction"
PRODUCTION_STAGE = "MainProduction"


@dataclass(frozen=True)
class CarbonSplit:
    total_kg: float
    raw_material_kg: float
    production_kg: float
    #: leaf mass carried into the lot: all of it, and the part with a declared footprint
    leaf_kg: float
    declared_leaf_kg: float

    @property
    def primary_sourced_ratio(self) -> float:
        return number(self.declared_leaf_kg / self.leaf_kg) if self.leaf_kg > 0 else 0.0

    def by_stage(self) -> dict[str, float]:
        return {RAW_MATERIAL_STAGE: self.raw_material_kg, PRODUCTION_STAGE: self.production_kg}


def total_carbon(node: Mapping[str, Any], where: str = "passport") -> float:
    return real(obj(node.get("carbonFootprint"), f"{where}.carbonFootprint"), "totalKgCO2e", where)


def _walk(node: Mapping[str, Any], where: str) -> tuple[float, float, float]:
    """(raw-material kg CO2e, leaf kg, declared leaf kg) of one lot of the tree."""
    total = total_carbon(node, where)
    inputs = node.get("inputs") or []
    if not isinstance(inputs, list):
        raise PassportError(f"{where}.inputs must be a list")
    if not inputs:
        mass = real(node, "massKg", where)
        return total, mass, mass if total > 0 else 0.0
    carried = raw = leaf = declared = 0.0
    for i, child in enumerate(inputs):
        at = f"{where}.inputs[{i}]"
        child = obj(child, at)
        mass = real(child, "massKg", at)
        taken = real(child, "quantityTakenKg", at) if "quantityTakenKg" in child else mass
        ratio = min(1.0, taken / mass) if mass > 0 else 0.0
        c_raw, c_leaf, c_declared = _walk(child, at)
        carried += total_carbon(child, at) * ratio
        raw += c_raw * ratio
        leaf += c_leaf * ratio
        declared += c_declared * ratio
    scale = min(1.0, total / carried) if carried > 0 else 0.0
    return raw * scale, leaf, declared


def carbon_split(passport: Mapping[str, Any]) -> CarbonSplit:
    total = total_carbon(passport)
    raw, leaf, declared = _walk(passport, "passport")
    raw = min(raw, total)
    return CarbonSplit(number(total), number(raw), number(total - raw), leaf, declared)
