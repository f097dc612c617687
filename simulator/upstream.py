"""Mines, concentrators, suppliers and the recycler: the lots the chain starts from, and
their trip to the plants that use them."""

from __future__ import annotations

import random
from datetime import datetime

from simulator.chain import Chain, floor6
from simulator.model import Declaration, Recycled
from simulator.plan import Plan
from simulator.reference import ASSUMED_KG_PER_KG, GHG_KG_PER_KG, NOMINAL, UPSTREAM_SHARE
from simulator.scenario import Volumes

EXTRACTION = "RawMaterialExtraction"
#: days a lot is at sea / on the road, by origin (min, max)
TRANSIT = {
    "drc-mine": (35, 45), "au-mine": (40, 50), "cl-brine": (35, 45), "id-nickel": (35, 45),
    "mz-graphite": (35, 45), "za-manganese": (30, 40), "kr-foil": (35, 45),
    "de-recycler": (3, 5),
}  # fmt: skip
RMAP = "https://certs.example.org/rmap/conformant-smelter/2026-CD-117"
#: the days over which the mines commission their lots
SPAN_DAYS = 25.0


def _footprint(element: str, fraction: float, share: float, ref: str) -> float:
    """kg CO2e per kg of a lot holding ``fraction`` of ``element``: ``share`` of the
    footprint (``ref``) of the refined product the element makes, per kg of that product."""
    refined = {"Co": "co-sulfate", "Ni": "ni-sulfate", "Li": "li-hydroxide"}.get(element)
    per_refined = NOMINAL[refined][element] if refined else NOMINAL["anode-graphite"]["C"]
    return round(share * GHG_KG_PER_KG[ref] * fraction / per_refined, 4)


def _days(i: int, n: int, rand: random.Random, span: float = SPAN_DAYS) -> float:
    return span * (i + rand.uniform(0.05, 0.95)) / n


def _ship(chain: Chain, lot: str, origin: str, destination: str, made: datetime) -> None:
    rand = chain.rand(f"ship:{origin}")
    low, high = TRANSIT[origin]
    when = chain.at(origin, chain.day_of(made) + rand.uniform(0.5, 3))
    chain.ship(lot, origin, destination, when, rand.uniform(low, high))


def _leaves(
    chain: Chain,
    site: str,
    product: str,
    count: int,
    kg: tuple[float, float],
    fractions: dict[str, tuple[float, float, int]],
    carbon: float | None,
    destination: str,
    certificates: tuple[str, ...] = (),
) -> list[tuple[str, datetime]]:
    """``count`` lots commissioned at ``site`` and shipped to ``destination``; ``fractions``
    gives each element's (low, high, decimals); ``carbon`` None means by the main element."""
    rand = chain.rand(f"lots:{site}")
    country = chain.sites[site].country
    lots = []
    for i in range(count):
        drawn = tuple((e, round(rand.uniform(lo, hi), d)) for e, (lo, hi, d) in fractions.items())
        main, fraction = drawn[0]
        per_kg = carbon
        if per_kg is None:
            per_kg = _main_footprint(product, main, fraction)
        decl = Declaration(drawn, (), country, per_kg, EXTRACTION)
        when = chain.at(site, _days(i, count, rand))
        lot = chain.commission(site, product, round(rand.uniform(*kg)), decl, when, certificates)
        lots.append((lot, when))
        if destination != site:
            _ship(chain, lot, site, destination, when)
    return lots


def _main_footprint(product: str, element: str, fraction: float) -> float:
    if product == "co-hydroxide":
        return _footprint(element, fraction, UPSTREAM_SHARE["Co"], "coso4")
    if product == "mhp":
        return _footprint(element, fraction, UPSTREAM_SHARE["Ni"], "niso4")
    if product == "spodumene-ore":
        return _footprint(element, fraction, UPSTREAM_SHARE["Li_ore"], "lioh_spodumene")
    if product == "graphite-conc":
        return _footprint(element, fraction, UPSTREAM_SHARE["C"], "graphite_natural")
    raise ValueError(f"no footprint rule for {product}")


