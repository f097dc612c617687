"""streams.facts: values that cannot be facts become problems, and the rest stays."""

from __future__ import annotations

import math
import re
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.facts import WHOLE, extract
from streams.model import ELEMENTS
from tests.unit.facts_events import (
    CELL,
    CSF,
    HYD,
    KOL,
    aggregation,
    commissioning,
    record_of,
    transformation,
)


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


def test_a_record_whose_json_members_are_broken_is_reported() -> None:
    record = record_of(transformation())
    record["ilmd"] = "{not json"
    record["extensions"] = "[1, 2]"
    record["eventTime"] = "yesterday"
    facts = extract(record)
    assert facts.problems[0] == "the record's extensions is not a JSON object"
    assert facts.problems[1].startswith("the record's ilmd is not JSON")
    assert facts.problems[2:] == ("eventTime 'yesterday' is not a time; 0 (the epoch) assumed",)
    assert facts.transformation is not None
    assert facts.transformation.time_us == 0


# -- any event the EPCIS mapping accepts: problems, never an exception ---------------------

_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["0.3", " 1e3 ", "-0", "nan", "Infinity", "1_0", "CD", "Co", "", "#"]),
)
_MEMBER_KEYS = ["ot:element", "ot:massFraction", "ot:preConsumer", "ot:postConsumer",
                "ot:kgCO2ePerKg", "ot:kgCO2e", "ot:stage", "#text", "@value",
                "@measurementUnitCode", "x:other"]  # fmt: skip
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_MEMBER_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)
_numberish = st.one_of(
    st.floats(0, 1),
    st.floats(0, 1).map(str),
    st.floats(0, 1).map(lambda f: {"#text": repr(f), "@x": "y"}),
    st.floats(-0.5, 1.5, allow_nan=False),
    st.sampled_from(["abc", "", "1e400", "-1"]),
)
_entries = st.fixed_dictionaries(
    {
        "ot:element": st.sampled_from([*ELEMENTS, "Fe", "co", "Xyzw"]),
        "ot:massFraction": _numberish,
    },
    optional={
        "ot:preConsumer": _numberish,
        "ot:postConsumer": _numberish,
        "ot:kgCO2ePerKg": _numberish,
        "ot:stage": st.sampled_from(["MainProduction", ""]),
    },
)
_members = st.lists(_entries, min_size=1, max_size=4) | _entries | _json
_ilmd_keys = st.sampled_from(
    ["ot:elementContent", "ot:recycledShare", "ot:carbonFootprint", "cbvmda:countryOfOrigin",
     "cbvmda:netWeight", "cbvmda:lotNumber"]
)  # fmt: skip
_quantity = st.fixed_dictionaries(
    {"epcClass": st.sampled_from([KOL, HYD, CSF])},
    optional={
        "quantity": st.floats(-10, 1e9, allow_nan=False),
        "uom": st.sampled_from(["KGM", "TNE", "EA", "LTR", "LBR"]),
    },
).filter(lambda q: "uom" not in q or "quantity" in q)
_epcs = st.lists(st.sampled_from([CELL + "1", CELL + "2", CELL + "3"]), max_size=3)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["commissioning", "transformation", "aggregation"]))
    quantities = st.lists(_quantity, max_size=3)
    if kind == "commissioning":
        event = commissioning()
        event["action"] = draw(st.sampled_from(["ADD", "ADD", "OBSERVE", "DELETE"]))
        event["quantityList"] = draw(quantities)
        event["epcList"] = draw(_epcs)
    elif kind == "transformation":
        event = transformation()
        for field in ("inputQuantityList", "outputQuantityList"):
            event[field] = draw(quantities)
        for field in ("inputEPCList", "outputEPCList"):
            event[field] = draw(_epcs)
        event["ot:chainOfCustody"] = draw(_json)
        event["ot:processEmissions"] = draw(_members)
        if not any(event[f] for f in ("inputQuantityList", "outputQuantityList")):
            event["inputEPCList"] = [CELL + "9"]
    else:
        event = aggregation(draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"])))
        event["childQuantityList"] = draw(quantities)
        event["childEPCs"] = draw(_epcs)
    if kind != "aggregation":
        event["ilmd"] = draw(st.dictionaries(_ilmd_keys, _members, max_size=5))
    return event


def _is_mass(kg: float | None) -> bool:
    return kg is None or (math.isfinite(kg) and kg >= 0)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_extract_never_raises_and_states_only_valid_facts(event: dict[str, Any]) -> None:
    facts = extract(record_of(event))
    assert all(isinstance(problem, str) and problem for problem in facts.problems)
    if facts.lots:
        hypothesis.event(
            "lots with element content", str(any(f.element_content for f in facts.lots))
        )
    for lot in facts.lots:
        assert _is_mass(lot.mass_kg)
        assert all(0 <= f <= 1 for f in lot.element_content.values())
        assert set(lot.element_content) <= set(ELEMENTS)
        assert all(s.pre_consumer + s.post_consumer <= 1 + 1e-9 for s in lot.recycled.values())
        assert lot.country_of_origin is None or re.fullmatch("[A-Z]{2}", lot.country_of_origin)
        assert lot.carbon_kg_per_kg is None or lot.carbon_kg_per_kg >= 0
    takes = [
        *(
            facts.transformation.inputs + facts.transformation.outputs
            if facts.transformation
            else ()
        ),
        *(facts.aggregation.children if facts.aggregation else ()),
    ]
    assert all(_is_mass(take.kg) or take.kg == WHOLE for take in takes)
    if facts.transformation is not None:
        assert facts.transformation.process_emissions_kg >= 0
