"""One scenario from flow to files: ``simulate(...)`` generates the chain, renders each
site's feeds, injects the faults, and writes the feeds, ``ground_truth.json`` and
``manifest.json`` into a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import faults, ground_truth, manifest, mqtt
from simulator.erp_files import erp_feeds
from simulator.feeds import ERP_FEEDS, FeedFile, epcis_feeds
from simulator.flows import generate
from simulator.model import Flow
from simulator.scenario import FAULTS, Scenario
from simulator.truth import Truth

TRUTH_FILE = "ground_truth.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Simulation:
    flow: Flow
    truth: Truth
    files: tuple[FeedFile, ...]
    ground_truth: dict[str, Any]
    manifest: dict[str, Any]


def simulate(scenario: Scenario, seed: int, scale: float) -> Simulation:
    """Everything a run writes, in memory."""
    flow = generate(scenario, seed, scale)
    truth = Truth(flow)
    on = scenario.faults
    late = faults.held_back(flow, on)
    files = epcis_feeds(flow, frozenset(late), ERP_FEEDS) + erp_feeds(flow, frozenset(late))
    report: dict[str, Any] = {name: {"enabled": name in on} for name in FAULTS}
    if flow.laundering is not None:
        op = next(o for o in flow.operations if o.key == flow.laundering.key)
        report["laundering"].update(
            site=op.site, operation=op.key, eventID=op.event_id, lot=flow.laundering.lot,
            element=flow.laundering.element, factor=flow.laundering.factor,
            expectedAlert="mass_balance_violation",
        )  # fmt: skip
    if "late" in on:
        extra, details = faults.late_files(flow, late)
        files += extra
        report["late"].update(details)
    if "duplicates" in on:
        extra, details = faults.resends(files)
        files += extra
        report["duplicates"].update(details)
    if "malformed" in on:
        extra, details = faults.malformed(flow, files)
        files += extra
        report["malformed"].update(details)
    found = mqtt.messages(flow, seed, scenario.volumes.telemetry_per_run)
    telemetry, details = faults.telemetry(found, on)
    files += [mqtt.config_file(found), telemetry]
    for name, value in details.items():
        report["duplicates" if name == "redelivered" else name]["telemetry"] = value
    meta: dict[str, Any] = {
        "generator": "oretrail simulate",
        "scenario": scenario.name,
        "seed": seed,
        "scale": scale,
    }
    extra_counts = {
        "operations": len(flow.operations),
        "lots": len(truth.lots),
        **{f"{kind}s": len(items) for kind, items in flow.items.items()},
    }
    return Simulation(
        flow,
        truth,
        tuple(files),
        ground_truth.ground_truth(flow, truth, {**meta, "manifest": MANIFEST_FILE}),
        manifest.manifest(
            {**meta, "groundTruth": TRUTH_FILE, "feeds": manifest.feeds(files)},
            files,
            report,
            extra_counts,
        ),
    )


def write(sim: Simulation, out: Path) -> None:
    """Write the simulation into ``out``, which must be empty or not exist yet (feeds left
    from another run would be ingested with these)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: give a new or empty folder")
    for f in sim.files:
        path = out / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f.data)
    (out / TRUTH_FILE).write_bytes(ground_truth.dumps(sim.ground_truth))
    (out / MANIFEST_FILE).write_bytes(manifest.dumps(sim.manifest))