def mines(chain: Chain, v: Volumes, plan: Plan) -> None:
    _leaves(
        chain,
        "drc-mine",
        "co-hydroxide",
        v.hydroxide_lots,
        (18000, 22000),
        {"Co": (0.27, 0.33, 4)},
        None,
        "fi-cobalt",
        (RMAP,),
    )
    ores = _leaves(
        chain,
        "au-mine",
        "spodumene-ore",
        v.ore_lots,
        (55000, 65000),
        {"Li": (0.0055, 0.0075, 5)},
        None,
        "au-mine",
    )
    _concentrate(chain, ores)
    _leaves(
        chain,
        "cl-brine",
        "li-carbonate",
        v.carbonate_lots,
        (9000, 11000),
        {"Li": (0.1860, 0.1879, 4)},
        GHG_KG_PER_KG["li2co3_brine"],
        "fi-lithium",
    )
    _leaves(
        chain,
        "id-nickel",
        "mhp",
        v.mhp_lots,
        (22000, 28000),
        {"Ni": (0.37, 0.41, 4), "Co": (0.035, 0.045, 4), "Mn": (0.02, 0.04, 4)},
        None,
        "fi-nickel",
    )
    _leaves(
        chain,
        "mz-graphite",
        "graphite-conc",
        v.graphite_lots,
        (18000, 22000),
        {"C": (0.94, 0.96, 4)},
        None,
        "se-anode",
    )
    _leaves(
        chain,
        "za-manganese",
        "mn-sulfate",
        v.manganese_lots,
        (9000, 11000),
        {"Mn": (0.320, 0.3251, 4)},
        ASSUMED_KG_PER_KG["mn-sulfate"],
        "pl-pcam",
    )
    foil_lots = max(2, v.packs // 4)
    size = plan.foil_kg / foil_lots
    # the foil mill declares the origin of its copper (Chilean cathode), not its own country
    rand = chain.rand("lots:kr-foil")
    for i in range(foil_lots):
        decl = Declaration((("Cu", 0.999),), (), "CL", ASSUMED_KG_PER_KG["cu-foil"], EXTRACTION)
        when = chain.at("kr-foil", _days(i, foil_lots, rand))
        lot = chain.commission("kr-foil", "cu-foil", size * rand.uniform(1.0, 1.2), decl, when)
        _ship(chain, lot, "kr-foil", "de-cells", when)
    _black_mass(chain, v.black_mass_lots)
    # the mines' own runs and shipments are done: sort them into time order
    chain.ops.sort(key=lambda op: (op.time, op.key))


def _concentrate(chain: Chain, ores: list[tuple[str, datetime]]) -> None:
    """One concentrator run per ore lot (identity preserved: one input, one output)."""
    rand = chain.rand("runs:au-mine")
    refined = NOMINAL["li-hydroxide"]["Li"]
    for ore, mined in ores:
        when = chain.at("au-mine", chain.day_of(mined) + rand.uniform(1, 4))
        take = chain.stock["au-mine"].take_whole(ore)
        li = chain.element_in([take])["Li"] * rand.uniform(0.78, 0.84)
        kg = round(li / rand.uniform(0.0270, 0.0290), 3)
        fraction = floor6(li / kg)
        share = UPSTREAM_SHARE["Li_concentrate"] * GHG_KG_PER_KG["lioh_spodumene"]
        decl = Declaration((("Li", fraction),), (), "AU")
        (lot,) = chain.transform(
            "au-mine", when, [take], [("spodumene-sc6", kg, decl)], share * li / refined
        )
        _ship(chain, lot, "au-mine", "fi-lithium", when)


def _black_mass(chain: Chain, count: int) -> None:
    """Black mass from end-of-life packs (post-consumer) and from gigafactory scrap
    (pre-consumer), some lots a blend of both; each goes to one of the three refineries."""
    rand = chain.rand("lots:de-recycler")
    refineries = ("fi-cobalt", "fi-nickel", "fi-lithium")
    for i in range(count):
        pre, post = (1.0, 0.0) if i % 4 == 3 else (0.25, 0.75) if i % 5 == 4 else (0.0, 1.0)
        drawn = tuple(
            (e, round(f * rand.uniform(0.9, 1.1), 4)) for e, f in NOMINAL["black-mass"].items()
        )
        recycled = tuple(Recycled(e, pre, post) for e, _ in drawn)
        decl = Declaration(
            drawn, recycled, "DE", ASSUMED_KG_PER_KG["black-mass"], "EndOfLifeRecycling"
        )
        when = chain.at("de-recycler", _days(i, count, rand, span=40.0))
        lot = chain.commission("de-recycler", "black-mass", round(rand.uniform(6000, 9000)), decl,
                               when)  # fmt: skip
        _ship(chain, lot, "de-recycler", refineries[i % 3], when)
