"""streams.facts: what each TraceEvent states about lots, transformations and aggregations."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime

import pytest

from connectors.epcis import iter_json_events
from oretrail.epcis import EPCIS_CONTEXT, DocumentEvent, to_trace_event
from oretrail.serde import SingleObjectSerde
from streams.facts import WHOLE, FactsError, extract, to_kg
from streams.model import Aggregation, LotFacts, RecycledShare, Take, Transformation
from tests.unit.facts_events import (
    CELL,
    CERT,
    CSF,
    HYD,
    KOL,
    MINE,
    MODULE,
    ORIGIN,
    OT,
    REFINERY,
    ROOT,
    SLAG,
    aggregation,
    commissioning,
    record_of,
    transformation,
)  # fmt: skip

# -- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "uom", "kg"),
    [
        (5.0, "KGM", 5.0),
        (20.0, "TNE", 20_000.0),
        (1500.0, "GRM", 1.5),
        (2_000_000.0, "MGM", 2.0),
        (100.0, "LBR", 45.359237),
        (3.0, "DTN", 300.0),
        (0.0, "KGM", 0.0),
    ],
)
def test_to_kg_converts_units_of_mass(quantity: float, uom: str, kg: float) -> None:
    assert to_kg(quantity, uom) == pytest.approx(kg, rel=1e-15)


@pytest.mark.parametrize(
    ("quantity", "uom", "message"),
    [
        (3.0, None, "is a count of items, not a mass"),
        (3.0, "EA", "is a count of items, not a mass"),
        (3.0, "LTR", "'LTR' is not a unit of mass"),
        (-1.0, "KGM", "is not a mass"),
        (math.inf, "TNE", "is not a mass"),
        (math.nan, "KGM", "is not a mass"),
    ],
)
def test_to_kg_refuses_counts_and_other_units(
    quantity: float, uom: str | None, message: str
) -> None:
    with pytest.raises(FactsError, match=message):
        to_kg(quantity, uom)


# -- commissioning -------------------------------------------------------------------------


def test_commissioning_states_the_lot_and_its_declared_composition() -> None:
    facts = extract(record_of(commissioning()))
    assert facts.problems == ()
    assert facts.event_id == "urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0001"
    assert facts.transformation is None
    assert facts.aggregation is None
    assert facts.lots == (
        LotFacts(
            lot=KOL,
            mass_kg=20 * 1000.0,
            element_content={"Co": 0.30, "Ni": 0.05},
            recycled={"Co": RecycledShare(pre_consumer=0.0, post_consumer=0.1)},
            country_of_origin="CD",
            carbon_kg_per_kg=2.1,
            carbon_stage="RawMaterialExtraction",
            certificates=(CERT,),
            source_events=(facts.event_id,),
            site=MINE,
        ),
    )


def test_the_sample_documents_commissioning_matches_its_json() -> None:
    with (ROOT / "examples/epcis/cobalt-refinery-batch.jsonld").open("rb") as stream:
        events = [e for e in iter_json_events(stream) if isinstance(e, DocumentEvent)]
    first = events[0].event
    lot = extract(to_trace_event(events[0], origin=ORIGIN)).lots[0]
    quantity = first["quantityList"][0]
    assert (lot.lot, lot.mass_kg) == (quantity["epcClass"], float(quantity["quantity"]))
    content = first["ilmd"]["ot:elementContent"][0]
    assert lot.element_content == {content["ot:element"]: content["ot:massFraction"]}
    assert lot.country_of_origin == first["ilmd"]["cbvmda:countryOfOrigin"]
    # shipping and receiving OBSERVE the lot: they state no composition
    for observed in events[1:3]:
        assert extract(to_trace_event(observed, origin=ORIGIN)).lots == ()


def test_counted_items_weigh_their_net_weight() -> None:
    event = commissioning()
    event["quantityList"] = [{"epcClass": HYD, "quantity": 400, "uom": "EA"}]
    event["epcList"] = [CELL + "C-1"]
    event["ilmd"] = {"cbvmda:netWeight": {"@measurementUnitCode": "GRM", "#text": "2500"}}
    lots = {lot.lot: lot.mass_kg for lot in extract(record_of(event)).lots}
    assert lots == {HYD: pytest.approx(400 * 2.5), CELL + "C-1": pytest.approx(2.5)}


def test_a_count_without_net_weight_is_reported_and_its_mass_left_unknown() -> None:
    event = commissioning()
    event["quantityList"] = [{"epcClass": HYD, "quantity": 400}]
    facts = extract(record_of(event))
    assert facts.lots[0].mass_kg is None
    assert facts.problems == (
        f"quantityList {HYD}: quantity 400 (no uom) is a count of items, not a mass",
    )


def test_commissioning_without_a_quantity_leaves_the_mass_to_other_events() -> None:
    event = commissioning()
    event["quantityList"] = [{"epcClass": KOL}]
    facts = extract(record_of(event))
    assert (facts.lots[0].mass_kg, facts.lots[0].country_of_origin, facts.problems) == (
        None,
        "CD",
        (),
    )


# -- transformation ------------------------------------------------------------------------


def test_transformation_links_inputs_to_outputs_in_kg() -> None:
    facts = extract(record_of(transformation()))
    assert facts.problems == ()
    event_id = "urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0002"
    assert facts.transformation == Transformation(
        event_id=event_id,
        # 2026-11-01T22:45+01:00 = 21:45 UTC
        time_us=int(datetime(2026, 11, 1, 21, 45, tzinfo=UTC).timestamp()) * 1_000_000,
        site=REFINERY,
        # KOL is listed twice (10000 + 500 kg); lots come sorted
        inputs=(Take(HYD, 2.5 * 1000), Take(KOL, 10000.0 + 500.0)),
        outputs=(Take(CSF, 14300.0), Take(SLAG, 1.2 * 1000)),
        chain_of_custody="mass_balance",
        process_emissions_kg=18500.0,
        process_emissions_stage="MainProduction",
    )
    # the ILMD applies to every output, each with its own output mass
    assert [(f.lot, f.mass_kg, f.element_content, f.site) for f in facts.lots] == [
        (CSF, 14300.0, {"Co": 0.2088}, REFINERY),
        (SLAG, 1200.0, {"Co": 0.2088}, REFINERY),
    ]
    assert all(f.source_events == (event_id,) for f in facts.lots)


def test_chain_of_custody_defaults_to_controlled_blending() -> None:
    event = transformation()
    del event["ot:chainOfCustody"], event["ot:processEmissions"]
    t = extract(record_of(event)).transformation
    assert t is not None
    assert (t.chain_of_custody, t.process_emissions_kg, t.process_emissions_stage) == (
        "controlled_blending",
        0.0,
        None,
    )


@pytest.mark.parametrize(
    "chain", ["identity_preserved", "segregated", "controlled_blending", "mass_balance"]
)
def test_each_chain_of_custody_model_is_read(chain: str) -> None:
    event = transformation()
    event["ot:chainOfCustody"] = chain
    t = extract(record_of(event)).transformation
    assert t is not None
    assert t.chain_of_custody == chain


def test_an_unknown_chain_of_custody_is_reported_and_the_default_kept() -> None:
    event = transformation()
    event["ot:chainOfCustody"] = "book_and_claim"
    facts = extract(record_of(event))
    assert facts.transformation is not None
    assert facts.transformation.chain_of_custody == "controlled_blending"
    assert len(facts.problems) == 1
    assert "ot:chainOfCustody 'book_and_claim' is not one of" in facts.problems[0]


def test_epc_lists_of_unknown_mass_are_reported_and_left_out_of_the_balance() -> None:
    event = transformation()
    event["inputEPCList"] = [CELL + "C-9"]
    event["outputEPCList"] = [CELL + "C-10"]
    facts = extract(record_of(event))
    assert facts.transformation is not None
    assert [take.lot for take in facts.transformation.inputs] == [HYD, KOL]
    assert [take.lot for take in facts.transformation.outputs] == [CSF, SLAG]
    assert facts.problems == (
        f"inputEPCList {CELL}C-9 has no quantity: its mass is unknown",
        f"outputEPCList {CELL}C-10 has no quantity: its mass is unknown",
    )
    # the output still gets the composition the ILMD declares
    unknown = next(f for f in facts.lots if f.lot == CELL + "C-10")
    assert (unknown.mass_kg, unknown.element_content) == (None, {"Co": 0.2088})


def test_output_epcs_weigh_the_net_weight_the_ilmd_gives() -> None:
    event = transformation()
    event["outputEPCList"] = [CELL + "C-10"]
    event["ilmd"]["cbvmda:netWeight"] = 0.5
    t = extract(record_of(event)).transformation
    assert t is not None
    assert Take(CELL + "C-10", 0.5) in t.outputs


# -- aggregation ---------------------------------------------------------------------------


def test_aggregation_packs_whole_epcs_and_weighed_quantities() -> None:
    facts = extract(record_of(aggregation()))
    assert facts.problems == ()
    assert facts.lots == ()
    assert facts.aggregation == Aggregation(
        event_id="urn:uuid:0d7f0c2e-1f7e-4c55-9b1a-6a0f3c2b0003",
        time_us=int(datetime(2026, 11, 5, 8, tzinfo=UTC).timestamp()) * 1_000_000,
        parent=MODULE,
        children=(Take(HYD, 0.8), Take(CELL + "C-1", WHOLE), Take(CELL + "C-2", WHOLE)),
        action="ADD",
    )


def test_an_aggregation_delete_without_children_unpacks_all() -> None:
    event = aggregation("DELETE")
    del event["childEPCs"], event["childQuantityList"]
    a = extract(record_of(event)).aggregation
    assert a is not None
    assert (a.action, a.parent, a.children) == ("DELETE", MODULE, ())


def test_an_aggregation_observe_states_nothing() -> None:
    facts = extract(record_of(aggregation("OBSERVE")))
    assert (facts.aggregation, facts.lots, facts.problems) == (None, (), ())


def test_site_is_the_business_location_else_the_read_point() -> None:
    event = commissioning()
    event["bizLocation"] = {"id": REFINERY}
    assert extract(record_of(event)).lots[0].site == REFINERY
    del event["bizLocation"]
    assert extract(record_of(event)).lots[0].site == MINE


def test_prefixes_are_the_documents_own() -> None:
    """A document may bind the ot namespace to any prefix; the IRI is what counts."""
    renamed = json.loads(json.dumps(commissioning()).replace('"ot:', '"ore:'))
    context = [EPCIS_CONTEXT, {"ore": OT, "mda": "urn:epcglobal:cbv:mda:"}]
    renamed["ilmd"]["mda:countryOfOrigin"] = renamed["ilmd"].pop("cbvmda:countryOfOrigin")
    assert extract(record_of(renamed, context)) == extract(record_of(commissioning()))


def test_members_may_be_named_by_absolute_iri() -> None:
    event = commissioning()
    event["ilmd"] = {
        f"{OT}elementContent": event["ilmd"].pop("ot:elementContent"),
        "urn:epcglobal:cbv:mda:countryOfOrigin": event["ilmd"].pop("cbvmda:countryOfOrigin"),
        **event["ilmd"],
    }
    assert extract(record_of(event)) == extract(record_of(commissioning()))


def test_the_avro_decoded_record_gives_the_same_facts() -> None:
    serde = SingleObjectSerde()
    for event in (commissioning(), transformation(), aggregation()):
        record = record_of(copy.deepcopy(event))
        decoded = serde.decode("trace_event", serde.encode("trace_event", record, "t"), "t")
        assert isinstance(decoded["eventTime"], datetime)
        assert extract(decoded) == extract(record)
