"""Recycled shares and origins of a transformation's outputs, by chain-of-custody model
(ISO 22095): identity preserved, segregated, controlled blending, mass balance."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from streams.ledger._checks import claim_finding, custody_finding, origin_finding
from streams.ledger._leaf import declared
from streams.ledger._mix import Mix, ordered, with_shares
from streams.ledger._physical import Physical, exceeds
from streams.ledger._types import ElementLedger, Finding, LedgerConfig, LotLedger
from streams.model import LotFacts, RecycledShare, Transformation

_SAME = 1e-6


@dataclass(slots=True)
class Shares:
    """The custody side of one output's ledger."""

    elements: dict[str, ElementLedger] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    inherited_certificates: tuple[str, ...] = ()


def blended(
    t: Transformation,
    ph: Physical,
    inputs: Mapping[str, LotLedger],
    lot_facts: Callable[[str], LotFacts | None],
    config: LedgerConfig,
) -> dict[str, Shares]:
    """identity_preserved, segregated and controlled_blending: every output carries the
    element-mass-weighted mix of the event's inputs. With a single input that is the input's
    own attributes, which is what identity preservation and segregation promise; the models
    differ in what they allow, checked here."""
    mix = Mix()
    for draw in ph.draws:
        mix.add(inputs[draw.lot].elements, draw.ratio)
    lots = sorted({d.lot for d in ph.draws})
    event: list[Finding] = []
    inherited: tuple[str, ...] = ()
    if t.chain_of_custody in ("identity_preserved", "segregated"):
        mixed = len(lots) > 1 and (
            t.chain_of_custody == "identity_preserved"
            or not _same_attributes([inputs[lot] for lot in lots])
        )
        if mixed and ph.complete:
            event.append(custody_finding(t, len(lots)))
        certs = [set(inputs[lot].certificates) for lot in lots]
        inherited = tuple(sorted(set.intersection(*certs))) if certs else ()
    result: dict[str, Shares] = {}
    for lot in sorted(ph.outputs):
        out = ph.outputs[lot]
        shares = Shares(inherited_certificates=inherited, findings=list(event))
        for element in ordered(out.element_kg):
            shares.elements[element] = mix.get(element).scaled_to(out.element_kg[element])
        facts = lot_facts(lot)
        if ph.complete:
            decl = declared(facts)
            for element in ordered(decl.recycled):
                got = shares.elements.get(element)
                if got is None:
                    continue
                claim = decl.recycled[element]
                pre, post = claim.pre_consumer * got.mass_kg, claim.post_consumer * got.mass_kg
                limit = 1 + config.tolerance
                if exceeds(pre, got.pre_consumer_kg * limit) or exceeds(
                    post, got.post_consumer_kg * limit
                ):
                    shares.findings.append(
                        claim_finding(
                            t.event_id,
                            lot,
                            element,
                            {
                                "claimedPreConsumerKg": pre,
                                "inputPreConsumerKg": got.pre_consumer_kg,
                                "claimedPostConsumerKg": post,
                                "inputPostConsumerKg": got.post_consumer_kg,
                                "tolerance": config.tolerance,
                            },
                        )
                    )
            if facts is not None and facts.country_of_origin:
                found = origin_finding(t.event_id, lot, facts.country_of_origin, mix)
                if found is not None:
                    shares.findings.append(found)
        result[lot] = shares
    return result


def _same_attributes(ledgers: Sequence[LotLedger]) -> bool:
    """Segregation allows mixing inputs that share their characteristics: for every element,
    the same recycled shares and the same primary-origin shares."""
    elements = ordered(e for led in ledgers for e in led.elements)
    for element in elements:
        present = [led.elements[element] for led in ledgers if element in led.elements]
        first = present[0]
        for other in present[1:]:
            if abs(other.pre_consumer_share - first.pre_consumer_share) > _SAME:
                return False
            if abs(other.post_consumer_share - first.post_consumer_share) > _SAME:
                return False
            a, b = first.primary_origin_shares(), other.primary_origin_shares()
            if any(abs(a.get(c, 0.0) - b.get(c, 0.0)) > _SAME for c in sorted(a.keys() | b)):
                return False
    return True


@dataclass(slots=True)
class Pool:
    shares: dict[str, Shares]
    complete: bool
    #: the ledgers of the inputs in the pool's mix
    inputs: dict[str, LotLedger] = field(default_factory=dict)


