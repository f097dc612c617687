"""The four chain-of-custody models (ISO 22095), each computed by hand."""

from __future__ import annotations

import pytest

from streams.ledger import (
    CHAIN_OF_CUSTODY_VIOLATION,
    RECYCLED_CLAIM_EXCEEDS_INPUT,
    LedgerConfig,
    Ledgers,
    compute,
)
from streams.memory_facts import MemoryFacts
from streams.model import ChainOfCustody, LotFacts, RecycledShare, Take, Transformation

DAY = 86_400_000_000
REL = 1e-12
SITE = "urn:site:plant"


def add_lot(
    facts: MemoryFacts,
    lot: str,
    mass: float,
    co: float | None = None,
    country: str | None = None,
    pre: float | None = None,
    post: float | None = None,
    certificates: tuple[str, ...] = (),
    event: str | None = None,
) -> None:
    recycled = {} if pre is None and post is None else {"Co": RecycledShare(pre or 0, post or 0)}
    facts.add_lot(
        LotFacts(
            lot,
            mass,
            {} if co is None else {"Co": co},
            recycled,
            country,
            certificates=certificates,
            source_events=(event or f"commission-{lot}",),
        )
    )


def add_tx(
    facts: MemoryFacts,
    event_id: str,
    inputs: list[tuple[str, float]],
    outputs: list[tuple[str, float]],
    chain: ChainOfCustody,
    day: int = 1,
    site: str | None = SITE,
) -> None:
    facts.add_transformation(
        Transformation(
            event_id,
            day * DAY,
            site,
            tuple(Take(lot, kg) for lot, kg in inputs),
            tuple(Take(lot, kg) for lot, kg in outputs),
            chain,
        )
    )


def alert_types(facts: MemoryFacts, lot: str, config: LedgerConfig | None = None) -> list[str]:
    return [a.type for a in compute(lot, facts, config).alerts]


# --- identity preserved ---------------------------------------------------------------------


def test_identity_preserved_output_inherits_its_single_input() -> None:
    facts = MemoryFacts()
    add_lot(facts, "in", 1_000, co=0.5, country="CD", pre=0.1, post=0.2, certificates=("cert:A",))
    add_tx(facts, "t", [("in", 1_000)], [("out", 900)], "identity_preserved")
    add_lot(facts, "out", 900, event="t")
    out = compute("out", facts)
    # all 500 kg of Co go to the only output, with the input's shares and its certificate
    co = out.elements["Co"]
    assert co.mass_kg == pytest.approx(500, rel=REL)
    assert (co.pre_consumer_share, co.post_consumer_share) == pytest.approx((0.1, 0.2), rel=REL)
    assert co.primary_origin_shares() == {"CD": 1.0}
    assert out.certificates == ("cert:A",)
    assert out.alerts == ()


def test_identity_preserved_with_two_input_lots_is_a_violation() -> None:
    facts = MemoryFacts()
    add_lot(facts, "a", 1_000, co=0.5, country="CD")
    add_lot(facts, "b", 1_000, co=0.5, country="CD")
    add_tx(
        facts, "t", [("a", 1_000), ("b", 1_000)], [("x", 1_500), ("y", 500)], "identity_preserved"
    )
    for lot in ("x", "y"):
        (alert,) = compute(lot, facts).alerts
        assert alert.type == CHAIN_OF_CUSTODY_VIOLATION
        assert alert.event_id == "t"
        assert alert.lot == lot
        assert alert.figures == {"inputLots": 2.0}
        assert f"alert:{CHAIN_OF_CUSTODY_VIOLATION}" in compute(lot, facts).flags
    # the outputs carry the blend: 1 000 kg Co by mass, 750 / 250
    assert compute("x", facts).elements["Co"].mass_kg == pytest.approx(750, rel=REL)


# --- segregated -----------------------------------------------------------------------------


def test_segregated_may_mix_inputs_with_the_same_attributes() -> None:
    facts = MemoryFacts()
    add_lot(facts, "a", 1_000, co=0.5, country="CD", post=0.3, certificates=("c1", "c2"))
    add_lot(facts, "b", 400, co=0.25, country="CD", post=0.3, certificates=("c2",))
    add_tx(facts, "t", [("a", 1_000), ("b", 400)], [("out", 1_400)], "segregated")
    out = compute("out", facts)
    assert out.alerts == ()
    assert out.certificates == ("c2",)  # only what every input holds
    co = out.elements["Co"]
    assert co.mass_kg == pytest.approx(600, rel=REL)  # 500 + 100
    assert co.post_consumer_share == pytest.approx(0.3, rel=REL)


