"""How much each downstream plant must make for the packs the scenario asks for: pure
arithmetic from the cell design (BatPac NMC811 intensities, simulator.reference) back to
the refined salts. Upstream plants make lots of a plausible industrial size instead; what
the chain does not need of them is sold to buyers outside it."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.reference import CELL_KWH, NMC811_KG_PER_KWH, NOMINAL

#: element yields of the downstream runs (what a run declares of what it took in)
YIELD = {"cell": 0.95, "cam": 0.98, "cam_li": 0.97, "pcam": 0.99, "anode": 0.55}
#: each plant makes this much more than the next one down needs
MARGIN = 1.3


@dataclass(frozen=True)
class Plan:
    cells: int
    cells_per_run: tuple[int, ...]
    cam_per_cell: float
    anode_per_cell: float
    foil_per_cell: float
    cam_kg: float  # all CAM runs together
    anode_kg: float
    foil_kg: float
    pcam_kg: float
    #: kg of the refined salts the downstream plants need, to choose the lots sold to them
    #: (manganese sulphate and graphite concentrate go to them whole)
    nickel_sulfate_kg: float
    cobalt_sulfate_kg: float
    lithium_hydroxide_kg: float


def _per_cell(element: str, product: str) -> float:
    """kg of ``product`` a cell run takes per cell for the cell's share of ``element``."""
    return CELL_KWH * NMC811_KG_PER_KWH[element] / NOMINAL[product][element] / YIELD["cell"]


def plan(packs: int, modules_per_pack: int, cells_per_module: int, cell_runs: int) -> Plan:
    cells = packs * modules_per_pack * cells_per_module
    runs = max(1, min(cell_runs, cells))
    base, extra = divmod(cells, runs)
    per_run = tuple(base + (1 if i < extra else 0) for i in range(runs))
    cam_per_cell = _per_cell("Ni", "cam-811")
    anode_per_cell = _per_cell("C", "anode-graphite")
    foil_per_cell = CELL_KWH * NMC811_KG_PER_KWH["Cu"] / NOMINAL["cu-foil"]["Cu"] / YIELD["cell"]
    cam = cells * cam_per_cell * MARGIN
    cam_nominal = NOMINAL["cam-811"]
    pcam_nominal = NOMINAL["pcam-811"]
    pcam = cam * cam_nominal["Ni"] / YIELD["cam"] / pcam_nominal["Ni"] * MARGIN
    lioh = cam * cam_nominal["Li"] * 1.02 / YIELD["cam_li"] / NOMINAL["li-hydroxide"]["Li"]
    anode = cells * anode_per_cell * MARGIN
    salts = {
        element: pcam * pcam_nominal[element] / YIELD["pcam"] / NOMINAL[salt][element]
        for element, salt in (("Ni", "ni-sulfate"), ("Co", "co-sulfate"))
    }
    return Plan(
        cells=cells,
        cells_per_run=per_run,
        cam_per_cell=cam_per_cell,
        anode_per_cell=anode_per_cell,
        foil_per_cell=foil_per_cell,
        cam_kg=cam,
        anode_kg=anode,
        foil_kg=cells * foil_per_cell * MARGIN,
        pcam_kg=pcam,
        nickel_sulfate_kg=salts["Ni"] * MARGIN,
        cobalt_sulfate_kg=salts["Co"] * MARGIN,
        lithium_hydroxide_kg=lioh * MARGIN,
    )
