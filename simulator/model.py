"""The simulator's flow model: sites, products, lots and the operations between them.

Everything here is plain data (frozen dataclasses). The generator (``simulator.flows``)
builds a :class:`Flow`; the feed writers render it in each site's own format; the ground
truth (``simulator.truth``) does its own arithmetic on it. Masses in kg, carbon in kg CO2e,
times timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

#: the elements the ledger tracks (C is graphite), in its canonical order
ELEMENTS = ("Li", "Co", "Ni", "Mn", "C", "Cu")

Feed = Literal["epcis-json", "epcis-xml", "epcis-xml-1.2", "erp-csv", "erp-json", "erp-staging"]
Custody = Literal["identity_preserved", "segregated", "controlled_blending", "mass_balance"]


@dataclass(frozen=True, slots=True)
class Site:
    key: str  # short name, also the folder of its feeds
    name: str
    gln: str  # 13 digits, check digit included
    country: str  # ISO 3166-1 alpha-2 of the site
    utc_offset: str  # "+02:00": the offset its clocks write
    feed: Feed
    custody: Custody = "controlled_blending"
    erp: str | None = None  # the ERP system (one mapping file each) of an ERP site
    plant: str | None = None  # the ERP plant number of the site

    @property
    def uri(self) -> str:
        return f"https://id.gs1.org/414/{self.gln}"


@dataclass(frozen=True, slots=True)
class Product:
    key: str
    name: str
    gtin: str  # 14 digits, check digit included
    material: str  # the ERP material number
    prefix: str  # of its lot numbers / serials
    nominal: tuple[tuple[str, float], ...] = ()  # element -> mass fraction as specified


@dataclass(frozen=True, slots=True)
class Recycled:
    element: str
    pre: float
    post: float


@dataclass(frozen=True, slots=True)
class Declaration:
    """What a lot's ILMD states (the ``ot:`` vocabulary and ``cbvmda:countryOfOrigin``)."""

    fractions: tuple[tuple[str, float], ...] = ()
    recycled: tuple[Recycled, ...] = ()
    country: str | None = None
    carbon_per_kg: float | None = None
    carbon_stage: str | None = None
    net_weight_kg: float | None = None  # each item of a serialised output

    def fraction(self, element: str) -> float:
        return dict(self.fractions).get(element, 0.0)


@dataclass(frozen=True, slots=True)
class Take:
    lot: str
    kg: float


@dataclass(frozen=True, slots=True)
class Output:
    """What a transformation makes: one lot (``lot``, ``kg``) or serialised items (``items``,
    each ``declaration.net_weight_kg``); the declaration applies to each of them."""

    product: str
    declaration: Declaration
    lot: str | None = None
    kg: float = 0.0
    items: tuple[str, ...] = ()

    def lots(self) -> tuple[tuple[str, float], ...]:
        if self.lot is not None:
            return ((self.lot, self.kg),)
        weight = self.declaration.net_weight_kg or 0.0
        return tuple((item, weight) for item in self.items)


@dataclass(frozen=True, slots=True)
class Commission:
    """A lot that starts here (a mine's output, a recycler's black mass, a purchased lot)."""

    key: str  # unique among the operations, stable for a seed
    event_id: str | None  # None: the site's system sends no eventID (the hash is its id)
    time: datetime
    site: str
    product: str
    lot: str
    kg: float
    declaration: Declaration
    certificates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transform:
    key: str
    event_id: str | None
    time: datetime
    site: str
    inputs: tuple[Take, ...]
    outputs: tuple[Output, ...]
    custody: Custody
    emissions_kg: float
    order: str | None = None  # the ERP production order of an ERP site


@dataclass(frozen=True, slots=True)
class Aggregate:
    key: str
    event_id: str | None
    time: datetime
    site: str
    product: str  # of the parent
    parent: str
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Move:
    """A lot leaving a site (``shipping``) or arriving at one (``receiving``); the ledger
    ignores them, the lineage of places does not."""

    key: str
    event_id: str | None
    time: datetime
    site: str
    step: Literal["shipping", "receiving"]
    product: str
    lot: str
    kg: float
    partner: str  # the other site's key
    document: str  # the despatch advice / purchase order number


Operation = Commission | Transform | Aggregate | Move


@dataclass(frozen=True, slots=True)
class Laundering:
    """The injected laundering run: its operation and the element it inflates."""

    key: str
    lot: str
    element: str
    factor: float


@dataclass(frozen=True)
class Flow:
    sites: dict[str, Site]
    products: dict[str, Product]
    operations: tuple[Operation, ...]  # in time order
    #: lot or item -> the product it is
    product_of: dict[str, str]
    #: serialised assemblies by level: "pack", "module", "cell" -> their ids
    items: dict[str, tuple[str, ...]] = field(default_factory=dict)
    laundering: Laundering | None = None
