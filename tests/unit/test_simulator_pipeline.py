"""A simulated chain read back through the project's own readers and processors agrees with
the ground truth the simulator computed on its own.

Path of every feed: the connector that reads its format (``EpcisFileSource`` for EPCIS
JSON-LD / XML / 1.2 XML, ``ErpFileSource`` with the written mapping for ERP exports, the
erp-postgres row conversion for staging rows, ``readings_from_payload`` with the written
MQTT configuration), then ``streams.processors.reduce_event`` (Avro encode/decode on the
real serde, ``streams.facts.extract``) into ``streams.memory_facts.MemoryFacts``, then
``streams.ledger.trace_json`` per lot. Compared for every lot, cell, module and pack
(``simulator.compare``): mass, element masses, pre- and post-consumer recycled shares,
primary origin shares, total carbon footprint, alerts and alert marks, completeness; all
within a relative tolerance of 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.compare import compare
from simulator.replay import Replayed, replay
from simulator.run import simulate, write
from simulator.scenario import scenario


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("simulated") / "default"
    write(simulate(scenario("default"), 11, 0.5), out)
    return out


@pytest.fixture(scope="module")
def truth(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "ground_truth.json").read_text())
    return data


@pytest.fixture(scope="module")
def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return data


@pytest.fixture(scope="module")
def replayed(folder: Path) -> Replayed:
    return replay(folder)


@pytest.fixture(scope="module")
def traced(replayed: Replayed, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return replayed.trace(truth["lots"])


def test_every_lot_cell_module_and_pack_agrees_with_the_ground_truth(
    truth: dict[str, Any], traced: dict[str, dict[str, Any]]
) -> None:
    differences = [
        line
        for lot, expected in truth["lots"].items()
        for line in compare(lot, expected, traced[lot])
    ]
    assert differences == []
    kinds = {v["kind"] for v in truth["lots"].values()}
    assert kinds == {"lot", "cell", "module", "pack"}
    assert len(truth["packs"]) == 8


def test_packs_carry_recycled_content_several_origins_and_every_element(
    truth: dict[str, Any], traced: dict[str, dict[str, Any]]
) -> None:
    """The chain is not trivial: what the comparison covers is there in every pack."""
    for pack in truth["packs"]:
        elements = traced[pack]["elements"]
        assert sorted(elements) == ["C", "Co", "Cu", "Li", "Mn", "Ni"]
        for element in ("Li", "Ni", "Co"):
            share = elements[element]["recycledShare"]
            assert share["preConsumer"] + share["postConsumer"] > 0, (pack, element)
        assert len(elements["Li"]["primaryOrigin"]) >= 2  # spodumene (AU) and brine (CL)
        assert traced[pack]["carbonFootprint"]["totalKgCO2e"] > 0
        assert traced[pack]["inputs"], "a pack's trace lists its modules"


def test_the_laundering_run_raises_the_mass_balance_alert_on_its_lot(
    manifest: dict[str, Any], truth: dict[str, Any], traced: dict[str, dict[str, Any]]
) -> None:
    fault = manifest["faults"]["laundering"]
    alerts = traced[fault["lot"]]["alerts"]
    assert [(a["type"], a["eventID"], a["element"]) for a in alerts] == [
        ("mass_balance_violation", fault["eventID"], fault["element"])
    ]
    figures = alerts[0]["figures"]
    assert figures["outputKg"] > figures["inputKg"] * (1 + figures["tolerance"])
    # controlled blending spreads the laundered cobalt: the packs carry the mark too
    for pack in truth["packs"]:
        assert "alert:mass_balance_violation" in traced[pack]["flags"]


def test_each_file_yields_the_events_the_manifest_counts(
    manifest: dict[str, Any], replayed: Replayed
) -> None:
    for entry in manifest["files"]:
        if entry["connector"] == "mqtt":
            assert replayed.readings == entry["events"] > 0
        elif entry["connector"] is not None:
            assert replayed.accepted[entry["path"]] == entry["events"], entry["path"]


def test_malformed_input_is_refused_with_the_reason_the_manifest_gives(
    manifest: dict[str, Any], replayed: Replayed
) -> None:
    expected = [
        (entry["path"], r["reason"], r["stage"])
        for entry in manifest["files"]
        if entry["connector"] is not None
        for r in entry["rejected"]
    ]
    assert len(expected) == 9, "every kind of malformed input is injected"
    by_connector = [(p, reason) for p, reason, stage in expected if stage == "connector"]
    found = list(replayed.rejected)
    for path, reason in by_connector:
        match = next((f for f in found if f[0].startswith(path) and reason in f[1]), None)
        assert match is not None, (path, reason, [f for f in found if f[0].startswith(path)])
        found.remove(match)
    assert found == [], "nothing else is refused"
    by_processors = [reason for _, reason, stage in expected if stage == "processors"]
    assert len(replayed.unusable) == len(by_processors)
    for (_, message), reason in zip(replayed.unusable, by_processors, strict=True):
        assert reason in message


def test_duplicates_arrive_as_repeats_of_the_same_event_ids(
    manifest: dict[str, Any], replayed: Replayed
) -> None:
    repeats = sum(n - 1 for n in replayed.event_ids.values())
    counts = manifest["counts"]["byConnector"]
    expected = sum(counts[c]["duplicates"] for c in ("epcis-file", "erp-file", "erp-postgres"))
    assert repeats == expected > 0


def test_late_events_are_sent_after_the_events_that_use_their_lots(
    manifest: dict[str, Any],
) -> None:
    late = manifest["faults"]["late"]
    assert len(late["operations"]) >= 5
    delivered = {f["path"]: f["delivered"] for f in manifest["files"]}
    last_regular = max(d for p, d in delivered.items() if p not in late["files"])
    assert all(delivered[p] > last_regular for p in late["files"])
