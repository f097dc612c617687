"""streams.facts: values that cannot be facts become problems, and the rest stays."""

from __future__ import annotations

from typing import Any

import pytest

from streams.facts import extract
from tests.unit.facts_events import commissioning, record_of, transformation


def _with_ilmd(**members: Any) -> dict[str, Any]:
    event = commissioning()
    event["ilmd"] = {key.replace("__", ":"): value for key, value in members.items()}
    return event


def _content(*pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"ot:element": e, "ot:massFraction": f} for e, f in pairs]


@pytest.mark.parametrize(
    ("event", "problem", "content"),
    [
        (
            _with_ilmd(ot__elementContent=_content(("Co", "abc"), ("Ni", 0.1))),
            "ot:massFraction of Co 'abc' is not a number",
            {"Ni": 0.1},
        ),
        (
            _with_ilmd(ot__elementContent=_content(("Co", 1.2))),
            "ot:massFraction of Co 1.2 is not a fraction between 0 and 1",
            {},
        ),
        (  # fractions fine one by one, wrong together: kept and reported
            _with_ilmd(ot__elementContent=_content(("Co", 0.7), ("Ni", 0.5))),
            "ot:elementContent mass fractions sum to 1.2, more than 1",
            {"Co": 0.7, "Ni": 0.5},
        ),
        (  # an element beyond the tracked six counts in the sum but is not kept
            _with_ilmd(ot__elementContent=_content(("Fe", 0.5), ("Co", 0.6))),
            "ot:elementContent mass fractions sum to 1.1, more than 1",
            {"Co": 0.6},
        ),
        (
            _with_ilmd(ot__elementContent=_content(("Co", 0.3), ("Co", 0.4))),
            "ot:elementContent declares Co more than once; the first is kept",
            {"Co": 0.3},
        ),
        (
            _with_ilmd(ot__elementContent=_content(("Cobalt", 0.3))),
            "ot:elementContent ot:element 'Cobalt' is not a chemical element symbol",
            {},
        ),
        (
            _with_ilmd(ot__elementContent=[{"ot:element": "Co"}]),
            "ot:elementContent entry for Co has no ot:massFraction",
            {},
        ),
    ],
)
def test_element_content_problems(
    event: dict[str, Any], problem: str, content: dict[str, float]
) -> None:
    facts = extract(record_of(event))
    assert facts.problems == (problem,)
    assert facts.lots[0].element_content == content


@pytest.mark.parametrize(
    ("ilmd", "problem"),
    [
        (
            {
                "ot:recycledShare": [
                    {"ot:element": "Co", "ot:preConsumer": 0.6, "ot:postConsumer": 0.5}
                ]
            },
            "ot:recycledShare of Co: ot:preConsumer 0.6 + ot:postConsumer 0.5 is more than 1",
        ),
        (
            {"ot:recycledShare": [{"ot:element": "Co", "ot:postConsumer": -0.1}]},
            "ot:postConsumer of Co -0.1 is not a fraction between 0 and 1",
        ),
        (
            {"cbvmda:countryOfOrigin": "COD"},
            "cbvmda:countryOfOrigin 'COD' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            {"cbvmda:countryOfOrigin": "cd"},
            "cbvmda:countryOfOrigin 'cd' is not an ISO 3166-1 alpha-2 code",
        ),
        (
            {"ot:carbonFootprint": {"ot:kgCO2ePerKg": -2}},
            "ot:carbonFootprint ot:kgCO2ePerKg -2 is negative",
        ),
        ({"ot:carbonFootprint": 5}, "ot:carbonFootprint 5 is not an object"),
        ({"ot:carbonFootprint": {"ot:stage": "X"}}, "ot:carbonFootprint has no ot:kgCO2ePerKg"),
        ({"cbvmda:netWeight": "1e999"}, "cbvmda:netWeight '1e999' is not a finite number"),
    ],
)
def test_values_out_of_range_are_reported_and_left_out(ilmd: dict[str, Any], problem: str) -> None:
    event = commissioning()
    event["ilmd"] = ilmd
    facts = extract(record_of(event))
    assert facts.problems == (problem,)
    lot = facts.lots[0]
    assert (lot.recycled, lot.country_of_origin, lot.carbon_kg_per_kg) == ({}, None, None)
    assert lot.mass_kg == 20_000.0


def test_bad_process_emissions_are_reported() -> None:
    event = transformation()
    event["ot:processEmissions"] = {"ot:kgCO2e": "lots", "ot:stage": "MainProduction"}
    facts = extract(record_of(event))
    assert facts.problems == ("ot:processEmissions ot:kgCO2e 'lots' is not a number",)
    assert facts.transformation is not None
    assert facts.transformation.process_emissions_kg == 0.0


def test_ilmd_on_an_observation_is_reported_not_applied() -> None:
    event = commissioning()
    event["action"] = "OBSERVE"
    facts = extract(record_of(event))
    assert facts.lots == ()
    assert facts.problems
    assert "the ILMD of this ObjectEvent (action OBSERVE) is ignored" in (facts.problems[0])
