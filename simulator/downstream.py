"""Precursor, cathode and anode plants, the cell gigafactory, module and pack assembly:
sized by the plan (simulator.plan) for the packs the scenario asks for."""

from __future__ import annotations

import random

from simulator.chain import Chain, floor6
from simulator.model import Declaration, Take
from simulator.plan import YIELD, Plan
from simulator.reference import (
    CELL_KG,
    CELL_KG_CO2E_PER_KWH,
    CELL_KWH,
    GHG_KG_PER_KG,
    NOMINAL,
    PROCESS_KG_PER_KG,
    UPSTREAM_SHARE,
)
from simulator.refining import run_days
from simulator.scenario import Scenario, Volumes

SPAN_DAYS = 14.0


def _declare(element_kg: dict[str, float], yields: dict[str, float], kg: float) -> Declaration:
    fractions = tuple(
        (e, floor6(element_kg[e] * y / kg)) for e, y in yields.items() if element_kg.get(e, 0) > 0
    )
    if sum(f for _, f in fractions) > 1:
        raise ValueError(f"mass fractions {fractions} sum above 1")
    return Declaration(fractions)


def _draw(chain: Chain, site: str, product: str, kg: float, rand: random.Random) -> list[Take]:
    takes = chain.stock[site].draw(product, kg, rand)
    if not takes:
        raise ValueError(f"{site} has no {product} left for a run")
    return takes


def _forward(chain: Chain, site: str, product: str, to: str, days: tuple[float, float]) -> None:
    """Ship every lot of ``product`` the site made to ``to`` a day after it was made."""
    rand = chain.rand(f"ship:{site}")
    made = {
        o.lot: op.time for op in chain.ops if op.site == site for o in getattr(op, "outputs", ())
    }
    for held in chain.stock[site].lots(product):
        when = chain.at(site, chain.day_of(made[held.lot]) + rand.uniform(0.3, 1.0))
        chain.ship(held.lot, site, to, when, rand.uniform(*days))


def downstream(chain: Chain, scenario: Scenario, v: Volumes, plan: Plan) -> None:
    _pcam(chain, v.pcam_runs, plan)
    _forward(chain, "pl-pcam", "pcam-811", "pl-cam", (0.2, 0.4))
    _cam(chain, v.cam_runs, plan)
    _forward(chain, "pl-cam", "cam-811", "de-cells", (2, 3))
    _anode(chain, v.anode_runs, plan)
    _forward(chain, "se-anode", "anode-graphite", "de-cells", (3, 5))
    cells = _cells(chain, plan)
    _assemble(chain, scenario, cells)


def _pcam(chain: Chain, runs: int, plan: Plan) -> None:
    site, rand = "pl-pcam", chain.rand("runs:pl-pcam")
    target = NOMINAL["pcam-811"]
    salts = {"Ni": "ni-sulfate", "Co": "co-sulfate", "Mn": "mn-sulfate"}
    for day in run_days(chain, site, runs, rand, SPAN_DAYS):
        when = chain.at(site, day)
        out = plan.pcam_kg / runs * rand.uniform(0.9, 1.1)
        takes: list[Take] = []
        for element, salt in salts.items():
            need = out * target[element] / YIELD["pcam"] / NOMINAL[salt][element]
            takes += _draw(chain, site, salt, need, rand)
        element_kg = chain.element_in(takes)
        kg = round(element_kg["Ni"] * YIELD["pcam"] / target["Ni"], 3)
        decl = _declare(element_kg, dict.fromkeys(salts, YIELD["pcam"]), kg)
        emissions = PROCESS_KG_PER_KG["pcam-811"] * kg
        order = chain.number(f"order:{site}", 1000000)
        chain.transform(site, when, takes, [("pcam-811", kg, decl)], emissions, order)


