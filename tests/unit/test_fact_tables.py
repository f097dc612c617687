"""The fact set over plain mappings (faust tables in the worker): JSON round trip, idempotent
merges in any order, and the relations the ledger walks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streams._tables import (
    TableFacts,
    aggregation_from_json,
    aggregation_to_json,
    lot_from_json,
    lot_to_json,
    transformation_from_json,
    transformation_to_json,
)
from streams.facts import merge_lot
from streams.ledger import trace_json
from streams.memory_facts import MemoryFacts
from streams.model import Aggregation, LotFacts, RecycledShare, Take, Transformation

ORE = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
CELL = "https://id.gs1.org/01/09506000134437/21/C1"
PACK = "https://id.gs1.org/01/09506000134444/21/P1"
SITE = "https://id.gs1.org/414/0950600022349"
DAY = 86_400 * 1_000_000

ore = LotFacts(
    lot=ORE,
    mass_kg=20000.0,
    element_content={"Co": 0.3},
    recycled={"Co": RecycledShare(0.0, 0.1)},
    country_of_origin="CD",
    carbon_kg_per_kg=2.1,
    carbon_stage="RawMaterialExtraction",
    certificates=("https://certs.example.org/1",),
    source_events=("e1",),
    site="https://id.gs1.org/414/0950600012340",
)
refine = Transformation(
    event_id="e4",
    time_us=1_800_000_000_000_000,
    site=SITE,
    inputs=(Take(ORE, 10000.0),),
    outputs=(Take(CSF, 14300.0),),
    chain_of_custody="mass_balance",
    process_emissions_kg=18500.0,
    process_emissions_stage="MainProduction",
)
pack = Aggregation("e5", 1_800_000_100_000_000, PACK, (Take(CELL, math.inf),))


def tables() -> tuple[TableFacts, dict[str, Any], dict[str, Any]]:
    facts: dict[str, Any] = {}
    index: dict[str, Any] = {}
    return TableFacts(facts, index, merge_lot), facts, index


def test_json_round_trip_keeps_every_member() -> None:
    assert lot_from_json(lot_to_json(ore)) == ore
    merged = merge_lot(ore, LotFacts(ORE, mass_kg=19940.0, source_events=("e3",)))
    assert merged.provenance  # the country came from an older event than the mass
    assert lot_from_json(lot_to_json(merged)) == merged
    assert transformation_from_json(transformation_to_json(refine)) == refine
    assert aggregation_from_json(aggregation_to_json(pack)) == pack  # an object taken whole


def test_relations_answer_what_the_ledger_walks() -> None:
    view, _, _ = tables()
    view.add_lot(ore)
    view.add_transformation(refine)
    view.add_aggregation(pack)
    assert view.lot(ORE) == ore
    assert view.lot(CSF) is None
    assert view.produced_by(CSF) == [refine]
    assert view.consumed_by(ORE) == [refine]
    assert view.produced_by(ORE) == []
    assert view.aggregations_of(PACK) == [pack]
    assert view.parents_of(CELL) == [pack]
    assert view.at_site(SITE, refine.time_us, refine.time_us + 1) == [refine]
    assert view.at_site(SITE, 0, refine.time_us) == []
    assert view.at_site(SITE, refine.time_us - 30 * DAY, refine.time_us + 30 * DAY) == [refine]


def test_at_site_spans_days_and_keeps_the_time_order() -> None:
    view, _, index = tables()
    start = 1_800_000_000_000_000 // DAY * DAY
    txs = [
        Transformation(
            f"d{i}",
            start + i * DAY // 2,
            SITE,
            (Take(ORE, 1.0),),
            (Take(CSF, 1.0),),
            chain_of_custody="mass_balance",
        )
        for i in (5, 0, 3, 1, 4, 2)
    ]
    # not in any pool: not indexed by site
    view.add_transformation(Transformation("cb", start, SITE, (Take(ORE, 1.0),), (Take(CSF, 1.0),)))
    for t in txs:
        view.add_transformation(t)
    assert len([k for k in index if k.startswith("at_site")]) == 3  # one list per day
    assert view.at_site(SITE, 0, 2**62) == sorted(txs, key=lambda t: t.time_us)
    got = view.at_site(SITE, start + DAY // 2, start + 5 * DAY // 2)
    assert [t.event_id for t in got] == ["d1", "d2", "d3", "d4"]


def later(i: int) -> Transformation:
    return Transformation(f"t{i}", 1_000 * (10 - i), SITE, (Take(ORE, 1.0),), (Take(CSF, 1.0),))


@given(st.permutations([0, 1, 2, 3, 4]), st.lists(st.integers(0, 4), max_size=5))
def test_any_order_with_duplicates_gives_the_same_tables(order: list[int], dups: list[int]) -> None:
    pieces: list[Callable[[TableFacts], None]] = [
        lambda v: v.add_lot(ore),
        lambda v: v.add_lot(LotFacts(ORE, mass_kg=19940.0, source_events=("e3",))),
        lambda v: v.add_transformation(refine),
        lambda v: v.add_transformation(later(1)),
        lambda v: v.add_aggregation(pack),
    ]
    reference, ref_facts, ref_index = tables()
    for piece in pieces:
        piece(reference)
    view, facts, index = tables()
    for i in [*order, *dups]:
        pieces[i](view)
    assert (facts, index) == (ref_facts, ref_index)
    # sorted by (time, event id), not by arrival
    assert [t.event_id for t in view.produced_by(CSF)] == ["t1", "e4"]


class CountingTable(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_unchanged_values_are_rewritten_only_when_forced() -> None:
    facts, index = CountingTable(), CountingTable()
    view = TableFacts(facts, index, merge_lot)
    view.add_lot(ore)
    view.add_transformation(refine)
    before = facts.writes + index.writes
    view.add_lot(ore)
    view.add_transformation(refine)
    assert facts.writes + index.writes == before
    view.add_lot(ore, force=True)
    view.add_transformation(refine, force=True)
    assert facts.writes + index.writes == 2 * before


clash = Transformation("e4", refine.time_us, SITE, (Take(ORE, 9000.0),), (Take(PACK, 1.0),))


@settings(deadline=None, max_examples=50)
@given(st.permutations([0, 1, 2, 3, 4, 5]))
def test_tables_answer_like_memory_facts_in_any_order(order: list[int]) -> None:
    """The worker's tables and the ledger's in-memory fact set agree on every relation and
    trace, including two different events declared under one id (the larger is kept)."""
    pieces: list[Callable[[Any], None]] = [
        lambda v: v.add_lot(ore),
        lambda v: v.add_lot(LotFacts(ORE, mass_kg=19940.0, source_events=("e3",))),
        lambda v: v.add_transformation(refine),
        lambda v: v.add_transformation(clash),
        lambda v: v.add_transformation(later(1)),
        lambda v: v.add_aggregation(pack),
    ]
    view, _, _ = tables()
    memory = MemoryFacts()
    for i in order:
        pieces[i](view)
    for piece in pieces:
        piece(memory)
    for lot in (ORE, CSF, PACK, CELL):
        assert view.lot(lot) == memory.lot(lot)
        assert view.produced_by(lot) == memory.produced_by(lot)
        assert view.consumed_by(lot) == memory.consumed_by(lot)
        assert view.aggregations_of(lot) == memory.aggregations_of(lot)
        assert view.parents_of(lot) == memory.parents_of(lot)
        assert trace_json(lot, view) == trace_json(lot, memory)
    assert view.at_site(SITE, 0, 2**62) == memory.at_site(SITE, 0, 2**62)
