"""The arithmetic behind a passport's UNTP figures: origin shares x element mass, recycled
shares -> circularity, the carbon split by life-cycle stage, the Annex XIII percentages.
Expected values are worked out by hand in the comments."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.untp import PassportError, battery_pass
from sink.untp._carbon import carbon_split
from sink.untp._materials import material_parts, materials_provenance, recycled_content


def lot(mass: float, elements: dict[str, Any], total: float = 0.0, **more: Any) -> dict[str, Any]:
    return {
        "id": "https://id.gs1.org/01/09506000134420/10/L1",
        "massKg": mass,
        "complete": True,
        "elements": elements,
        "carbonFootprint": {"totalKgCO2e": total, "kgCO2ePerKg": total / mass if mass else 0.0},
        "certificates": [],
        "flags": [],
        "alerts": [],
        "inputs": [],
        **more,
    }


def element(mass: float, pre: float, post: float, origin: dict[str, float]) -> dict[str, Any]:
    return {
        "massKg": mass,
        "recycledShare": {"preConsumer": pre, "postConsumer": post},
        "primaryOrigin": origin,
    }


# 100 kg of material: 20 kg Co (10 % pre-, 15 % post-consumer, the primary rest 60 % from the
# DR Congo and 40 % from Zambia), 5 kg Li of undeclared origin, 2 kg Pb all recycled
WORKED = lot(
    100.0,
    {
        "Co": element(20.0, 0.10, 0.15, {"CD": 0.6, "ZM": 0.4}),
        "Li": element(5.0, 0.0, 0.0, {"unknown": 1.0}),
        "Pb": element(2.0, 0.5, 0.5, {}),
    },
)


def test_materials_partition_each_element_by_origin_and_recycling() -> None:
    rows = {m["name"]: m for m in materials_provenance(WORKED)}
    # Co primary = 20 * (1 - 0.10 - 0.15) = 15 kg: CD 15 * 0.6 = 9, ZM 15 * 0.4 = 6
    assert rows["Cobalt (Co), primary, origin CD"]["mass"] == {"value": 9.0, "unit": "KGM"}
    assert rows["Cobalt (Co), primary, origin CD"]["massFraction"] == 0.09
    assert rows["Cobalt (Co), primary, origin CD"]["originCountry"] == "CD"
    assert rows["Cobalt (Co), primary, origin ZM"]["massFraction"] == 0.06
    # recycled Co: 20 * 0.10 = 2 kg pre-consumer, 20 * 0.15 = 3 kg post-consumer
    assert rows["Cobalt (Co), recycled pre-consumer"]["massFraction"] == 0.02
    assert rows["Cobalt (Co), recycled post-consumer"]["massFraction"] == 0.03
    assert rows["Cobalt (Co), recycled post-consumer"]["recycledMassFraction"] == 1.0
    assert "originCountry" not in rows["Cobalt (Co), recycled post-consumer"]
    # Li: 5 kg primary, country unknown: no originCountry rather than a made-up one
    unknown = rows["Lithium (Li), primary, origin unknown"]
    assert (unknown["massFraction"], unknown["recycledMassFraction"]) == (0.05, 0.0)
    assert "originCountry" not in unknown
    # Pb: 1 kg pre + 1 kg post; no primary part at all
    assert rows["Lead (Pb), recycled pre-consumer"]["mass"]["value"] == 1.0
    assert not any(name.startswith("Lead (Pb), primary") for name in rows)
    # what no element accounts for: 100 - 20 - 5 - 2 = 73 kg
    assert rows["Other material (not traced by element)"]["massFraction"] == 0.73
    assert math.isclose(sum(m["massFraction"] for m in rows.values()), 1.0)


def test_critical_raw_material_flag() -> None:
    rows = {m["name"]: m for m in materials_provenance(WORKED)}
    assert (
        rows["Cobalt (Co), primary, origin CD"]["materialType"]["code"] == "critical-raw-material"
    )
    assert rows["Lithium (Li), primary, origin unknown"]["materialType"]["code"] == (
        "critical-raw-material"
    )
    assert "materialType" not in rows["Lead (Pb), recycled pre-consumer"]  # lead is not listed
    assert "materialType" not in rows["Other material (not traced by element)"]
    assert all(m["hazardous"] is False for m in rows.values())


def test_recycled_content_is_the_recycled_share_of_the_traced_element_mass() -> None:
    # recycled: Co 2 + 3, Pb 1 + 1 = 7 kg of 27 kg traced element mass
    assert recycled_content(WORKED) == pytest.approx(7 / 27, rel=1e-11)
    assert recycled_content(lot(10.0, {})) is None


def test_primary_mass_without_a_declared_country_is_of_unknown_origin() -> None:
    parts = material_parts(lot(10.0, {"Ni": element(4.0, 0.25, 0.0, {})}))
    assert [(p.kind, p.country, p.kg) for p in parts] == [
        ("primary", None, 3.0),
        ("pre_consumer", None, 1.0),
    ]


def test_battery_pass_recycled_content_in_percent_for_the_annex_xiii_metals() -> None:
    figures = battery_pass(WORKED)["Circularity"]["recycledContent"]
    # Co 10 % / 15 %, Pb 50 % / 50 %; Li has none; Ni is absent; Mn would not be listed
    assert figures == [
        {"recycledMaterial": "Cobalt", "preConsumerShare": 10.0, "postConsumerShare": 15.0},
        {"recycledMaterial": "Lithium", "preConsumerShare": 0.0, "postConsumerShare": 0.0},
        {"recycledMaterial": "Lead", "preConsumerShare": 50.0, "postConsumerShare": 50.0},
    ]
    assert "CarbonFootprintForBatteries" not in battery_pass(WORKED)  # no footprint known


def test_carbon_split_follows_the_quantities_taken() -> None:
    # mine A: 1000 kg at 2 kg CO2e/kg = 2000; mine B: 500 kg, nothing declared.
    # N takes 500 kg of A (half its footprint: 1000) and all of B, and emits 1600 itself.
    a = lot(1000.0, {}, 2000.0, quantityTakenKg=500.0)
    b = lot(500.0, {}, 0.0, quantityTakenKg=500.0)
    node = lot(800.0, {}, 2600.0, inputs=[a, b])
    split = carbon_split(node)
    assert (split.raw_material_kg, split.production_kg) == (1000.0, 1600.0)
    # leaf mass carried in: 500 kg of A (declared) + 500 kg of B (not): half is primary data
    assert split.primary_sourced_ratio == 0.5
    pack = battery_pass(node)["CarbonFootprintForBatteries"]
    assert pack == {
        "absoluteCarbonFootprint": 2600.0,
        "carbonFootprintPerLifecycleStage": [
            {"lifecycleStage": "RawMaterialExtraction", "carbonFootprint": 1000.0},
            {"lifecycleStage": "MainProduction", "carbonFootprint": 1600.0},
        ],
    }


def test_a_share_of_a_split_transformation_caps_the_carried_footprint() -> None:
    # M takes all of A (2000 carried) but got only 600 of the transformation's footprint (its
    # siblings took the rest): the carried part is scaled to 600, nothing is production
    a = lot(1000.0, {}, 2000.0, quantityTakenKg=1000.0)
    split = carbon_split(lot(300.0, {}, 600.0, inputs=[a]))
    assert (split.raw_material_kg, split.production_kg) == (600.0, 0.0)


def test_a_lot_nothing_produced_is_all_raw_material() -> None:
    split = carbon_split(lot(10.0, {}, 21.0))
    assert (split.raw_material_kg, split.production_kg, split.primary_sourced_ratio) == (
        21.0,
        0.0,
        1.0,
    )


def test_malformed_passports_name_the_member() -> None:
    with pytest.raises(PassportError, match=r"passport\.elements\.Co\.massKg must be a number"):
        materials_provenance(lot(1.0, {"Co": {"massKg": "12"}}))
    with pytest.raises(PassportError, match=r"inputs\[0\]\.massKg"):
        carbon_split(lot(1.0, {}, 1.0, inputs=[{"carbonFootprint": {"totalKgCO2e": 1.0}}]))


shares = st.floats(0.0, 1.0)
COUNTRIES = ["CD", "ID", "CL", "AU", "unknown"]
masses = st.floats(0.0, 1e7)


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    out = {}
    for symbol in draw(st.sets(st.sampled_from(["Li", "Co", "Ni", "Mn", "C", "Cu", "Pb"]))):
        pre = draw(shares)
        post = draw(st.floats(0.0, 1.0 - pre))
        countries = draw(
            st.lists(st.sampled_from(["CD", "ID", "CL", "AU", "unknown"]), unique=True)
        )
        weights = [draw(st.floats(0.01, 1.0)) for _ in countries]
        origin = {c: w / sum(weights) for c, w in zip(countries, weights, strict=True)}
        out[symbol] = element(draw(masses), pre, post, origin)
    return out


@given(ledgers(), st.floats(0.0, 1e6))
def test_parts_add_up_to_the_element_mass(elements: dict[str, Any], extra: float) -> None:
    element_kg = sum(e["massKg"] for e in elements.values())
    passport = lot(element_kg + extra, elements)
    parts = material_parts(passport)
    assert math.isclose(sum(p.kg for p in parts), element_kg, rel_tol=1e-9, abs_tol=1e-6)
    rows = materials_provenance(passport)
    if passport["massKg"] > 0:
        assert math.isclose(sum(r["massFraction"] for r in rows), 1.0, rel_tol=1e-9, abs_tol=1e-9)
    content = recycled_content(passport)
    recycled = sum(
        e["massKg"] * (e["recycledShare"]["preConsumer"] + e["recycledShare"]["postConsumer"])
        for e in elements.values()
    )
    if content is None:
        assert element_kg == 0 or not parts
    else:
        assert 0.0 <= content <= 1.0
        assert math.isclose(content, recycled / element_kg, rel_tol=1e-9, abs_tol=1e-11)


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> dict[str, Any]:
    mass = draw(st.floats(0.0, 1e5))
    total = draw(st.floats(0.0, 1e6))
    inputs = draw(st.lists(trees(depth - 1), max_size=3)) if depth > 0 else []
    for child in inputs:
        child["quantityTakenKg"] = draw(st.floats(0.0, 2e5))
    return lot(mass, {}, total, inputs=inputs)


@given(trees())
def test_stages_add_up_to_the_total(tree: dict[str, Any]) -> None:
    split = carbon_split(tree)
    assert 0.0 <= split.raw_material_kg <= split.total_kg
    assert math.isclose(
        split.raw_material_kg + split.production_kg, split.total_kg, rel_tol=1e-9, abs_tol=1e-6
    )
    assert 0.0 <= split.primary_sourced_ratio <= 1.0
