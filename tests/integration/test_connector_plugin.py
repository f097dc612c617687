"""An integrator's connector, installed from its own distribution, runs through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from oretrail.cli import cli
from oretrail.kafka import TopicSpec, ensure_topics
from oretrail.serde import SingleObjectSerde
from tests.cli_helpers import run_oretrail
from tests.kafka_helpers import dead_letters, read_topic

SAMPLE = Path(__file__).resolve().parents[2] / "examples/connector-plugin/sample-assays.jsonl"


@pytest.fixture
def assays(bootstrap: str, unique_name: str, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the plugin's sample file, and a topic for its readings."""
    topic = f"{unique_name}.readings"
    ensure_topics(bootstrap, [TopicSpec(topic, 2)])
    data = tmp_path / "assays.jsonl"
    shutil.copy(SAMPLE, data)
    return data, topic


def test_connectors_list_shows_the_plugin_from_its_own_distribution() -> None:
    result = CliRunner().invoke(cli, ["connectors", "list"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("lims-assay"))
    assert "[oretrail-lims: oretrail_lims:LimsAssaySource]" in line
    for shipped in ("epcis-file", "erp-file", "erp-postgres", "mqtt", "opcua"):
        assert any(ln.startswith(shipped) for ln in result.output.splitlines()), shipped


def test_connectors_run_delivers_readings_and_dead_letters(
    bootstrap: str, assays: tuple[Path, str], tmp_path: Path
) -> None:
    data, topic = assays
    args = ["--bootstrap", bootstrap, "--home", str(tmp_path / "home")]
    run = ["connectors", "run", "lims-assay", "--set", f"path={data}", "--set", f"topic={topic}"]
    result = CliRunner().invoke(cli, [*args, *run])
    assert result.exit_code == 0, result.output
    assert "lims-assay: 2 accepted, 1 rejected" in result.output

    serde = SingleObjectSerde()
    readings = [
        serde.decode("sensor_reading", m.value, topic)
        for m in read_topic(bootstrap, topic, expect=2)
    ]
    assert sorted(r["attributes"]["chemicalSubstance"] for r in readings) == ["Co", "Ni"]
    (dead,) = dead_letters(bootstrap, "lims-assay", source=str(data))
    assert b"unknown element 'Unobtainium'" in dead.headers["__connect.errors.exception.message"]

    # a second run resumes after the committed offset: nothing new
    again = CliRunner().invoke(cli, [*args, *run])
    assert "lims-assay: 0 accepted, 0 rejected" in again.output


def test_unknown_settings_are_refused_before_connecting(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--bootstrap", "127.0.0.1:1", "connectors", "run", "lims-assay", "--set", "pth=x"]
    )
    assert result.exit_code != 0
    assert "pth" in result.output
    assert "Extra inputs are not permitted" in result.output


def test_connector_counts_reach_the_metrics_file(
    bootstrap: str, assays: tuple[Path, str], tmp_path: Path
) -> None:
    data, topic = assays
    metrics = tmp_path / "metrics.jsonl"
    done = run_oretrail(
        bootstrap, tmp_path, "connectors", "run", "lims-assay",
        "--set", f"path={data}", "--set", f"topic={topic}",
        timeout=120, metrics=f"file://{metrics}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    points: dict[str, int] = {}
    for line in metrics.read_text().splitlines():
        for resource in json.loads(line)["resource_metrics"]:
            for scope in resource["scope_metrics"]:
                for metric in scope["metrics"]:
                    if metric["name"] == "oretrail.connector.records":
                        for point in metric["data"]["data_points"]:
                            points[point["attributes"]["outcome"]] = point["value"]
    assert points == {"accepted": 2, "rejected": 1}
