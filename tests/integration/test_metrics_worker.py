"""The worker's ``GET /metrics`` on its faust web server, over real HTTP: the stream
processors (``streams.processors.Processors`` on ``streams.app.create_app``, as
``oretrail worker`` builds them) in a process of their own with ``telemetry.instrument_faust``
on the app, fed the EPCIS sample on the real broker. The page names the worker's series:
records in and out per topic, processing time per stage, and its group's consumer lag.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from oretrail.kafka import TopicSpec, ensure_topics
from tests.cli_helpers import ORETRAIL, oretrail_env

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld"
DEADLINE_S = 120.0

WORKER = """
import faust
from oretrail import telemetry
from oretrail.config import Settings
from oretrail.serde import serde_for
from streams import ledger
from streams.app import WorkerConfig, create_app
from streams.processors import Processors

core = Settings()
telemetry.configure(core, service="oretrail-worker")
cfg = WorkerConfig()
app = create_app(core, core.bootstrap, cfg)
Processors(app, cfg, serde_for(core), ledger.LedgerConfig())
telemetry.instrument_faust(app)
worker = faust.Worker(app, loglevel="warning", quiet=True)
worker.spinner = None
worker.execute_from_commandline()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def scrape(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body: bytes = response.read()
            return body.decode()
    except (urllib.error.URLError, ConnectionError):
        return None


def samples(page: str, name: str) -> list[dict[str, str]]:
    """The label sets of the samples of ``name`` on a Prometheus text page."""
    return [
        dict(re.findall(r'(\w+)="([^"]*)"', line))
        for line in page.splitlines()
        if line.startswith(name + "{")
    ]


@pytest.fixture
def worker(bootstrap: str, unique_name: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    topics = {t: f"{unique_name}.{t}" for t in ("events", "passports", "alerts", "dlq")}
    ensure_topics(bootstrap, [TopicSpec(t, 3) for t in topics.values()])
    port = free_port()
    env = oretrail_env(
        bootstrap,
        tmp_path / "home",
        metrics=(tmp_path / "metrics.jsonl").as_uri(),
        worker_app_id=f"{unique_name}.worker",
        worker_events_topic=topics["events"],
        worker_passports_topic=topics["passports"],
        worker_alerts_topic=topics["alerts"],
        worker_dlq_topic=topics["dlq"],
        worker_debounce_seconds="0.5",
        worker_web_port=str(port),
    )
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield {
            **topics,
            "url": f"http://127.0.0.1:{port}/metrics",
            "group": f"{unique_name}.worker",
            "log": str(log),
            "home": str(tmp_path / "home"),
            "bootstrap": bootstrap,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_worker_serves_its_metrics_on_its_web_server(worker: dict[str, str]) -> None:
    done = subprocess.run(
        [ORETRAIL, "ingest", "epcis", "--json", "--topic", worker["events"], str(SAMPLE)],
        env=oretrail_env(worker["bootstrap"], Path(worker["home"])),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + DEADLINE_S
    while True:
        page = scrape(worker["url"])
        if page is not None:
            consumed = samples(page, "oretrail_messages_consumed_total")
            lag = samples(page, "oretrail_consumer_lag")
            topics = {c["topic"] for c in consumed if c.get("component") == "worker"}
            if worker["events"] in topics and any(g.get("group") == worker["group"] for g in lag):
                break
        if time.monotonic() > deadline:
            log = Path(worker["log"]).read_text()[-4000:]
            pytest.fail(f"the worker's /metrics did not show its series in time:\n{page}\n{log}")
        time.sleep(0.5)
    produced = samples(page, "oretrail_messages_produced_total")
    assert any(p.get("component") == "worker" for p in produced)
    stages = {s.get("stage") for s in samples(page, "oretrail_worker_duration_seconds_count")}
    assert "reduce" in stages
    lag_topics = {g["topic"] for g in samples(page, "oretrail_consumer_lag")}
    assert worker["events"] in lag_topics
