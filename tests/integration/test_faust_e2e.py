"""faust-streaming end to end on the real broker: a table-backed agent consumes and produces."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer

from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config

ROOT = Path(__file__).resolve().parents[2]


def test_faust_table_agent_consumes_and_produces(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    src, dst = f"{unique_name}.in", f"{unique_name}.out"
    ensure_topics(bootstrap, [TopicSpec(src, 1), TopicSpec(dst, 1)])
    env = {
        **os.environ,
        "FAUST_TEST_BOOTSTRAP": bootstrap,
        "FAUST_TEST_APP": unique_name,
        "FAUST_TEST_IN": src,
        "FAUST_TEST_OUT": dst,
        "FAUST_TEST_DATADIR": str(tmp_path / "faust"),
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.faust_app",
            "worker",
            "-l",
            "warn",
            "--without-web",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        producer = Producer(producer_config(bootstrap))
        deliveries = [("lot-1", "Co", 300.0), ("lot-2", "Li", 70.0), ("lot-3", "Co", 150.5)]
        for lot, element, kg in deliveries:
            payload = {
                "lot": lot,
                "element": element,
                "kg": kg,
                "__faust": {"ns": "faust_app.Delivery"},
            }
            producer.produce(src, key=lot.encode(), value=json.dumps(payload).encode())
        assert producer.flush(30) == 0

        consumer = Consumer(consumer_config(bootstrap, f"{unique_name}.check"))
        consumer.subscribe([dst])
        got: list[dict[str, object]] = []
        deadline = time.monotonic() + 120
        while len(got) < 3 and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                got.append(json.loads(msg.value()))
        consumer.close()
        assert got == [
            {"element": "Co", "totalKg": 300.0, "lot": "lot-1"},
            {"element": "Li", "totalKg": 70.0, "lot": "lot-2"},
            {"element": "Co", "totalKg": 450.5, "lot": "lot-3"},
        ], (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
