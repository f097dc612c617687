"""`make demo`'s command from an empty data directory: its own broker, the sample through
as Avro, the events printed, and no broker process left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oretrail.broker import status
from oretrail.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_end_to_end_on_its_own_broker(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ORETRAIL_BOOTSTRAP"}
    env["ORETRAIL_HOME"] = str(tmp_path)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "oretrail"), "demo", "--exit-when-done"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Kafka 4.4.0 at 127.0.0.1:" in done.stderr
    sample = json.loads((ROOT / "examples/epcis/cobalt-refinery-batch.jsonld").read_bytes())
    n = len(sample["epcisBody"]["eventList"])
    assert f"{n} events accepted, 0 rejected" in done.stdout
    printed = [line for line in done.stdout.splitlines() if "id ni:///sha-256;" in line]
    assert len(printed) == n
    assert "TransformationEvent" in done.stdout
    info = status(Settings(home=tmp_path))
    assert info is None or not info.running, "the demo left its broker running"
