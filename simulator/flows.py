"""The whole chain for a scenario and seed: mines, refineries, cathode and anode plants,
cells, modules, packs. Deterministic: the same (scenario, seed, scale) gives the same Flow."""

from __future__ import annotations

from simulator.chain import Chain
from simulator.downstream import downstream
from simulator.model import Flow
from simulator.plan import plan
from simulator.refining import refineries
from simulator.scenario import Scenario
from simulator.upstream import mines


def generate(scenario: Scenario, seed: int, scale: float = 1.0) -> Flow:
    volumes = scenario.volumes.scaled(scale)
    runs = max(1, round(volumes.packs * volumes.cell_runs_per_pack))
    needs = plan(volumes.packs, scenario.modules_per_pack, scenario.cells_per_module, runs)
    chain = Chain(scenario, seed)
    mines(chain, volumes, needs)
    laundering = refineries(chain, volumes, needs, "laundering" in scenario.faults)
    downstream(chain, scenario, volumes, needs)
    operations = tuple(sorted(chain.ops, key=lambda op: (op.time, op.key)))
    return Flow(
        sites=chain.sites,
        products=chain.products,
        operations=operations,
        product_of=dict(chain.product_of),
        items=dict(chain.items),
        laundering=laundering,
    )
