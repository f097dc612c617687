"""The three refineries: cobalt sulphate (controlled blending, where the laundering run is
injected), nickel sulphate with a cobalt by-product (mass balance, with recycled-content
claims drawn from the period's credit), lithium hydroxide (an ERP production system)."""

from __future__ import annotations

import math
import random
from datetime import datetime

from simulator.chain import Chain, floor6
from simulator.model import Declaration, Laundering, Recycled, Take
from simulator.plan import Plan
from simulator.reference import GHG_KG_PER_KG, NOMINAL, PROCESS_KG_PER_KG, UPSTREAM_SHARE
from simulator.scenario import Volumes
from simulator.sites import OTHER_CUSTOMERS

#: refineries run over this many days once their feed has arrived
SPAN_DAYS = 28.0
#: how much more an injected laundering run declares than its inputs allow
LAUNDERING_FACTOR = 1.3
#: the ledger's mass-balance periods: fixed windows of 30 days from the Unix epoch
#: (ORETRAIL_LEDGER_MASS_BALANCE_PERIOD_DAYS, default 30); claims are budgeted per period
PERIOD_DAYS = 30
#: a claim uses at most this share of the recycled credit the period has received so far
CLAIM_SHARE = 0.8


def last_arrival(chain: Chain, site: str) -> float:
    times = [
        op.time for op in chain.ops if op.site == site and getattr(op, "step", "") == "receiving"
    ]
    return chain.day_of(max(times))


def run_days(chain: Chain, site: str, runs: int, rand: random.Random, span: float) -> list[float]:
    start = last_arrival(chain, site) + 1
    return [start + span * (i + rand.uniform(0.1, 0.9)) / runs for i in range(runs)]


def draw_share(
    chain: Chain, site: str, product: str, runs_left: int, rand: random.Random
) -> list[Take]:
    """This run's part of what is left: an even share with some scatter, all of it last."""
    stock = chain.stock[site]
    if runs_left <= 1:
        return stock.draw_all(product)
    return stock.draw(product, stock.left(product) / runs_left * rand.uniform(0.8, 1.2), rand)


def refineries(chain: Chain, v: Volumes, plan: Plan, laundering: bool) -> Laundering | None:
    injected = _cobalt(chain, v.cobalt_runs, laundering)
    _nickel(chain, v.nickel_runs)
    _lithium(chain, v.lithium_runs)
    chain.ops.sort(key=lambda op: (op.time, op.key))
    first = [injected.lot] if injected is not None else []
    _sell(chain, "fi-cobalt", "co-sulfate", first, 3, plan.cobalt_sulfate_kg)
    _sell(chain, "fi-nickel", "ni-sulfate", [], 3, plan.nickel_sulfate_kg)
    _sell(chain, "fi-lithium", "li-hydroxide", [], 3, plan.lithium_hydroxide_kg)
    return injected


def _cobalt(chain: Chain, runs: int, laundering: bool) -> Laundering | None:
    site = "fi-cobalt"
    rand = chain.rand(f"runs:{site}")
    injected: Laundering | None = None
    target = NOMINAL["co-sulfate"]["Co"]
    for i, day in enumerate(run_days(chain, site, runs, rand, SPAN_DAYS)):
        when = chain.at(site, day)
        takes = draw_share(chain, site, "co-hydroxide", runs - i, rand)
        takes += draw_share(chain, site, "black-mass", runs - i, rand)
        co = chain.element_in(takes)["Co"] * rand.uniform(0.955, 0.975)
        kg = round(co / (target * rand.uniform(0.994, 1.0)), 3)
        fraction = floor6(co / kg)
        launder = laundering and i == runs // 2
        if launder:
            kg = round(kg * LAUNDERING_FACTOR, 3)  # the same grade, more of it: Co from nowhere
        emissions = (1 - UPSTREAM_SHARE["Co"]) * GHG_KG_PER_KG["coso4"] * kg
        decl = Declaration((("Co", fraction),))
        outputs = _split("co-sulfate", kg, decl, i % 4 == 3 and not launder)
        (lot, *_) = chain.transform(site, when, takes, outputs, emissions)
        if launder:
            injected = Laundering(chain.ops[-1].key, lot, "Co", LAUNDERING_FACTOR)
    return injected


def _period(when: datetime) -> int:
    return math.floor(when.timestamp() / (PERIOD_DAYS * 86400))


