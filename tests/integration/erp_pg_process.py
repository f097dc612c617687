"""The erp-postgres connector as a process of its own, for the crash test to kill -9.

    python -m tests.integration.erp_pg_process SPEC.json

SPEC holds ``bootstrap``, ``dlq``, ``state`` and ``config`` (ErpPostgresConfig fields). Runs
until SIGTERM / SIGINT, then prints the counts as JSON.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from connectors.erp import ErpPostgresConfig, ErpPostgresSource
from connectors.sdk import SourceRunner, StateStore
from oretrail.kafka import producer_config
from oretrail.serde import SingleObjectSerde


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    source = ErpPostgresSource(ErpPostgresConfig(**spec["config"]))

    def stop(signum: int, frame: Any) -> None:
        source.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    producer = Producer(producer_config(spec["bootstrap"]))
    runner = SourceRunner(producer, SingleObjectSerde(), dlq_topic=spec["dlq"])
    print("running", flush=True)
    counts = runner.run(source, StateStore(Path(spec["state"])))
    print(json.dumps({"accepted": counts.accepted, "rejected": counts.rejected}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