def _cam(chain: Chain, runs: int, plan: Plan) -> None:
    site, rand = "pl-cam", chain.rand("runs:pl-cam")
    target = NOMINAL["cam-811"]
    for day in run_days(chain, site, runs, rand, SPAN_DAYS):
        when = chain.at(site, day)
        out = plan.cam_kg / runs * rand.uniform(0.9, 1.1)
        pcam = out * target["Ni"] / YIELD["cam"] / NOMINAL["pcam-811"]["Ni"]
        lioh = out * target["Li"] * 1.02 / YIELD["cam_li"] / NOMINAL["li-hydroxide"]["Li"]
        takes = _draw(chain, site, "pcam-811", pcam, rand)
        takes += _draw(chain, site, "li-hydroxide", lioh, rand)
        element_kg = chain.element_in(takes)
        kg = round(element_kg["Ni"] * YIELD["cam"] / target["Ni"], 3)
        yields = {"Li": YIELD["cam_li"], "Ni": YIELD["cam"], "Co": YIELD["cam"], "Mn": YIELD["cam"]}
        decl = _declare(element_kg, yields, kg)
        emissions = PROCESS_KG_PER_KG["cam-811"] * kg
        order = chain.number(f"order:{site}", 2000000)
        chain.transform(site, when, takes, [("cam-811", kg, decl)], emissions, order)


def _anode(chain: Chain, runs: int, plan: Plan) -> None:
    """Segregated: every input lot is Balama graphite with the same attributes."""
    site, rand = "se-anode", chain.rand("runs:se-anode")
    purity = NOMINAL["anode-graphite"]["C"]
    share = (1 - UPSTREAM_SHARE["C"]) * GHG_KG_PER_KG["graphite_natural"]
    for day in run_days(chain, site, runs, rand, SPAN_DAYS):
        when = chain.at(site, day)
        out = plan.anode_kg / runs * rand.uniform(0.9, 1.1)
        need = out * purity / YIELD["anode"] / NOMINAL["graphite-conc"]["C"]
        takes = _draw(chain, site, "graphite-conc", need, rand)
        carbon = chain.element_in(takes)["C"] * YIELD["anode"]
        kg = round(carbon / purity, 3)
        decl = Declaration((("C", floor6(carbon / kg)),))
        chain.transform(site, when, takes, [("anode-graphite", kg, decl)], share * kg)


def _cells(chain: Chain, plan: Plan) -> list[str]:
    site, rand = "de-cells", chain.rand("runs:de-cells")
    cells: list[str] = []
    days = run_days(chain, site, len(plan.cells_per_run), rand, SPAN_DAYS)
    for day, count in zip(days, plan.cells_per_run, strict=True):
        when = chain.at(site, day)
        takes = _draw(chain, site, "cam-811", count * plan.cam_per_cell, rand)
        takes += _draw(chain, site, "anode-graphite", count * plan.anode_per_cell, rand)
        takes += _draw(chain, site, "cu-foil", count * plan.foil_per_cell, rand)
        element_kg = chain.element_in(takes)
        decl = _declare(element_kg, dict.fromkeys(element_kg, YIELD["cell"]), count * CELL_KG)
        decl = Declaration(decl.fractions, net_weight_kg=CELL_KG)
        emissions = count * CELL_KWH * CELL_KG_CO2E_PER_KWH
        cells += chain.make_items(site, when, takes, "cell", count, decl, emissions)
    return cells


def _assemble(chain: Chain, scenario: Scenario, cells: list[str]) -> None:
    """Cells into modules, modules into packs; each pack of cells from several runs."""
    rand = chain.rand("assembly")
    start = chain.day_of(max(op.time for op in chain.ops if op.site == "de-cells")) + 1
    shuffled = list(cells)
    rand.shuffle(shuffled)
    per_module = scenario.cells_per_module
    modules = []
    for i in range(0, len(shuffled), per_module):
        when = chain.at("de-modules", start + i / len(shuffled) * 5 + rand.uniform(0, 0.01))
        modules.append(chain.aggregate("de-modules", when, "module", shuffled[i : i + per_module]))
    rand.shuffle(modules)
    per_pack = scenario.modules_per_pack
    packs = []
    for i in range(0, len(modules), per_pack):
        when = chain.at("de-packs", start + 6 + i / len(modules) * 5 + rand.uniform(0, 0.01))
        packs.append(chain.aggregate("de-packs", when, "pack", modules[i : i + per_pack]))
    chain.items = {"cell": tuple(cells), "module": tuple(modules), "pack": tuple(packs)}