def mass_balance(
    ts: Sequence[Transformation],
    physicals: Mapping[str, Physical],
    ledger_of: Callable[[str], LotLedger],
    lot_facts: Callable[[str], LotFacts | None],
    config: LedgerConfig,
    excluded: set[str],
) -> Pool:
    """One site and period under mass balance. The pool is every input the site's mass-balance
    transformations took in the period, except ``excluded`` (lots they made themselves and
    lots whose ledger depends on the pool: see ``_pools``). Outputs that declare an
    ``ot:recycledShare`` draw that recycled mass from a credit account per element and
    category (pre/post); outputs that do not share what the claims left; internal lots carry
    the pool's average. Claims are settled in (time, event id, lot) order; the claim that
    takes the period's account below zero raises ``recycled_claim_exceeds_input`` and is
    granted only what was left."""
    made = {lot for t in ts for lot in physicals[t.event_id].outputs}
    taken = {d.lot for t in ts for d in physicals[t.event_id].draws}
    internal = made & taken
    complete = all(physicals[t.event_id].complete for t in ts)
    mix = Mix()
    ledgers: dict[str, LotLedger] = {}
    for t in ts:
        for draw in physicals[t.event_id].draws:
            if draw.lot not in excluded:
                led = ledgers[draw.lot] = ledger_of(draw.lot)
                complete = complete and led.complete
                mix.add(led.elements, draw.ratio)

    final: dict[str, Transformation] = {}
    for t in ts:
        for lot in physicals[t.event_id].outputs:
            if lot not in internal:
                final.setdefault(lot, t)
    producer = {lot: t for t in reversed(ts) for lot in physicals[t.event_id].outputs}
    shares = {lot: Shares() for lot in sorted(producer)}

    def kg(lot: str, element: str) -> float:
        return physicals[producer[lot].event_id].outputs[lot].element_kg.get(element, 0.0)

    claims = {lot: declared(lot_facts(lot)).recycled for lot in final}
    elements = ordered(
        set(mix.elements)
        | {e for t in ts for o in physicals[t.event_id].outputs.values() for e in o.element_kg}
    )
    limit = 1 + config.tolerance
    for element in elements:
        pool = mix.get(element)
        origin = pool.origin_shares()
        claimed = [lot for lot in final if element in claims[lot] and kg(lot, element) > 0]
        open_ = [lot for lot in final if lot not in claimed and kg(lot, element) > 0]
        cum = [0.0, 0.0]
        granted = [0.0, 0.0]
        credit = (pool.pre, pool.post)
        for lot in claimed:
            mass = kg(lot, element)
            share: RecycledShare = claims[lot][element]
            want = (share.pre_consumer * mass, share.post_consumer * mass)
            got = [0.0, 0.0]
            for i in (0, 1):
                cum[i] += want[i]
                got[i] = min(want[i], max(0.0, credit[i] - granted[i]))
                granted[i] += got[i]
            if complete and any(exceeds(cum[i], credit[i] * limit) for i in (0, 1)):
                figures = {
                    "claimedPreConsumerKg": want[0],
                    "claimedPostConsumerKg": want[1],
                    "periodClaimedPreConsumerKg": cum[0],
                    "periodClaimedPostConsumerKg": cum[1],
                    "periodInputPreConsumerKg": credit[0],
                    "periodInputPostConsumerKg": credit[1],
                    "tolerance": config.tolerance,
                }
                shares[lot].findings.append(
                    claim_finding(final[lot].event_id, lot, element, figures)
                )
            shares[lot].elements[element] = with_shares(mass, got[0] / mass, got[1] / mass, origin)
        out_total = sum(kg(lot, element) for lot in final)
        # losses take recycled and primary material alike; gains create no recycled material
        kept = min(1.0, out_total / pool.mass) if pool.mass > 0 else 0.0
        open_kg = sum(kg(lot, element) for lot in open_)
        rest = [max(0.0, credit[i] * kept - granted[i]) for i in (0, 1)]
        for lot in open_:
            mass = kg(lot, element)
            shares[lot].elements[element] = with_shares(
                mass, rest[0] / open_kg, rest[1] / open_kg, origin
            )
        average = [c / pool.mass if pool.mass > 0 else 0.0 for c in credit]
        for lot in sorted(internal & producer.keys()):
            mass = kg(lot, element)
            if mass > 0:
                shares[lot].elements[element] = with_shares(mass, average[0], average[1], origin)

    if complete:
        for lot in sorted(producer):
            facts = lot_facts(lot)
            if facts is not None and facts.country_of_origin:
                found = origin_finding(producer[lot].event_id, lot, facts.country_of_origin, mix)
                if found is not None:
                    shares[lot].findings.append(found)
    return Pool(shares, complete, ledgers)
