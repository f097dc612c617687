"""Every alert type, positive and negative, tolerance edges; incomplete facts, cycles,
aggregations, flags, downstream and the configuration."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from streams.ledger import (
    DEFAULT_CONFIG,
    INVALID_DECLARATION,
    MASS_BALANCE_VIOLATION,
    MULTIPLE_PRODUCERS,
    ORIGIN_WITHOUT_INPUT,
    QUANTITY_EXCEEDS_LOT,
    RECYCLED_CLAIM_EXCEEDS_INPUT,
    LedgerConfig,
    compute,
    downstream,
)
from streams.memory_facts import MemoryFacts
from streams.model import Aggregation, LotFacts, RecycledShare, Take
from tests.unit.ledger_facts import mine, output, tx

REL = 1e-12


def types(facts: MemoryFacts, lot: str, config: LedgerConfig | None = None) -> list[str]:
    return [a.type for a in compute(lot, facts, config).alerts]


# --- mass_balance_violation ------------------------------------------------------------------


def declared_output(co_fraction: float, others: tuple[tuple[str, float], ...] = ()) -> MemoryFacts:
    """1 000 kg of Co in (a 2 000 kg lot at 0.5); a 2 000 kg output declaring ``co_fraction``,
    and ``others`` outputs that declare nothing."""
    facts = MemoryFacts()
    mine(facts, "ore", 2_000, 0.5)
    tx(facts, "t", [("ore", 2_000)], [("out", 2_000), *others])
    output(facts, "out", 2_000, "t", element_content={"Co": co_fraction})
    return facts


def test_output_within_input_is_fine() -> None:
    assert types(declared_output(0.45), "out") == []


def test_tolerance_edge() -> None:
    # 2 000 * 0.51 = 1 020 kg = 1 000 * (1 + 0.02): at the edge, allowed
    assert types(declared_output(0.51), "out") == []
    # 1 020.2 kg: over
    (alert,) = compute("out", declared_output(0.5101)).alerts
    assert alert.type == MASS_BALANCE_VIOLATION
    assert (alert.event_id, alert.element, alert.lot) == ("t", "Co", "out")
    assert alert.figures == {
        "inputKg": pytest.approx(1_000, rel=REL),
        "outputKg": pytest.approx(1_020.2, rel=REL),
        "tolerance": 0.02,
    }
    # a wider tolerance accepts it
    assert types(declared_output(0.5101), "out", LedgerConfig(tolerance=0.05)) == []
    assert types(declared_output(0.5101), "out", LedgerConfig(tolerance=0.0)) == [
        MASS_BALANCE_VIOLATION
    ]


def test_element_no_input_carries_is_a_violation_of_unknown_origin() -> None:
    facts = declared_output(0.4)
    output(facts, "out", 2_000, "t", element_content={"Co": 0.4, "Ni": 0.1})
    led = compute("out", facts)
    (alert,) = led.alerts
    assert (alert.type, alert.element) == (MASS_BALANCE_VIOLATION, "Ni")
    assert alert.figures["inputKg"] == 0.0
    assert led.elements["Ni"].primary_origin_kg == {"unknown": pytest.approx(200, rel=REL)}


def test_undeclared_outputs_share_what_declared_outputs_leave() -> None:
    facts = declared_output(0.3, (("side", 1_000), ("slag", 3_000)))  # "out" declares 600 kg
    # 400 kg left, spread by mass over side (1 000) and slag (3 000): 100 and 300
    assert compute("side", facts).elements["Co"].mass_kg == pytest.approx(100, rel=REL)
    assert compute("slag", facts).elements["Co"].mass_kg == pytest.approx(300, rel=REL)
    assert types(facts, "side") == []


# --- recycled_claim_exceeds_input outside mass balance ---------------------------------------


def blend_with_claim(pre: float, post: float) -> MemoryFacts:
    """900 kg of primary Co and 100 kg of post-consumer Co make 1 000 kg: post share 0.1."""
    facts = MemoryFacts()
    mine(facts, "virgin", 900, 1.0)
    mine(facts, "scrap", 100, 1.0, None, recycled={"Co": RecycledShare(0.0, 1.0)})
    tx(facts, "t", [("scrap", 100), ("virgin", 900)], [("out", 1_000)])
    output(facts, "out", 1_000, "t", recycled={"Co": RecycledShare(pre, post)})
    return facts


def test_recycled_claim_matching_the_input_is_fine() -> None:
    assert types(blend_with_claim(0.0, 0.1), "out") == []
    assert types(blend_with_claim(0.0, 0.102), "out") == []  # 102 kg = 100 * 1.02: the edge


def test_recycled_claim_above_the_input() -> None:
    (alert,) = compute("out", blend_with_claim(0.0, 0.103)).alerts
    assert (alert.type, alert.event_id, alert.element) == (RECYCLED_CLAIM_EXCEEDS_INPUT, "t", "Co")
    assert alert.figures["claimedPostConsumerKg"] == pytest.approx(103, rel=REL)
    assert alert.figures["inputPostConsumerKg"] == pytest.approx(100, rel=REL)
    # the ledger keeps what the inputs carry, not the claim
    assert compute("out", blend_with_claim(0.0, 0.5)).elements["Co"].post_consumer_share == (
        pytest.approx(0.1, rel=REL)
    )


def test_post_consumer_input_cannot_be_claimed_as_pre_consumer() -> None:
    assert types(blend_with_claim(0.1, 0.0), "out") == [RECYCLED_CLAIM_EXCEEDS_INPUT]


# --- origin_without_input --------------------------------------------------------------------


def test_declared_origin_among_the_inputs_is_fine() -> None:
    facts = declared_output(0.4)
    output(facts, "out", 2_000, "t", country_of_origin="CD")
    assert types(facts, "out") == []


def test_declared_origin_from_nowhere() -> None:
    facts = declared_output(0.4)
    output(facts, "out", 2_000, "t", country_of_origin="AU")
    led = compute("out", facts)
    (alert,) = led.alerts
    assert (alert.type, alert.event_id, alert.element) == (ORIGIN_WITHOUT_INPUT, "t", None)
    assert alert.figures == {"inputPrimaryKg": pytest.approx(1_000, rel=REL), "inputCountries": 1.0}
    assert "AU" in alert.message
    # the ledger keeps the inputs' origin
    assert led.elements["Co"].primary_origin_shares() == {"CD": 1.0}
    assert f"alert:{ORIGIN_WITHOUT_INPUT}" in led.flags


def test_origin_declared_on_purely_recycled_input() -> None:
    facts = blend_with_claim(0.0, 0.1)
    tx(facts, "t", [("scrap", 100)], [("out", 100)])
    output(facts, "out", 100, "t", country_of_origin="CD")
    assert ORIGIN_WITHOUT_INPUT in types(facts, "out")


# --- quantities, producers, incomplete facts -------------------------------------------------


def taking(kg: float) -> MemoryFacts:
    facts = MemoryFacts()
    mine(facts, "ore", 1_000, 0.5)
    tx(facts, "t", [("ore", kg)], [("out", 1_000)])
    return facts


def test_taking_more_than_the_lot_carries_only_the_lot() -> None:
    led = compute("out", taking(1_200))
    assert [a.type for a in led.alerts] == [QUANTITY_EXCEEDS_LOT]
    assert led.alerts[0].figures == {"takenKg": 1_200, "lotMassKg": 1_000, "tolerance": 0.02}
    assert led.elements["Co"].mass_kg == pytest.approx(500, rel=REL)
    assert types(taking(1_010), "out") == []  # within the tolerance: no alert
    assert compute("out", taking(math.inf)).inputs == (("ore", 1_000),)  # taken whole
    assert compute("out", taking(250)).elements["Co"].mass_kg == pytest.approx(125, rel=REL)


def test_lot_made_by_two_transformations() -> None:
    facts = MemoryFacts()
    mine(facts, "a", 100, 0.5)
    mine(facts, "b", 100, 0.1)
    tx(facts, "t2", [("b", 100)], [("out", 100)], time_us=2)
    tx(facts, "t1", [("a", 100)], [("out", 100)], time_us=1)
    led = compute("out", facts)
    assert [(a.type, a.event_id) for a in led.alerts] == [(MULTIPLE_PRODUCERS, "t2")]
    assert led.elements["Co"].mass_kg == pytest.approx(50, rel=REL)  # follows t1 (earlier)


def test_missing_input_facts_leave_the_ledger_incomplete_without_alerts() -> None:
    facts = MemoryFacts()
    tx(facts, "t", [("ore", 2_000)], [("out", 2_000)])
    output(facts, "out", 2_000, "t", element_content={"Co": 0.9}, country_of_origin="AU")
    led = compute("out", facts)
    assert not led.complete
    assert led.alerts == ()
    assert led.elements["Co"].primary_origin_kg == {"unknown": pytest.approx(1_800)}
    mine(facts, "ore", 2_000, 0.5)  # the commissioning event arrives late
    led = compute("out", facts)
    assert led.complete
    assert sorted(a.type for a in led.alerts) == [MASS_BALANCE_VIOLATION, ORIGIN_WITHOUT_INPUT]


def test_invalid_declarations_are_alerts_and_left_out() -> None:
    facts = MemoryFacts()
    facts.add_lot(
        LotFacts(
            "bad",
            100,
            {"Co": 1.5, "Ni": 0.2},
            {"Ni": RecycledShare(0.7, 0.6)},
            "CD",
            source_events=("e",),
        )
    )
    led = compute("bad", facts)
    assert [a.type for a in led.alerts] == [INVALID_DECLARATION, INVALID_DECLARATION]
    assert set(led.elements) == {"Ni"}
    ni = led.elements["Ni"]
    assert ni.pre_consumer_share + ni.post_consumer_share == pytest.approx(1.0)


# --- flags and downstream --------------------------------------------------------------------


def test_flags_and_alerts_mark_downstream_lots() -> None:
    facts = declared_output(0.6)  # 1 200 kg of Co from 1 000: a violation at "t"
    facts.add_lot(LotFacts("ore", flags=("conflict_area",), source_events=("x",)))
    tx(facts, "t2", [("out", 1_000)], [("pcam", 1_000)], time_us=5)
    pcam = compute("pcam", facts)
    assert pcam.alerts == ()  # the alert stays on the lot it marks...
    assert pcam.flags == ("alert:mass_balance_violation", "conflict_area")  # ...and is inherited


def test_downstream() -> None:
    facts = declared_output(0.4, (("slag", 1_000),))
    tx(facts, "t2", [("out", 1_000)], [("pcam", 1_000)])
    facts.add_aggregation(Aggregation("a", 1, "pack", (Take("pcam", 500),)))
    assert downstream("ore", facts) == ["out", "pack", "pcam", "slag"]
    assert downstream("out", facts) == ["pack", "pcam", "slag"]  # slag shares out's leftovers
    assert downstream("pcam", facts) == ["pack"]
    assert downstream("pack", facts) == []


def test_downstream_reaches_the_mass_balance_pool() -> None:
    facts = MemoryFacts()
    tx(facts, "m1", [("p1", 10)], [("a", 10)], "mass_balance", time_us=1)
    tx(facts, "m2", [("p2", 10)], [("b", 10)], "mass_balance", time_us=2)
    tx(facts, "m3", [("p3", 10)], [("c", 10)], "mass_balance", time_us=40 * 86_400_000_000)
    assert downstream("p2", facts) == ["a", "b"]
    assert downstream("a", facts) == ["b"]  # a's claim draws on b's account
    assert downstream("p3", facts) == ["c"]


# --- configuration ---------------------------------------------------------------------------


def test_config_reads_the_environment_but_the_default_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORETRAIL_LEDGER_TOLERANCE", "0.05")
    monkeypatch.setenv("ORETRAIL_LEDGER_MASS_BALANCE_PERIOD_DAYS", "7")
    config = LedgerConfig()
    assert (config.tolerance, config.mass_balance_period_days) == (0.05, 7)
    assert (DEFAULT_CONFIG.tolerance, DEFAULT_CONFIG.mass_balance_period_days) == (0.02, 30)
    assert types(declared_output(0.5101), "out") == [MASS_BALANCE_VIOLATION]  # default 0.02
    with pytest.raises(ValidationError):
        LedgerConfig(tolerance=-0.1)
    with pytest.raises(ValidationError):
        LedgerConfig(mass_balance_period_days=0)
    with pytest.raises(ValidationError):
        LedgerConfig(tolerence=0.1)  # type: ignore[call-arg]