def test_segregated_mixing_different_origins_is_a_violation() -> None:
    facts = MemoryFacts()
    add_lot(facts, "a", 1_000, co=0.5, country="CD")
    add_lot(facts, "b", 1_000, co=0.5, country="ZM")
    add_tx(facts, "t", [("a", 500), ("b", 1_000)], [("out", 1_500)], "segregated")
    out = compute("out", facts)
    assert [a.type for a in out.alerts] == [CHAIN_OF_CUSTODY_VIOLATION]
    # blend: CD 250 kg, ZM 500 kg of Co
    assert out.elements["Co"].primary_origin_shares() == pytest.approx({"CD": 1 / 3, "ZM": 2 / 3})


def test_segregated_single_input_is_fine() -> None:
    facts = MemoryFacts()
    add_lot(facts, "a", 1_000, co=0.5, country="CD")
    add_tx(facts, "t", [("a", 500)], [("out", 480)], "segregated")
    assert compute("out", facts).alerts == ()


# --- controlled blending --------------------------------------------------------------------


def test_controlled_blending_weights_by_element_mass_not_lot_mass() -> None:
    facts = MemoryFacts()
    # a: 1 000 kg at Co 0.1 = 100 kg Co, primary CD; b: 100 kg at Co 0.9 = 90 kg, post-consumer
    add_lot(facts, "a", 1_000, co=0.1, country="CD", certificates=("c",))
    add_lot(facts, "b", 100, co=0.9, post=1.0, certificates=("c",))
    add_tx(facts, "t", [("a", 1_000), ("b", 100)], [("out", 1_100)], "controlled_blending")
    out = compute("out", facts)
    co = out.elements["Co"]
    # post-consumer share 90 / 190 (weighted by Co mass; by lot mass it would be 100 / 1 100)
    assert co.post_consumer_share == pytest.approx(90 / 190, rel=REL)
    assert co.primary_origin_shares() == {"CD": 1.0}
    assert out.certificates == ()  # a blend does not inherit certificates


# --- mass balance ---------------------------------------------------------------------------
#
# Site pool, period 0 (days 0-29): P1 1 000 kg Co 1.0 from CD; R1 500 kg Co 1.0 post-consumer;
# P2 500 kg Co 1.0 from ZM. Ta (day 1) takes P1 + R1 and makes A1 1 500 kg; Tb (day 2) takes
# P2 and makes B1 500 kg. Pool: Co 2 000 kg, post-consumer credit 500 kg, primary CD 1 000,
# ZM 500 (origin shares 2/3, 1/3).


def mass_balance_site(a1_claim: float | None, b1_day: int = 2) -> MemoryFacts:
    facts = MemoryFacts()
    add_lot(facts, "P1", 1_000, co=1.0, country="CD")
    add_lot(facts, "R1", 500, co=1.0, post=1.0)
    add_lot(facts, "P2", 500, co=1.0, country="ZM")
    add_tx(facts, "Ta", [("P1", 1_000), ("R1", 500)], [("A1", 1_500)], "mass_balance", day=1)
    add_tx(facts, "Tb", [("P2", 500)], [("B1", 500)], "mass_balance", day=b1_day)
    add_lot(facts, "A1", 1_500, post=a1_claim, event="Ta")
    add_lot(facts, "B1", 500, event="Tb")
    return facts


def test_mass_balance_claim_within_credit() -> None:
    facts = mass_balance_site(a1_claim=0.2)
    a1, b1 = compute("A1", facts), compute("B1", facts)
    # A1 claims 0.2 * 1 500 = 300 kg of the 500 kg credit: granted
    assert a1.elements["Co"].post_consumer_kg == pytest.approx(300, rel=REL)
    # B1 (no claim, made from virgin P2 only) shares what is left: 200 / 500 = 0.4
    assert b1.elements["Co"].post_consumer_share == pytest.approx(0.4, rel=REL)
    # primary parts take the pool's origins: A1 1 200 kg, B1 300 kg, both CD 2/3 ZM 1/3
    for led in (a1, b1):
        shares = led.elements["Co"].primary_origin_shares()
        assert shares == {"CD": pytest.approx(2 / 3, rel=REL), "ZM": pytest.approx(1 / 3, rel=REL)}
        assert led.alerts == ()


def test_mass_balance_without_claims_is_the_rolling_average() -> None:
    facts = mass_balance_site(a1_claim=None)
    for lot in ("A1", "B1"):
        assert compute(lot, facts).elements["Co"].post_consumer_share == pytest.approx(0.25)


