"""Property tests of the simulator's flow model and its own accounting, over random seeds
and scales: nothing is drawn from a lot that is not there, every run loses element mass and
never creates it (but the injected laundering run), each site's element mass balances
(in = out + losses), and the ground truth keeps its books (recycled + primary = element
mass, shares within [0, 1], carbon carried and emitted = carbon in the outputs, an assembly
is the sum of its parts)."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.flows import generate
from simulator.model import Aggregate, Commission, Flow, Move, Transform
from simulator.scenario import FAULTS, scenario
from simulator.truth import Truth

TOL = 1e-9

flows = st.builds(
    lambda seed, scale, laundering: generate(
        scenario("default").with_faults(FAULTS if laundering else ()), seed, scale
    ),
    st.integers(0, 2**31),
    st.sampled_from([0.05, 0.1, 0.2]),
    st.booleans(),
)


def _element_kg(flow: Flow) -> dict[str, dict[str, float]]:
    """Element kg of every lot and item, from what its plant declared."""
    out: dict[str, dict[str, float]] = {}
    for op in flow.operations:
        if isinstance(op, Commission):
            out[op.lot] = {e: f * op.kg for e, f in op.declaration.fractions}
        elif isinstance(op, Transform):
            for o in op.outputs:
                for lot, kg in o.lots():
                    out[lot] = {e: f * kg for e, f in o.declaration.fractions}
    return out


def _mass(flow: Flow) -> dict[str, float]:
    out: dict[str, float] = {}
    for op in flow.operations:
        if isinstance(op, Commission):
            out[op.lot] = op.kg
        elif isinstance(op, Transform):
            out.update(lot_kg for o in op.outputs for lot_kg in o.lots())
    return out


@settings(max_examples=40, deadline=None)
@given(flows)
def test_no_site_uses_or_ships_more_of_a_lot_than_it_has(flow: Flow) -> None:
    held: dict[tuple[str, str], float] = defaultdict(float)
    for op in flow.operations:
        if isinstance(op, Commission):
            held[op.site, op.lot] += op.kg
        elif isinstance(op, Transform):
            for take in op.inputs:
                held[op.site, take.lot] -= take.kg
                assert take.kg > 0
                assert held[op.site, take.lot] >= -1e-6, (op.key, take)
            for o in op.outputs:
                for lot, kg in o.lots():
                    held[op.site, lot] += kg
        elif isinstance(op, Move) and op.step == "shipping":
            held[op.site, op.lot] -= op.kg
            assert held[op.site, op.lot] >= -1e-6, op.key
        elif isinstance(op, Move):
            held[op.site, op.lot] += op.kg
    shipped = {(m.lot, m.document): m.kg for m in flow.operations
               if isinstance(m, Move) and m.step == "shipping"}  # fmt: skip
    for m in flow.operations:
        if isinstance(m, Move) and m.step == "receiving":
            assert shipped[m.lot, m.document] == m.kg  # what arrives is what left


@settings(max_examples=40, deadline=None)
@given(flows)
def test_each_site_conserves_element_mass_in_equals_out_plus_losses(flow: Flow) -> None:
    elements, mass = _element_kg(flow), _mass(flow)
    balance: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    laundered = (flow.laundering.key, flow.laundering.element) if flow.laundering else None
    for op in flow.operations:
        if not isinstance(op, Transform):
            continue
        taken: dict[str, float] = defaultdict(float)
        for take in op.inputs:
            for e, kg in elements[take.lot].items():
                taken[e] += kg * take.kg / mass[take.lot]
        made: dict[str, float] = defaultdict(float)
        for o in op.outputs:
            for lot, _ in o.lots():
                for e, kg in elements[lot].items():
                    made[e] += kg
        assert set(made) <= set(taken), f"{op.key} makes an element no input carries"
        for e in taken:
            loss = taken[e] - made.get(e, 0.0)
            if (op.key, e) == laundered:
                assert made[e] > taken[e] * 1.02  # the fault: element mass from nowhere
                continue
            assert loss >= -TOL * taken[e], (op.key, e, taken[e], made[e])
            row = balance[op.site, e]
            row[0] += taken[e]
            row[1] += made.get(e, 0.0)
            row[2] += loss
    assert balance
    for (site, e), (into, out, losses) in balance.items():
        assert math.isclose(into, out + losses, rel_tol=1e-9), (site, e)
        assert out <= into * (1 + TOL), (site, e)


@settings(max_examples=30, deadline=None)
@given(flows)
def test_the_ground_truth_keeps_its_books(flow: Flow) -> None:
    truth = Truth(flow)
    for lot, led in truth.lots.items():
        for e, part in led.parts.items():
            assert part.kg > 0
            primary = sum(part.origin.values())
            assert math.isclose(part.pre + part.post + primary, part.kg, rel_tol=1e-9), (lot, e)
            assert -TOL <= part.pre / part.kg <= 1 + TOL
            assert -TOL <= part.post / part.kg <= 1 + TOL
            assert all(kg >= 0 for kg in part.origin.values())
    for op in flow.operations:
        if isinstance(op, Transform):
            carried = sum(truth.lots[t.lot].carbon * t.kg / truth.lots[t.lot].kg for t in op.inputs)
            made = sum(truth.lots[lot].carbon for o in op.outputs for lot, _ in o.lots())
            assert math.isclose(made, carried + op.emissions_kg, rel_tol=1e-9), op.key
        elif isinstance(op, Aggregate):
            parent = truth.lots[op.parent]
            children = [truth.lots[c] for c in op.children]
            assert math.isclose(parent.kg, sum(c.kg for c in children), rel_tol=1e-12)
            assert math.isclose(parent.carbon, sum(c.carbon for c in children), rel_tol=1e-12)
            for e, part in parent.parts.items():
                total = sum(c.parts[e].kg for c in children if e in c.parts)
                assert math.isclose(part.kg, total, rel_tol=1e-12)
    packs = flow.items["pack"]
    assert packs
    if flow.laundering is not None:
        assert truth.lots[flow.laundering.lot].alerts == {"mass_balance_violation"}


def test_generating_and_the_ground_truth_never_load_the_pipeline_code() -> None:
    """The truth is the simulator's own arithmetic: a whole run imports neither the
    processors (streams) nor the connectors nor the sink."""
    code = (
        "import sys; from simulator.run import simulate; from simulator.scenario import scenario; "
        "simulate(scenario('default'), 1, 0.1); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'streams', 'connectors', 'sink'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
