"""Lineage: cycles, long supply chains, aggregations (packing and unpacking)."""

from __future__ import annotations

import json
import math

import pytest

from streams.ledger import (
    CONFLICTING_LINEAGE,
    LINEAGE_CYCLE,
    Ledgers,
    compute,
    downstream,
    trace_json,
)
from streams.memory_facts import MemoryFacts
from streams.model import Aggregation, ChainOfCustody, Take, Transformation
from tests.unit.ledger_facts import mine, tx

REL = 1e-12


def types(facts: MemoryFacts, lot: str) -> list[str]:
    return [a.type for a in compute(lot, facts).alerts]


# --- cycles ----------------------------------------------------------------------------------


def test_self_consuming_transformation_is_a_cycle_not_a_recursion_error() -> None:
    facts = MemoryFacts()
    mine(facts, "ore", 100, 0.5)
    tx(facts, "t", [("ore", 100), ("x", 50)], [("x", 150)])
    assert LINEAGE_CYCLE in types(facts, "x")
    assert not compute("x", facts).complete
    assert trace_json("x", facts)["id"] == "x"


def test_two_lot_cycle_terminates_everywhere() -> None:
    facts = MemoryFacts()
    mine(facts, "ore", 100, 0.5)
    tx(facts, "t1", [("ore", 100), ("b", 10)], [("a", 100)])
    tx(facts, "t2", [("a", 10)], [("b", 10)])
    for lot in ("a", "b"):
        doc = trace_json(lot, facts)
        flat = str(doc)
        assert LINEAGE_CYCLE in flat
    assert downstream("ore", facts) == ["a", "b"]


def test_material_back_into_its_mass_balance_pool_is_no_cycle() -> None:
    """x leaves the pool (m1), is blended elsewhere into y, and y comes back into the same
    site and period (m2). y's ledger depends on the pool, so y stays out of the pool's mix;
    every ledger is complete and the same whichever lot is asked for first."""
    facts = MemoryFacts()
    mine(facts, "ore", 100, 0.5)
    tx(facts, "m1", [("ore", 100)], [("x", 100)], "mass_balance", time_us=1)
    tx(facts, "b", [("x", 100)], [("y", 100)], "controlled_blending", time_us=2)
    facts.add_transformation(
        Transformation("m2", 3, "urn:site:s", (Take("y", 100),), (Take("z", 100),), "mass_balance")
    )
    alone = {lot: compute(lot, facts) for lot in ("x", "y", "z")}
    for order in (("x", "y", "z"), ("z", "y", "x"), ("y", "z", "x")):
        ledgers = Ledgers(facts)
        assert {lot: ledgers.of(lot) for lot in order} == alone
    for led in alone.values():
        assert led.complete
        assert led.alerts == ()
        assert led.elements["Co"].mass_kg == pytest.approx(50, rel=REL)
        assert led.elements["Co"].primary_origin_shares() == {"CD": 1.0}


# --- aggregation -----------------------------------------------------------------------------


def cells() -> MemoryFacts:
    facts = MemoryFacts()
    mine(facts, "c1", 10, 0.2, "CD", certificates=("x", "y"), flags=("conflict_area",))
    mine(facts, "c2", 10, 0.1, "ZM", certificates=("y",))
    facts.add_aggregation(
        Aggregation("a1", 1, "module", (Take("c1", math.inf), Take("c2", math.inf)))
    )
    return facts


def test_aggregation_parent_is_the_sum_of_its_children() -> None:
    module = compute("module", cells())
    assert module.mass_kg == 20
    co = module.elements["Co"]
    assert co.mass_kg == pytest.approx(3, rel=REL)  # 2 + 1
    assert co.primary_origin_shares() == {
        "CD": pytest.approx(2 / 3, rel=REL),
        "ZM": pytest.approx(1 / 3, rel=REL),
    }
    assert module.certificates == ("y",)
    assert module.flags == ("conflict_area",)
    assert module.inputs == (("c1", 10), ("c2", 10))


def test_aggregation_delete_removes_children() -> None:
    facts = cells()
    facts.add_aggregation(Aggregation("a2", 2, "module", (Take("c2", math.inf),), "DELETE"))
    assert compute("module", facts).inputs == (("c1", 10),)
    facts.add_aggregation(Aggregation("a3", 3, "module", (), "DELETE"))  # unpack everything
    assert compute("module", facts).inputs == ()
    facts.add_aggregation(Aggregation("a4", 4, "module", (Take("c2", 5),)))
    module = compute("module", facts)
    assert module.mass_kg == 5
    assert module.elements["Co"].mass_kg == pytest.approx(0.5, rel=REL)


def test_lot_both_produced_and_aggregated() -> None:
    facts = cells()
    tx(facts, "t", [("c1", 10)], [("module", 10)])
    assert CONFLICTING_LINEAGE in types(facts, "module")


# --- long chains ----------------------------------------------------------------------------


@pytest.mark.parametrize("chain", ["controlled_blending", "mass_balance"])
def test_a_long_supply_chain_is_no_recursion_error(chain: ChainOfCustody) -> None:
    """5 000 steps, a third of them aggregations, each step losing nothing: the last lot
    carries the first lot's 500 kg of Co."""
    facts = MemoryFacts()
    mine(facts, "l0", 1_000, 0.5)
    for i in range(5_000):
        if i % 3 == 2:
            facts.add_aggregation(Aggregation(f"a{i}", i, f"l{i + 1}", (Take(f"l{i}", 1_000),)))
        else:
            tx(facts, f"t{i}", [(f"l{i}", 1_000)], [(f"l{i + 1}", 1_000)], chain, time_us=i)
    last = compute("l5000", facts)
    assert last.complete
    assert last.elements["Co"].mass_kg == pytest.approx(500, rel=1e-9)
    assert last.elements["Co"].primary_origin_shares() == {"CD": 1.0}
    doc = trace_json("l5000", facts, max_depth=50)
    json.dumps(doc)  # writable: the nesting stops at max_depth
    node = doc
    for _ in range(50):
        (node,) = node["inputs"]
    assert node["inputs"] == []
    assert node["inputsOmitted"] is True
