"""The findings that catch laundering; each carries the event at fault and its figures."""

from __future__ import annotations

from collections.abc import Mapping

from streams.ledger._mix import Mix
from streams.ledger._types import (
    CHAIN_OF_CUSTODY_VIOLATION,
    ORIGIN_WITHOUT_INPUT,
    RECYCLED_CLAIM_EXCEEDS_INPUT,
    Finding,
)
from streams.model import Transformation


def claim_finding(event_id: str, lot: str, element: str, figures: Mapping[str, float]) -> Finding:
    pre = figures.get("claimedPreConsumerKg", 0.0)
    post = figures.get("claimedPostConsumerKg", 0.0)
    return Finding(
        RECYCLED_CLAIM_EXCEEDS_INPUT,
        event_id,
        element,
        dict(figures),
        f"{lot} claims {pre:g} kg pre-consumer and {post:g} kg post-consumer recycled "
        f"{element}, more than its recycled input",
    )


def custody_finding(t: Transformation, input_lots: int) -> Finding:
    why = (
        "identity preservation allows one input lot"
        if t.chain_of_custody == "identity_preserved"
        else "segregation allows mixing only inputs with the same recycled and origin shares"
    )
    return Finding(
        CHAIN_OF_CUSTODY_VIOLATION,
        t.event_id,
        None,
        {"inputLots": float(input_lots)},
        f"{t.event_id} is declared {t.chain_of_custody} but mixes {input_lots} input lots: "
        f"{why}; its outputs carry the blend",
    )


def origin_finding(event_id: str, lot: str, country: str, inputs: Mix) -> Finding | None:
    """A declared country of origin that none of the inputs' primary material comes from."""
    if country in inputs.countries():
        return None
    return Finding(
        ORIGIN_WITHOUT_INPUT,
        event_id,
        None,
        {"inputPrimaryKg": inputs.primary_kg(), "inputCountries": float(len(inputs.countries()))},
        f"{lot} declares country of origin {country}, but no primary input material of "
        f"{event_id} comes from {country}",
    )
