"""``oretrail simulate`` (the click command in oretrail/cli/_simulate.py) end to end on a
small chain: what it writes, what it prints, what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from oretrail.cli._simulate import simulate_command


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(simulate_command, list(args))
    return result.exit_code, result.output


def test_writes_feeds_ground_truth_and_manifest_and_says_how_to_feed_them(tmp_path: Path) -> None:
    out = tmp_path / "chain"
    code, output = _run("--out", str(out), "--seed", "5", "--scale", "0.2")
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert (out / entry["path"]).stat().st_size == entry["bytes"]
    assert (out / "ground_truth.json").is_file()
    assert f"oretrail ingest epcis {out / 'epcis'}" in output
    assert "faults: laundering, malformed, duplicates, late" in output


def test_json_counts_and_faults_switched_off(tmp_path: Path) -> None:
    out = str(tmp_path / "c")
    code, output = _run("--out", out, "--scale", "0.2", "--faults", "none", "--json")
    assert code == 0, output
    counts = json.loads(output)
    assert counts["packs"] == 3
    for connector in counts["byConnector"].values():
        assert connector["rejected"] == connector["duplicates"] == 0
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert not any(f["enabled"] for f in manifest["faults"].values())


def test_one_fault_alone(tmp_path: Path) -> None:
    code, output = _run("--out", str(tmp_path / "c"), "--scale", "0.2", "--faults", "late")
    assert code == 0, output
    faults = json.loads((tmp_path / "c" / "manifest.json").read_text())["faults"]
    assert [name for name, f in faults.items() if f["enabled"]] == ["late"]
    assert faults["late"]["operations"]


def test_refuses_a_folder_in_use_and_an_unknown_fault(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("{}")
    code, output = _run("--out", str(tmp_path), "--scale", "0.2")
    assert code == 1
    assert "is not empty" in output
    code, output = _run("--out", str(tmp_path / "x"), "--faults", "laundering,flood")
    assert code == 2
    assert "unknown faults ['flood']" in output
