"""The ledger's results (element ledgers, alerts, lot ledgers) and its configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.model import ELEMENTS

MASS_BALANCE_VIOLATION = "mass_balance_violation"
RECYCLED_CLAIM_EXCEEDS_INPUT = "recycled_claim_exceeds_input"
ORIGIN_WITHOUT_INPUT = "origin_without_input"
CHAIN_OF_CUSTODY_VIOLATION = "chain_of_custody_violation"
QUANTITY_EXCEEDS_LOT = "quantity_exceeds_lot"
MULTIPLE_PRODUCERS = "multiple_producers"
CONFLICTING_LINEAGE = "conflicting_lineage"
LINEAGE_CYCLE = "lineage_cycle"
INVALID_DECLARATION = "invalid_declaration"

#: primary origin of material whose country nobody declared (or that no input accounts for)
UNKNOWN_ORIGIN = "unknown"


class LedgerConfig(BaseSettings):
    """Tolerances of the checks. ``LedgerConfig()`` reads ``ORETRAIL_LEDGER_*``; the ledger's own
    default (:data:`DEFAULT_CONFIG`) never looks at the environment, so a computation stays a
    function of its arguments."""

    model_config = SettingsConfigDict(env_prefix="ORETRAIL_LEDGER_", frozen=True, extra="forbid")

    tolerance: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="relative gain allowed before output element mass or a recycled claim "
        "counts as exceeding its input (measurement and rounding noise)",
    )
    mass_balance_period_days: int = Field(
        default=30,
        ge=1,
        description="length of the fixed mass-balance periods, counted from the Unix epoch",
    )

    @property
    def period_us(self) -> int:
        return self.mass_balance_period_days * 86_400 * 1_000_000


DEFAULT_CONFIG = LedgerConfig.model_construct()


def element_order(element: str) -> tuple[int, str]:
    """The contract's elements first in their canonical order, then any other symbol by name."""
    return (ELEMENTS.index(element) if element in ELEMENTS else len(ELEMENTS), element)


def _share(part: float, whole: float) -> float:
    return min(1.0, max(0.0, part / whole)) if whole > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ElementLedger:
    """One element of one lot, in kg. ``pre + post + sum(primary_origin_kg) == mass``."""

    mass_kg: float
    pre_consumer_kg: float = 0.0
    post_consumer_kg: float = 0.0
    #: country (ISO alpha-2, or "unknown") -> kg of primary (non-recycled) element mass
    primary_origin_kg: Mapping[str, float] = field(default_factory=dict)

    @property
    def primary_kg(self) -> float:
        return sum(self.primary_origin_kg[c] for c in sorted(self.primary_origin_kg))

    @property
    def pre_consumer_share(self) -> float:
        return _share(self.pre_consumer_kg, self.mass_kg)

    @property
    def post_consumer_share(self) -> float:
        return _share(self.post_consumer_kg, self.mass_kg)

    def primary_origin_shares(self) -> dict[str, float]:
        """Shares of the primary part by country; they sum to 1 when any primary mass exists."""
        total = self.primary_kg
        return {c: _share(self.primary_origin_kg[c], total) for c in sorted(self.primary_origin_kg)}


@dataclass(frozen=True, slots=True)
class Alert:
    """A check that failed. ``lot`` is the lot it marks; ``event_id`` the event at fault."""

    type: str
    lot: str
    event_id: str | None
    element: str | None
    figures: Mapping[str, float]
    message: str

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.type, self.event_id or "", self.element or "", self.lot, self.message)


class Finding(NamedTuple):
    """An alert before it is attached to the lots it marks."""

    type: str
    event_id: str | None
    element: str | None
    figures: Mapping[str, float]
    message: str

    def on(self, lot: str) -> Alert:
        return Alert(self.type, lot, self.event_id, self.element, self.figures, self.message)


@dataclass(frozen=True, slots=True)
class LotLedger:
    lot: str
    mass_kg: float
    elements: Mapping[str, ElementLedger]
    carbon_kg: float
    certificates: tuple[str, ...]
    #: the lot's own flags, its inputs' flags (due-diligence risk is inherited) and
    #: ``alert:<type>`` for every alert raised on this lot or upstream of it
    flags: tuple[str, ...]
    #: alerts that mark this lot (upstream alerts stay on the upstream lots)
    alerts: tuple[Alert, ...]
    #: (input lot or aggregated child, kg taken), sorted by lot
    inputs: tuple[tuple[str, float], ...]
    #: False while a fact this ledger needs is missing (an input's facts, a quantity); the
    #: checks that compare inputs with outputs only run on complete figures
    complete: bool

    @property
    def carbon_kg_per_kg(self) -> float:
        return self.carbon_kg / self.mass_kg if self.mass_kg > 0 else 0.0
