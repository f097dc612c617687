"""A worked example computed by hand: three mines, a recycler's black mass, a refinery and a
cathode plant, partial consumption, two elements, carbon with process emissions.

Facts (kg; fractions of the lot's mass):

    CD mine    20 000 kg  Co 0.30  Ni 0.05  country CD  2.0 kgCO2e/kg
    ZM mine    10 000 kg  Co 0.20  Ni 0.10  country ZM  3.0 kgCO2e/kg
    AU mine     8 000 kg           Ni 0.25  country AU  1.5 kgCO2e/kg
    black mass  5 000 kg  Co 0.10  Ni 0.20  recycled: Co pre 0.2 post 0.8, Ni post 1.0;
                                            0.5 kgCO2e/kg

    T1 refinery (controlled blending, 10 000 kgCO2e process emissions):
       takes 10 000 of CD (half), 10 000 of ZM (all), 2 500 of black mass (half)
       makes INTER 12 000 kg and RESIDUE 3 000 kg, no declared composition
    T2 cathode plant (controlled blending, 5 000 kgCO2e):
       takes 6 000 of INTER (half), 4 000 of AU (half)
       makes PCAM 5 000 kg declaring Co 0.40, Ni 0.35
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.epcis import iter_json_events
from oretrail.epcis import DocumentEvent, to_trace_event
from streams.facts import extract
from streams.ledger import compute, trace_json
from streams.memory_facts import MemoryFacts
from streams.model import LotFacts, RecycledShare, Take, Transformation

CD, ZM, AU, BM = "urn:lot:cd", "urn:lot:zm", "urn:lot:au", "urn:lot:black-mass"
INTER, RESIDUE, PCAM = "urn:lot:inter", "urn:lot:residue", "urn:lot:pcam"
DAY = 86_400_000_000
REL = 1e-12


def worked_facts() -> MemoryFacts:
    facts = MemoryFacts()
    facts.add_lot(
        LotFacts(CD, 20_000, {"Co": 0.30, "Ni": 0.05}, {}, "CD", 2.0, None, (), (), ("e1",))
    )
    facts.add_lot(
        LotFacts(ZM, 10_000, {"Co": 0.20, "Ni": 0.10}, {}, "ZM", 3.0, None, (), (), ("e2",))
    )
    facts.add_lot(LotFacts(AU, 8_000, {"Ni": 0.25}, {}, "AU", 1.5, source_events=("e3",)))
    recycled = {"Co": RecycledShare(0.2, 0.8), "Ni": RecycledShare(0.0, 1.0)}
    facts.add_lot(
        LotFacts(BM, 5_000, {"Co": 0.10, "Ni": 0.20}, recycled, "DE", 0.5, source_events=("e4",))
    )
    t1 = Transformation(
        "t1",
        10 * DAY,
        "urn:site:refinery",
        (Take(CD, 10_000), Take(ZM, 10_000), Take(BM, 2_500)),
        (Take(INTER, 12_000), Take(RESIDUE, 3_000)),
        "controlled_blending",
        10_000,
    )
    t2 = Transformation(
        "t2",
        20 * DAY,
        "urn:site:cathode",
        (Take(INTER, 6_000), Take(AU, 4_000)),
        (Take(PCAM, 5_000),),
        "controlled_blending",
        5_000,
    )
    facts.add_transformation(t1)
    facts.add_transformation(t2)
    facts.add_lot(LotFacts(INTER, 12_000, source_events=("t1",)))
    facts.add_lot(LotFacts(RESIDUE, 3_000, source_events=("t1",)))
    facts.add_lot(LotFacts(PCAM, 5_000, {"Co": 0.40, "Ni": 0.35}, source_events=("t2",)))
    return facts


def test_mine_is_its_own_facts() -> None:
    cd = compute(CD, worked_facts())
    # Co 20 000 * 0.30 = 6 000 kg, all primary from CD; Ni 20 000 * 0.05 = 1 000 kg
    assert cd.elements["Co"].mass_kg == pytest.approx(6_000, rel=REL)
    assert cd.elements["Co"].primary_origin_kg == {"CD": pytest.approx(6_000, rel=REL)}
    assert cd.elements["Ni"].mass_kg == pytest.approx(1_000, rel=REL)
    assert cd.carbon_kg == pytest.approx(40_000, rel=REL)  # 20 000 * 2.0
    assert cd.complete
    assert cd.alerts == ()


def test_black_mass_has_no_primary_part() -> None:
    bm = compute(BM, worked_facts())
    # Co 500 kg: pre 0.2 * 500 = 100, post 400, primary 0 -> no origin (the "DE" is unused)
    co = bm.elements["Co"]
    assert (co.mass_kg, co.pre_consumer_kg, co.post_consumer_kg) == pytest.approx((500, 100, 400))
    assert co.primary_origin_kg == {}


def test_refinery_blends_partial_inputs() -> None:
    inter = compute(INTER, worked_facts())
    # Co in: CD half 10 000 * 0.30 = 3 000 (CD), ZM 10 000 * 0.20 = 2 000 (ZM),
    #        black mass half 2 500 * 0.10 = 250 (pre 50, post 200)        -> 5 250 kg
    # INTER is 12 000 of 15 000 kg out = 0.8 -> Co 4 200: pre 40, post 160, CD 2 400, ZM 1 600
    co = inter.elements["Co"]
    assert co.mass_kg == pytest.approx(4_200, rel=REL)
    assert co.pre_consumer_kg == pytest.approx(40, rel=REL)
    assert co.post_consumer_kg == pytest.approx(160, rel=REL)
    assert co.primary_origin_shares() == {
        "CD": pytest.approx(0.6, rel=REL),
        "ZM": pytest.approx(0.4, rel=REL),
    }
    # Ni in: CD 500, ZM 1 000, black mass 2 500 * 0.20 = 500 post -> 2 000; * 0.8 = 1 600
    ni = inter.elements["Ni"]
    assert ni.mass_kg == pytest.approx(1_600, rel=REL)
    assert ni.post_consumer_share == pytest.approx(0.25, rel=REL)  # 400 / 1 600
    assert ni.primary_origin_shares() == {
        "CD": pytest.approx(1 / 3, rel=REL),
        "ZM": pytest.approx(2 / 3, rel=REL),
    }
    # carbon: CD 40 000 / 2 + ZM 30 000 + black mass 2 500 / 2 + process 10 000 = 61 250;
    # INTER's 0.8 of it = 49 000
    assert inter.carbon_kg == pytest.approx(49_000, rel=REL)
    assert inter.inputs == ((BM, 2_500), (CD, 10_000), (ZM, 10_000))
    residue = compute(RESIDUE, worked_facts())
    assert residue.carbon_kg == pytest.approx(12_250, rel=REL)
    assert residue.elements["Co"].mass_kg == pytest.approx(1_050, rel=REL)


def test_cathode_plant_declares_its_composition() -> None:
    pcam = compute(PCAM, worked_facts())
    # Co in: INTER half = 2 100 (pre 20, post 80, CD 1 200, ZM 800); AU has none.
    # PCAM declares 5 000 * 0.40 = 2 000 kg Co <= 2 100: no alert; shares stay the input's.
    co = pcam.elements["Co"]
    assert co.mass_kg == pytest.approx(2_000, rel=REL)
    assert co.pre_consumer_share == pytest.approx(20 / 2_100, rel=REL)
    assert co.post_consumer_share == pytest.approx(80 / 2_100, rel=REL)
    assert co.primary_origin_shares() == {
        "CD": pytest.approx(0.6, rel=REL),
        "ZM": pytest.approx(0.4, rel=REL),
    }
    # Ni in: INTER half 800 (post 200, CD 200, ZM 400) + AU half 4 000 * 0.25 = 1 000 (AU)
    #      = 1 800 kg; PCAM declares 5 000 * 0.35 = 1 750 kg
    ni = pcam.elements["Ni"]
    assert ni.mass_kg == pytest.approx(1_750, rel=REL)
    assert ni.post_consumer_share == pytest.approx(200 / 1_800, rel=REL)
    # primary 1 600 kg: CD 200, ZM 400, AU 1 000
    assert ni.primary_origin_shares() == {
        "AU": pytest.approx(0.625, rel=REL),
        "CD": pytest.approx(0.125, rel=REL),
        "ZM": pytest.approx(0.25, rel=REL),
    }
    # carbon: INTER 49 000 / 2 + AU 12 000 / 2 + process 5 000 = 35 500 kg, 7.1 kg/kg
    assert pcam.carbon_kg == pytest.approx(35_500, rel=REL)
    assert pcam.carbon_kg_per_kg == pytest.approx(7.1, rel=REL)
    assert pcam.alerts == ()
    assert pcam.complete


def test_trace_json_shape() -> None:
    doc = trace_json(PCAM, worked_facts())
    assert json.loads(json.dumps(doc)) == doc
    assert doc["id"] == PCAM
    assert doc["massKg"] == 5_000.0
    assert doc["elements"]["Co"] == {
        "massKg": 2_000.0,
        "recycledShare": {
            "preConsumer": pytest.approx(20 / 2_100, rel=REL),
            "postConsumer": pytest.approx(80 / 2_100, rel=REL),
        },
        "primaryOrigin": {"CD": 0.6, "ZM": 0.4},  # 12 significant digits hide the float noise
    }
    assert doc["carbonFootprint"] == {"totalKgCO2e": 35_500.0, "kgCO2ePerKg": 7.1}
    assert doc["alerts"] == []
    assert [(i["id"], i["quantityTakenKg"]) for i in doc["inputs"]] == [(AU, 4_000), (INTER, 6_000)]
    inter = doc["inputs"][1]
    assert inter["carbonFootprint"]["totalKgCO2e"] == 49_000.0
    assert [(i["id"], i["quantityTakenKg"]) for i in inter["inputs"]] == [
        (BM, 2_500),
        (CD, 10_000),
        (ZM, 10_000),
    ]
    mine = inter["inputs"][1]
    assert mine["inputs"] == []
    assert mine["elements"]["Co"]["primaryOrigin"] == {"CD": 1.0}
    assert set(doc) >= {"id", "massKg", "elements", "carbonFootprint", "alerts", "inputs"}


def test_the_repository_example_refinery_batch() -> None:
    """examples/epcis/cobalt-refinery-batch.jsonld: 10 t of a 20 t Co 0.30 concentrate at
    2.1 kgCO2e/kg make 14 300 kg of cobalt sulfate declaring Co 0.2088, with 18 500 kgCO2e."""
    kol, csf = "urn:lot:KOL", "urn:lot:CSF"
    facts = MemoryFacts()
    facts.add_lot(LotFacts(kol, 20_000, {"Co": 0.30}, {}, "CD", 2.1, source_events=("a",)))
    facts.add_transformation(
        Transformation(
            "b",
            0,
            "urn:site:r",
            (Take(kol, 10_000),),
            (Take(csf, 14_300),),
            "controlled_blending",
            18_500,
        )
    )
    facts.add_lot(LotFacts(csf, 14_300, {"Co": 0.2088}, source_events=("b",)))
    doc = trace_json(csf, facts)
    # Co: 14 300 * 0.2088 = 2 985.84 kg out of 3 000 in; carbon 42 000 / 2 + 18 500 = 39 500
    assert doc["elements"]["Co"]["massKg"] == pytest.approx(2_985.84, rel=REL)
    assert doc["elements"]["Co"]["primaryOrigin"] == {"CD": 1.0}
    assert doc["carbonFootprint"]["totalKgCO2e"] == pytest.approx(39_500, rel=REL)
    assert doc["carbonFootprint"]["kgCO2ePerKg"] == pytest.approx(39_500 / 14_300, rel=REL)
    assert doc["alerts"] == []


def test_the_example_document_through_the_facts_layer() -> None:
    """The same figures from the real document: EPCIS JSON -> TraceEvent -> facts -> ledger,
    and the events applied backwards, twice over, give the identical trace."""
    path = Path(__file__).resolve().parents[2] / "examples/epcis/cobalt-refinery-batch.jsonld"
    origin = {
        "connector": "test",
        "source": str(path),
        "position": "0",
        "format": "epcis-json-2.0",
        "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
    }
    with path.open("rb") as stream:
        documents = [e for e in iter_json_events(stream) if isinstance(e, DocumentEvent)]
    extracted = [extract(to_trace_event(d, origin=origin)) for d in documents]
    assert all(found.problems == () for found in extracted)

    def load(order: list[int]) -> MemoryFacts:
        facts = MemoryFacts()
        for i in order:
            for lot in extracted[i].lots:
                facts.add_lot(lot)
            transformation = extracted[i].transformation
            if transformation is not None:
                facts.add_transformation(transformation)
        return facts

    csf = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
    kol = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
    forwards = range(len(extracted))
    doc = trace_json(csf, load(list(forwards)))
    assert doc == trace_json(csf, load([*reversed(forwards), *forwards]))
    # 14 300 * 0.2088 = 2 985.84 kg Co of the 3 000 kg in 10 t of the 0.30 concentrate;
    # carbon 20 000 * 2.1 / 2 + 18 500 = 39 500 kg
    assert doc["massKg"] == 14_300.0
    assert doc["elements"]["Co"]["massKg"] == pytest.approx(2_985.84, rel=REL)
    assert doc["elements"]["Co"]["primaryOrigin"] == {"CD": 1.0}
    assert doc["carbonFootprint"]["totalKgCO2e"] == pytest.approx(39_500, rel=REL)
    assert doc["alerts"] == []
    assert doc["complete"] is True
    (mine,) = doc["inputs"]
    assert (mine["id"], mine["quantityTakenKg"], mine["massKg"]) == (kol, 10_000.0, 20_000.0)
    assert mine["certificates"] == ["https://certs.example.org/rmap/conformant-smelter/2026-CD-117"]
    assert doc["certificates"] == []  # a blend does not inherit its input's certificate
