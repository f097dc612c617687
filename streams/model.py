"""The facts the processors keep about lots, and the ledger they compute from them.

Processing is split so that arrival order cannot matter:

1. every TraceEvent is reduced to **facts** (``streams.facts``): what a lot is made of as its
   plant declared it (:class:`LotFacts`), which transformation made which lots from which
   (:class:`Transformation`), which children were packed into which parent
   (:class:`Aggregation`). Facts are keyed by lot / event id and merged idempotently, so a
   re-delivered or reordered event leaves the same fact set;
2. the **ledger** of a lot (``streams.ledger``) is a pure, deterministic function of that fact
   set (:class:`FactsView`), recomputed for the lots a new fact reaches.

Units: masses in kg, carbon in kg CO2e, shares as fractions of the element's mass (0..1).
Elements: ``Li Co Ni Mn C Cu`` (C is graphite).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

ELEMENTS = ("Li", "Co", "Ni", "Mn", "C", "Cu")
ChainOfCustody = Literal["identity_preserved", "segregated", "controlled_blending", "mass_balance"]
DEFAULT_CHAIN_OF_CUSTODY: ChainOfCustody = "controlled_blending"


@dataclass(frozen=True, slots=True)
class RecycledShare:
    pre_consumer: float = 0.0
    post_consumer: float = 0.0


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What the plant declared about one lot (ILMD of its commissioning ObjectEvent or of the
    TransformationEvent that produced it), plus its mass. Every member is optional: facts
    arrive in pieces and are merged by ``streams.facts.merge_lot`` (commutative, associative,
    idempotent: where two events declare the same scalar, the larger event id wins, so the
    result never depends on arrival order)."""

    lot: str
    mass_kg: float | None = None
    #: element -> mass fraction of the lot's material (ot:elementContent)
    element_content: Mapping[str, float] = field(default_factory=dict)
    #: element -> recycled share of that element's mass (ot:recycledShare)
    recycled: Mapping[str, RecycledShare] = field(default_factory=dict)
    #: ISO 3166-1 alpha-2 of the primary material (cbvmda:countryOfOrigin)
    country_of_origin: str | None = None
    #: ot:carbonFootprint kgCO2e per kg of this lot, with its life-cycle stage
    carbon_kg_per_kg: float | None = None
    carbon_stage: str | None = None
    certificates: tuple[str, ...] = ()
    #: due-diligence flags raised about the lot (e.g. "conflict_area", "unverified_origin")
    flags: tuple[str, ...] = ()
    #: the events the facts came from, sorted
    source_events: tuple[str, ...] = ()
    site: str | None = None
    #: which event declared a member, for the members not declared by the newest of
    #: ``source_events`` (keys "mass_kg", "site", "element_content:Co", "recycled:Co"...).
    #: Without it "the larger event id wins" would depend on the merge order: a merged lot
    #: must remember that its country came from an older event than its mass.
    provenance: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Take:
    """A quantity of one lot consumed or produced by a transformation."""

    lot: str
    kg: float


@dataclass(frozen=True, slots=True)
class Transformation:
    event_id: str
    time_us: int  # eventTime, microseconds since the epoch (UTC)
    site: str | None  # bizLocation (else readPoint) Digital Link
    inputs: tuple[Take, ...]
    outputs: tuple[Take, ...]
    chain_of_custody: ChainOfCustody = DEFAULT_CHAIN_OF_CUSTODY
    process_emissions_kg: float = 0.0
    process_emissions_stage: str | None = None


@dataclass(frozen=True, slots=True)
class Aggregation:
    """Children packed into a parent (cells → module → pack): the parent's ledger is the sum."""

    event_id: str
    time_us: int
    parent: str
    children: tuple[Take, ...]
    action: Literal["ADD", "DELETE"] = "ADD"


class FactsView(Protocol):
    """Read access to the fact set, as the ledger needs it (a dict in tests, tables in faust)."""

    def lot(self, lot: str) -> LotFacts | None: ...

    def produced_by(self, lot: str) -> list[Transformation]:
        """Transformations that list ``lot`` among their outputs, sorted by (time, event id)."""
        ...

    def aggregations_of(self, parent: str) -> list[Aggregation]:
        """Aggregations with ``parent`` as parent, sorted by (time, event id)."""
        ...

    def at_site(self, site: str, start_us: int, end_us: int) -> list[Transformation]:
        """Mass-balance transformations at ``site`` with start <= time < end: the pool of a
        site's period. Only they share a pool, so only they are indexed by site (a busy
        site's other transformations would make the index grow with every event)."""
        ...