def test_mass_balance_overdraw_raises_and_grants_only_the_credit() -> None:
    facts = mass_balance_site(a1_claim=0.5)
    a1 = compute("A1", facts)
    (alert,) = a1.alerts
    assert alert.type == RECYCLED_CLAIM_EXCEEDS_INPUT
    assert alert.event_id == "Ta"
    assert alert.element == "Co"
    assert alert.figures["claimedPostConsumerKg"] == pytest.approx(750, rel=REL)
    assert alert.figures["periodInputPostConsumerKg"] == pytest.approx(500, rel=REL)
    assert alert.figures["tolerance"] == 0.02
    # granted 500 of the 750 kg claimed: 1/3 of A1's Co
    assert a1.elements["Co"].post_consumer_share == pytest.approx(1 / 3, rel=REL)
    b1 = compute("B1", facts)
    assert b1.elements["Co"].post_consumer_kg == 0
    assert b1.alerts == ()


def test_mass_balance_claims_settle_in_time_order() -> None:
    facts = mass_balance_site(a1_claim=0.2)  # A1 (day 1) takes 300 of the 500 kg
    add_lot(facts, "B1", 500, post=0.6, event="Tb")  # B1 (day 2) wants 300: 100 too many
    b1 = compute("B1", facts)
    assert [a.type for a in b1.alerts] == [RECYCLED_CLAIM_EXCEEDS_INPUT]
    assert b1.alerts[0].figures["periodClaimedPostConsumerKg"] == pytest.approx(600, rel=REL)
    assert b1.elements["Co"].post_consumer_kg == pytest.approx(200, rel=REL)
    assert compute("A1", facts).alerts == ()
    # within the tolerance nothing is raised: 600 kg claimed against 500 * 1.25 = 625
    assert alert_types(facts, "B1", LedgerConfig(tolerance=0.25)) == []


def test_mass_balance_periods_are_separate_accounts() -> None:
    facts = mass_balance_site(a1_claim=0.2, b1_day=31)  # Tb lands in the next period
    # B1's pool is P2 alone: no recycled input, nothing left over from A1's period
    assert compute("B1", facts).elements["Co"].post_consumer_kg == 0
    assert compute("B1", facts).elements["Co"].primary_origin_shares() == {"ZM": 1.0}
    # A1's pool is P1 + R1: Co 1 500, credit 500, claim 300, origins CD only
    a1 = compute("A1", facts)
    assert a1.elements["Co"].post_consumer_kg == pytest.approx(300, rel=REL)
    assert a1.elements["Co"].primary_origin_shares() == {"CD": 1.0}
    # with 40-day periods day 31 is back in A1's pool: B1 gets 500 - 300 = 200 kg
    assert compute("B1", facts, LedgerConfig(mass_balance_period_days=40)).elements[
        "Co"
    ].post_consumer_kg == pytest.approx(200, rel=REL)


def test_mass_balance_losses_do_not_inflate_the_recycled_share() -> None:
    facts = mass_balance_site(a1_claim=None)
    facts.add_lot(LotFacts("A1", 1_500, {"Co": 0.9}, source_events=("Ta",)))  # 150 kg Co lost
    # pool Co 2 000 -> out 1 350 + 500 = 1 850; credit 500 * 1 850 / 2 000 = 462.5 kg
    # spread over 1 850 kg: 0.25, the pool's average
    for lot in ("A1", "B1"):
        assert compute(lot, facts).elements["Co"].post_consumer_share == pytest.approx(0.25)


def test_mass_balance_internal_lot_is_not_a_pool_input() -> None:
    facts = mass_balance_site(a1_claim=0.2)
    # Tc (day 3) refines A1 further at the same site, same period: A1 is an internal transfer
    add_tx(facts, "Tc", [("A1", 1_500)], [("C1", 1_500)], "mass_balance", day=3)
    add_lot(facts, "C1", 1_500, post=0.2, event="Tc")
    ledgers = Ledgers(facts)
    # pool inputs stay P1, R1, P2 (Co 2 000, credit 500); final outputs B1 and C1.
    # A1's claim no longer counts (it is consumed inside the pool): it carries the average
    assert ledgers.of("A1").elements["Co"].post_consumer_share == pytest.approx(0.25)
    assert ledgers.of("C1").elements["Co"].post_consumer_kg == pytest.approx(300, rel=REL)
    assert ledgers.of("B1").elements["Co"].post_consumer_share == pytest.approx(0.4, rel=REL)
    assert all(ledgers.of(lot).alerts == () for lot in ("A1", "B1", "C1"))


def test_mass_balance_without_site_is_the_event_alone() -> None:
    facts = MemoryFacts()
    add_lot(facts, "R", 100, co=1.0, post=1.0)
    add_lot(facts, "P", 100, co=1.0, country="CD")
    add_tx(facts, "t1", [("R", 100)], [("x", 100)], "mass_balance", site=None)
    add_tx(facts, "t2", [("P", 100)], [("y", 100)], "mass_balance", site=None)
    assert compute("x", facts).elements["Co"].post_consumer_share == 1.0
    assert compute("y", facts).elements["Co"].post_consumer_share == 0.0
