"""The element ledger: a pure, deterministic function of the fact set (``streams.model``).

For each lot and element: element mass, recycled mass (pre-/post-consumer), primary mass by
country of origin; for the lot: carbon footprint, certificates, flags, alerts. Masses in kg,
carbon in kg CO2e.

**A lot nothing produced** (a mine's output, a recycler's feed) is its own facts: element
mass = mass * ``ot:massFraction``; pre/post-consumer = ``ot:recycledShare`` * element mass;
the rest is primary and comes from ``cbvmda:countryOfOrigin`` ("unknown" if undeclared);
carbon = ``ot:kgCO2ePerKg`` * mass (0 if undeclared). Out-of-range declarations raise
``invalid_declaration`` and are left out.

**A lot a transformation produced.** Physical side, the same for every model: each input
contributes ``kg taken / input lot mass`` of its ledger (10 t from a 20 t lot carries half its
element mass and half its footprint; a take without a usable quantity means the whole lot; a
take above the lot's mass raises ``quantity_exceeds_lot`` and carries the whole lot only).
An output that declares ``ot:elementContent`` has massFraction * its kg of each element it
names and none of the others; what the declaring outputs leave of the inputs' element mass is
spread over the other outputs by mass. Carbon: the inputs' carried footprint plus
``ot:processEmissions``, split over the outputs by mass. Custody side, by
``ot:chainOfCustody``:

- ``controlled_blending`` (default): every output carries the element-mass-weighted mix of
  the inputs (recycled shares and primary-origin shares);
- ``identity_preserved``: the same with a single input lot, i.e. the input's attributes; more
  than one input lot raises ``chain_of_custody_violation`` (the outputs carry the blend);
- ``segregated``: like identity preservation, but several input lots may be mixed if they all
  have the same recycled and origin shares for every element; input certificates common to
  all inputs are inherited (under the other models a certificate is the lot's own);
- ``mass_balance``: the pool is every input of the site's mass-balance transformations in the
  period (fixed windows of ``mass_balance_period_days`` from the Unix epoch; an event without
  a site is its own pool), except lots made inside the pool and lots whose lineage leads
  back to something the pool made (material that left the site and came back within the
  period: counting it would make the pool depend on itself). An output declaring
  ``ot:recycledShare`` for an element draws that recycled mass from a credit account per
  (site, period, element, pre/post); claims settle in (time, event id, lot) order and one
  that takes the account below zero (beyond the tolerance) raises
  ``recycled_claim_exceeds_input`` and gets only what was left. Outputs without a claim share
  what the claims left (after losses); lots consumed within the pool carry its average.
  Primary origins are the pool's.

Output element mass above input element mass * (1 + tolerance) raises
``mass_balance_violation`` with the figures. Outside mass balance, a declared recycled share
above what the output carries (per pre/post) raises ``recycled_claim_exceeds_input``; a
declared country of origin that no primary input comes from raises ``origin_without_input``.
An element no input carries comes from "unknown" origin. Input/output checks run only when
every fact they need is present (``complete``), so a lot whose inputs' facts have not yet
arrived raises nothing spurious.

**An aggregation parent** is the sum of its children (ADD and DELETE replayed in (time,
event id) order; a DELETE without children unpacks all); it inherits the certificates common
to all children. A lot both produced and aggregated (``conflicting_lineage``) follows the
transformation.

**Flags** are inherited downstream with the material; every alert adds ``alert:<type>`` to
the flags of the lots it marks, so a pack built from laundered cobalt carries the mark.
A lot produced by several transformations (``multiple_producers``) follows the first by
(time, event id); a lineage cycle raises ``lineage_cycle`` instead of recursing forever.

**Determinism**: everything iterated is sorted and floats are summed in that order, so the
same fact set gives bit-identical ledgers whatever the order the facts arrived in, and a
:class:`Ledgers` gives the same ledger whichever lots it computed before (outside lineage
cycles, which are cut where first met). A first call computes dependencies bottom-up, so
a supply chain thousands of steps long is no deep recursion; ``trace_json`` nests at most
``MAX_DEPTH`` levels of inputs.

Entry points: :func:`compute` (one lot), :class:`Ledgers` (many lots of one fact set,
memoised), :func:`trace_json` (``oretrail trace --json``), :func:`downstream` (what to
recompute after a new fact), :class:`LedgerConfig` (``ORETRAIL_LEDGER_TOLERANCE``,
``ORETRAIL_LEDGER_MASS_BALANCE_PERIOD_DAYS``).
"""

from __future__ import annotations

from streams.ledger._compute import Ledgers
from streams.ledger._downstream import LineageView, downstream
from streams.ledger._trace import MAX_DEPTH, alert_json, ledger_json, trace_json, trace_json_many
from streams.ledger._types import (
    CHAIN_OF_CUSTODY_VIOLATION,
    CONFLICTING_LINEAGE,
    DEFAULT_CONFIG,
    INVALID_DECLARATION,
    LINEAGE_CYCLE,
    MASS_BALANCE_VIOLATION,
    MULTIPLE_PRODUCERS,
    ORIGIN_WITHOUT_INPUT,
    QUANTITY_EXCEEDS_LOT,
    RECYCLED_CLAIM_EXCEEDS_INPUT,
    UNKNOWN_ORIGIN,
    Alert,
    ElementLedger,
    LedgerConfig,
    LotLedger,
)
from streams.model import FactsView


def compute(lot: str, facts: FactsView, config: LedgerConfig | None = None) -> LotLedger:
    """The ledger of ``lot``. To compute many lots of one fact set, share a :class:`Ledgers`."""
    return Ledgers(facts, config).of(lot)


__all__ = [
    "CHAIN_OF_CUSTODY_VIOLATION",
    "CONFLICTING_LINEAGE",
    "DEFAULT_CONFIG",
    "INVALID_DECLARATION",
    "LINEAGE_CYCLE",
    "MASS_BALANCE_VIOLATION",
    "MAX_DEPTH",
    "MULTIPLE_PRODUCERS",
    "ORIGIN_WITHOUT_INPUT",
    "QUANTITY_EXCEEDS_LOT",
    "RECYCLED_CLAIM_EXCEEDS_INPUT",
    "UNKNOWN_ORIGIN",
    "Alert",
    "ElementLedger",
    "LedgerConfig",
    "Ledgers",
    "LineageView",
    "LotLedger",
    "alert_json",
    "compute",
    "downstream",
    "ledger_json",
    "trace_json",
    "trace_json_many",
]
