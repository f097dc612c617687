"""Building fact sets for the ledger tests: mines, declared outputs, transformations."""

from __future__ import annotations

from streams.memory_facts import MemoryFacts
from streams.model import ChainOfCustody, LotFacts, RecycledShare, Take, Transformation


def mine(
    facts: MemoryFacts,
    lot: str,
    kg: float,
    co: float,
    country: str | None = "CD",
    recycled: dict[str, RecycledShare] | None = None,
    certificates: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
) -> None:
    facts.add_lot(
        LotFacts(
            lot,
            kg,
            {"Co": co},
            recycled or {},
            country,
            certificates=certificates,
            flags=flags,
            source_events=(f"c-{lot}",),
        )
    )


def output(
    facts: MemoryFacts,
    lot: str,
    kg: float,
    event: str,
    element_content: dict[str, float] | None = None,
    recycled: dict[str, RecycledShare] | None = None,
    country_of_origin: str | None = None,
) -> None:
    facts.add_lot(
        LotFacts(
            lot,
            kg,
            element_content or {},
            recycled or {},
            country_of_origin,
            source_events=(event,),
        )
    )


def tx(
    facts: MemoryFacts,
    event_id: str,
    inputs: list[tuple[str, float]],
    outputs: list[tuple[str, float]],
    chain: ChainOfCustody = "controlled_blending",
    time_us: int = 0,
) -> None:
    facts.add_transformation(
        Transformation(
            event_id,
            time_us,
            "urn:site:s",
            tuple(Take(lot, kg) for lot, kg in inputs),
            tuple(Take(lot, kg) for lot, kg in outputs),
            chain,
        )
    )