def _nickel(chain: Chain, runs: int) -> None:
    """Mass balance: every third run claims recycled nickel for its sulphate, within the
    recycled nickel the period's black mass brought in so far (the period's credit only
    grows as more black mass is fed, so a claim that fits when made still fits at the end).
    The cobalt in the feed leaves in an intermediate sold outside the chain."""
    site = "fi-nickel"
    rand = chain.rand(f"runs:{site}")
    credit: dict[int, list[float]] = {}
    claimed: dict[int, list[float]] = {}
    for i, day in enumerate(run_days(chain, site, runs, rand, SPAN_DAYS)):
        when = chain.at(site, day)
        takes = draw_share(chain, site, "mhp", runs - i, rand)
        takes += draw_share(chain, site, "black-mass", runs - i, rand)
        period = _period(when)
        got = credit.setdefault(period, [0.0, 0.0])
        used = claimed.setdefault(period, [0.0, 0.0])
        for take in takes:
            share = _declared_recycled(chain, take.lot, "Ni")
            ni = chain.element_in([take]).get("Ni", 0.0)
            got[0] += ni * share.pre
            got[1] += ni * share.post
        ni = chain.element_in(takes)["Ni"] * rand.uniform(0.96, 0.98)
        kg = round(ni / (NOMINAL["ni-sulfate"]["Ni"] * rand.uniform(0.994, 1.0)), 3)
        fraction = floor6(ni / kg)
        recycled: tuple[Recycled, ...] = ()
        if i % 3 == 1:
            out = fraction * kg
            pre, post = (
                min(0.5, math.floor(max(0.0, CLAIM_SHARE * got[k] - used[k]) / out * 1e4) / 1e4)
                for k in (0, 1)
            )
            if pre > 0 or post > 0:
                recycled = (Recycled("Ni", pre, post),)
                used[0] += pre * out
                used[1] += post * out
        emissions = (1 - UPSTREAM_SHARE["Ni"]) * GHG_KG_PER_KG["niso4"] * kg
        decl = Declaration((("Ni", fraction),), recycled)
        chain.transform(site, when, takes, _split("ni-sulfate", kg, decl, i % 4 == 3), emissions)


def _split(
    product: str, kg: float, decl: Declaration, two: bool
) -> list[tuple[str, float, Declaration]]:
    """One lot, or two of the same material (two silos filled by one run)."""
    if not two:
        return [(product, kg, decl)]
    first = round(kg * 0.6, 3)
    return [(product, first, decl), (product, round(kg - first, 3), decl)]


def _declared_recycled(chain: Chain, lot: str, element: str) -> Recycled:
    for share in chain.declarations[lot].recycled:
        if share.element == element:
            return share
    return Recycled(element, 0.0, 0.0)


def _lithium(chain: Chain, runs: int) -> None:
    site = "fi-lithium"
    rand = chain.rand(f"runs:{site}")
    refined = NOMINAL["li-hydroxide"]["Li"]
    per_kg = {
        "spodumene-sc6": (1 - UPSTREAM_SHARE["Li_ore"] - UPSTREAM_SHARE["Li_concentrate"])
        * GHG_KG_PER_KG["lioh_spodumene"],
        "li-carbonate": PROCESS_KG_PER_KG["li-hydroxide-from-carbonate"],
        "black-mass": PROCESS_KG_PER_KG["li-hydroxide-from-black-mass"],
    }
    for i, day in enumerate(run_days(chain, site, runs, rand, SPAN_DAYS)):
        when = chain.at(site, day)
        takes: list[Take] = []
        emissions = 0.0
        for product in per_kg:
            drawn = draw_share(chain, site, product, runs - i, rand)
            li = chain.element_in(drawn).get("Li", 0.0)
            emissions += per_kg[product] * li / refined  # per kg of LiOH·H2O it makes
            takes += drawn
        li = chain.element_in(takes)["Li"] * rand.uniform(0.90, 0.93)
        kg = round(li / (refined * rand.uniform(0.992, 1.0)), 3)
        decl = Declaration((("Li", floor6(li / kg)),))
        order = chain.number(f"order:{site}", 4000000)
        chain.transform(site, when, takes, [("li-hydroxide", kg, decl)], emissions, order)


def _sell(chain: Chain, site: str, product: str, first: list[str], count: int, need: float) -> None:
    """Ship at least ``count`` lots holding at least ``need`` kg (``first`` among them, then
    lots spread over the campaign) to the plant downstream that uses ``product``; every
    other lot of it goes to buyers outside the chain."""
    rand = chain.rand(f"sell:{site}:{product}")
    lots = [h.lot for h in chain.stock[site].lots(product)]
    chosen = list(first)
    step = max(1, len(lots) // (count + 1))
    spread = [*lots[step::step], *lots]  # evenly over the campaign first, then any
    for lot in spread:
        if len(chosen) >= count and sum(chain.mass[c] for c in chosen) >= need:
            break
        if lot not in chosen:
            chosen.append(lot)
    if sum(chain.mass[lot] for lot in chosen) < need:
        raise ValueError(f"{site} made less {product} than the {need:.0f} kg the chain needs")
    destination = {"co-sulfate": "pl-pcam", "ni-sulfate": "pl-pcam", "li-hydroxide": "pl-cam"}[
        product
    ]
    made = {lot: op.time for op in chain.ops if op.site == site for lot in _outputs_of(op)}
    for i, lot in enumerate(lots):
        to = destination if lot in chosen else OTHER_CUSTOMERS[i % len(OTHER_CUSTOMERS)]
        when = chain.at(site, chain.day_of(made[lot]) + rand.uniform(1, 3))
        chain.ship(lot, site, to, when, rand.uniform(4, 7))


def _outputs_of(op: object) -> list[str]:
    outputs = getattr(op, "outputs", ())
    return [o.lot for o in outputs if o.lot is not None]
