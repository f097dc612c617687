"""One ingested event, one connected trace: ``oretrail run`` (capture, worker process, sink)
and ``oretrail ingest epcis`` in processes of their own on the real broker, every process
appending its spans to one ``ORETRAIL_TRACES=file://`` JSON-lines file.

The trace of the refined lot's passport credential must run back, parent by parent and in
one trace id, to the connector's PRODUCER span of an event: connector send -> worker
process (events) -> worker send (facts) -> worker process (facts) -> worker send (passport
update) -> sink process (passport update) -> sink send (CredentialPublished), with the
messaging attributes on the way. The worker's metrics (its own process) arrive through
``ORETRAIL_METRICS=file://``.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.cli_helpers import ORETRAIL, isolated_run_env
from tests.sink_inputs import LATER, facilities_file

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld"
DEADLINE_S = 150.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Run:
    env: dict[str, str]
    spans: Path
    metrics: Path
    log: Path
    topics: dict[str, str]
    app_id: str
    capture: str
    proc: subprocess.Popen[bytes]

    def until(self, what: str, probe: Callable[[], T | None]) -> T:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            assert self.proc.poll() is None, f"oretrail run exited\n{self.log.read_text()[-4000:]}"
            value = probe()
            if value is not None:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not within {DEADLINE_S} s\n{self.log.read_text()[-4000:]}")
            time.sleep(0.3)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def run(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("tracing")
    name = f"tracing-{time.monotonic_ns()}"
    spans, metrics = tmp / "spans.jsonl", tmp / "metrics.jsonl"
    capture_port = free_port()
    env, topics = isolated_run_env(
        bootstrap,
        tmp / "home",
        name,
        traces=spans.as_uri(),
        metrics=metrics.as_uri(),
        capture_port=str(capture_port),
        sink_resolver_port=str(free_port()),
        sink_facilities=str(facilities_file(tmp)),
    )
    env["OTEL_BSP_SCHEDULE_DELAY"] = "200"  # spans reach the file within a fraction of a second
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    log = tmp / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([ORETRAIL, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        capture = f"http://127.0.0.1:{capture_port}"
        yield Run(env, spans, metrics, log, topics, f"{name}.worker", capture, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def ingested(run: Run) -> dict[str, Any]:
    done = subprocess.run(
        [ORETRAIL, "ingest", "epcis", "--json", "--topic", run.topics["events"], str(SAMPLE)],
        env=run.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counts: dict[str, Any] = json.loads(done.stdout)
    assert counts["accepted"] > 0
    return counts


def _hex(value: str | None) -> str | None:
    return None if value is None else value.removeprefix("0x")


def _chain_to_root(span: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    chain = [span]
    while (parent := _hex(chain[-1]["parent_id"])) is not None:
        assert parent in by_id, f"span {chain[-1]['name']} has a parent that was never exported"
        chain.append(by_id[parent])
    return chain


def _passport_credential_chain(run: Run) -> list[dict[str, Any]] | None:
    spans = read_jsonl(run.spans)
    by_id = {str(s["context"]["span_id"]).removeprefix("0x"): s for s in spans}
    wanted = f"send {run.topics['credentials']}"
    for span in spans:
        if span["name"] != wanted:
            continue
        try:
            chain = _chain_to_root(span, by_id)
        except AssertionError:
            continue  # a parent is not in the file yet (exported by its process a bit later)
        if any(s["name"] == f"process {run.topics['passports']}" for s in chain):
            return chain
    return None


def test_one_ingested_event_is_one_trace_from_connector_to_credential(
    run: Run, ingested: dict[str, Any]
) -> None:
    chain = run.until(
        "a passport credential span traced back to the connector",
        lambda: _passport_credential_chain(run),
    )
    t = run.topics
    names = [s["name"] for s in reversed(chain)]  # root first
    facts = f"{run.app_id}-facts"
    assert names == [
        f"send {t['events']}",  # the connector (oretrail ingest)
        f"process {t['events']}",  # worker stage 1
        f"send {facts}",
        f"process {facts}",  # worker stage 2: the event applied to the lot's state
        f"send {t['passports']}",  # the lot's passport update
        f"process {t['passports']}",  # the sink
        f"send {t['credentials']}",  # the CredentialPublished of the passport credential
    ]
    assert len({s["context"]["trace_id"] for s in chain}) == 1
    kinds = [s["kind"] for s in reversed(chain)]
    assert kinds == [
        "SpanKind.PRODUCER",
        "SpanKind.CONSUMER",
        "SpanKind.PRODUCER",
        "SpanKind.CONSUMER",
        "SpanKind.PRODUCER",
        "SpanKind.CONSUMER",
        "SpanKind.PRODUCER",
    ]
    root, sink = chain[-1], chain[1]
    assert root["attributes"]["oretrail.connector"] == "epcis-file"
    assert root["attributes"]["messaging.system"] == "kafka"
    assert "messaging.kafka.offset" in root["attributes"]  # set from the delivery report
    assert sink["attributes"]["messaging.consumer.group.name"] == run.env["ORETRAIL_SINK_GROUP_ID"]
    assert sink["attributes"]["messaging.operation.type"] == "process"
    assert sink["attributes"]["messaging.destination.name"] == t["passports"]
    stage1 = chain[-2]["attributes"]
    assert stage1["messaging.consumer.group.name"] == run.app_id
    assert {"messaging.destination.partition.id", "messaging.kafka.offset"} <= set(stage1)
    # the passport's credential was signed inside the sink's processing of the update
    spans = read_jsonl(run.spans)
    sink_id = sink["context"]["span_id"]
    signed = [
        s for s in spans if _hex(s["parent_id"]) == _hex(sink_id) and s["name"].startswith("sign ")
    ]
    assert "sign DigitalProductPassport" in {s["name"] for s in signed}


def _worker_series(run: Run) -> dict[str, set[tuple[tuple[str, Any], ...]]] | None:
    found: dict[str, set[tuple[tuple[str, Any], ...]]] = {}
    for export in read_jsonl(run.metrics):
        for rm in export.get("resource_metrics", []):
            for sm in rm.get("scope_metrics", []):
                for metric in sm.get("metrics", []):
                    for point in metric["data"]["data_points"]:
                        attrs = tuple(sorted(point["attributes"].items()))
                        found.setdefault(metric["name"], set()).add(attrs)
    consumed = found.get("oretrail.messages.consumed", set())
    lag = found.get("oretrail.consumer.lag", set())
    worker_lag = any(dict(a).get("group") == run.app_id for a in lag)
    if any(dict(a).get("component") == "worker" for a in consumed) and worker_lag:
        return found
    return None


def test_the_worker_and_the_sink_export_their_metrics(run: Run, ingested: dict[str, Any]) -> None:
    found = run.until("the worker's metrics in the metrics file", lambda: _worker_series(run))
    assert {
        "oretrail.connector.records",
        "oretrail.messages.consumed",
        "oretrail.messages.produced",
        "oretrail.worker.duration",
        "oretrail.consumer.lag",
    } <= set(found)
    stages = {dict(a).get("stage") for a in found["oretrail.worker.duration"]}
    assert {"reduce", "apply"} <= stages
    lag_groups = {dict(a).get("group") for a in found["oretrail.consumer.lag"]}
    assert run.app_id in lag_groups


def _captured_event_processed(run: Run) -> dict[str, Any] | None:
    """The worker's processing span of an event the capture interface produced."""
    spans = read_jsonl(run.spans)
    by_id = {str(s["context"]["span_id"]).removeprefix("0x"): s for s in spans}
    for span in spans:
        if span["name"] != f"process {run.topics['events']}":
            continue
        parent = by_id.get(_hex(span["parent_id"]) or "")
        if parent is not None and parent["attributes"].get("oretrail.connector") == "epcis-capture":
            return span
    return None


def test_an_event_captured_over_http_starts_its_trace_at_the_capture_interface(
    run: Run, ingested: dict[str, Any]
) -> None:
    request = urllib.request.Request(
        f"{run.capture}/capture",
        data=json.dumps(LATER).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
    processed = run.until("the captured event processed", lambda: _captured_event_processed(run))
    assert processed["attributes"]["messaging.consumer.group.name"] == run.app_id
