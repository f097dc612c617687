"""`make demo`'s command from an empty data directory: its own broker, the sample through
as Avro, the events printed, the whole pipeline run until its passports are signed, the
summary, one product's link verified, and no broker or pipeline process left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from oretrail._process import free_port
from oretrail.broker import status
from oretrail.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_end_to_end_on_its_own_broker(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ORETRAIL_BOOTSTRAP"}
    env["ORETRAIL_HOME"] = str(tmp_path)
    port = free_port()
    env["ORETRAIL_SINK_RESOLVER_PORT"] = str(port)
    env["ORETRAIL_SINK_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["ORETRAIL_WORKER_DEBOUNCE_SECONDS"] = "0.5"
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
    summary = dict(re.findall(r"^  ([a-z][a-z -]+?)\s{2,}(\d+)$", done.stdout, re.MULTILINE))
    assert summary == {
        "events ingested": str(n),
        "dead-lettered": "0",
        "lots and items with a passport": "2",  # the ore lot and the sulphate lot
        "passport versions signed": "2",
        "traceability event credentials": "2",  # one per facility (mine, refinery)
        "facility records": "2",
        "alerts raised": "0",
    }
    link = f"http://127.0.0.1:{port}/01/09506000134420/10/CSF-2026-1101"
    assert f"link on the product: {link}" in done.stdout
    assert f"oretrail verify {link}\n  valid: DigitalProductPassport" in done.stdout
    info = status(Settings(home=tmp_path))
    assert info is None or not info.running, "the demo left its broker running"
    worker = tmp_path / "worker" / "oretrail-processors.json"
    assert not worker.exists(), "the demo left its worker running"
