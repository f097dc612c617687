"""``oretrail worker`` on the real broker: trace figures, passport versions, duplicates, the
dead-letter topic, and recovery after kill -9 (same and fresh state directory).

Every run has its own app id and topics; the worker is the ``oretrail`` console script.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from oretrail.config import Settings
from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config
from oretrail.serde import serde_for

ROOT = Path(__file__).resolve().parents[2]
OREtrail = str(Path(sys.executable).with_name("oretrail"))
SAMPLE = ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld"
KOL = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
DEBOUNCE = 1.0
SERDE = serde_for(Settings())

# A later declaration about the ore lot: 10 % of its cobalt is post-consumer recycled. It
# changes the ore's passport and, downstream, the refined lot's.
LATER = {
    "@context": [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"ot": "https://oretrail.dev/ns/epcis/"},
    ],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-11-03T08:00:00.000+01:00",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-10-01T07:00:00.000+02:00",
                "eventTimeZoneOffset": "+02:00",
                "action": "ADD",
                "bizStep": "commissioning",
                "quantityList": [{"epcClass": KOL, "quantity": 20000, "uom": "KGM"}],
                "readPoint": {"id": "https://id.gs1.org/414/0950600012340"},
                "ilmd": {
                    "ot:recycledShare": [
                        {"ot:element": "Co", "ot:preConsumer": 0.0, "ot:postConsumer": 0.1}
                    ]
                },
            }
        ]
    },
}


@dataclass
class Run:
    """One worker's world: environment, topics, state directory and the worker process."""

    bootstrap: str
    name: str
    tmp: Path
    logs: list[Path] = field(default_factory=list)
    worker: subprocess.Popen[bytes] | None = None

    @property
    def events(self) -> str:
        return f"{self.name}.events"

    @property
    def passports(self) -> str:
        return f"{self.name}.passports"

    @property
    def alerts(self) -> str:
        return f"{self.name}.alerts"

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"

    def env(self, state: str = "state") -> dict[str, str]:
        return {
            **os.environ,
            "ORETRAIL_HOME": str(self.tmp / "home"),
            "ORETRAIL_BOOTSTRAP": self.bootstrap,
            "ORETRAIL_WORKER_APP_ID": self.name,
            "ORETRAIL_WORKER_EVENTS_TOPIC": self.events,
            "ORETRAIL_WORKER_PASSPORTS_TOPIC": self.passports,
            "ORETRAIL_WORKER_ALERTS_TOPIC": f"{self.name}.alerts",
            "ORETRAIL_WORKER_DLQ_TOPIC": self.dlq,
            "ORETRAIL_WORKER_DEBOUNCE_SECONDS": str(DEBOUNCE),
            "ORETRAIL_WORKER_DATA_DIR": str(self.tmp / state),
        }

    def start(self, state: str = "state") -> None:
        log = self.tmp / f"worker-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("w") as out:
            self.worker = subprocess.Popen(
                [OREtrail, "worker"], env=self.env(state), stdout=out, stderr=subprocess.STDOUT
            )

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs)

    def kill(self) -> None:
        assert self.worker is not None
        self.worker.kill()  # SIGKILL: no shutdown, no final commit
        self.worker.wait()

    def stop(self) -> None:
        if self.worker is None or self.worker.poll() is not None:
            return
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(60)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [OREtrail, *args], env=self.env(), capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"{args}: {done.stderr}\n{self.log_tail()}"
        return done.stdout

    def ingest(self, path: Path) -> dict[str, int]:
        counts: dict[str, int] = json.loads(
            self.cli("ingest", "epcis", str(path), "--topic", self.events, "--json")
        )
        return counts

    def trace(self, lot: str) -> dict[str, Any]:
        assert self.worker is not None
        assert self.worker.poll() is None, self.log_tail()
        result: dict[str, Any] = json.loads(
            self.cli("trace", lot, "--json", "--wait-seconds", "90")
        )
        return result


def read_all(bootstrap: str, topic: str, quiet_s: float = 3.0) -> list[tuple[Any, Any, Any]]:
    """Every message of ``topic`` so far (until nothing new arrived for ``quiet_s``)."""
    consumer = Consumer(consumer_config(bootstrap, f"check.{topic}.{time.monotonic_ns()}"))
    consumer.subscribe([topic])
    got = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < quiet_s:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append((msg.key(), msg.value(), msg.headers()))
                last = time.monotonic()
    finally:
        consumer.close()
    return got


def passport_updates(run: Run, quiet_s: float = 3.0) -> list[dict[str, Any]]:
    return [
        SERDE.decode("passport_update", v, run.passports)
        for _, v, _ in read_all(run.bootstrap, run.passports, quiet_s)
    ]


def versions(run: Run, quiet_s: float = 3.0) -> set[tuple[str, int, str]]:
    updates = passport_updates(run, quiet_s)
    return {(u["productID"], u["version"], u["contentHash"]) for u in updates}


def wait_for_version(run: Run, lot: str, version: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.worker is not None
        assert run.worker.poll() is None, run.log_tail()
        if any(p == lot and v >= version for p, v, _ in versions(run, quiet_s=0.5)):
            return
    pytest.fail(f"no passport version {version} of {lot}\n{run.log_tail()}")


@pytest.fixture
def run(bootstrap: str, unique_name: str, tmp_path: Path) -> Iterator[Run]:
    name = unique_name.replace("/", ".")
    the_run = Run(bootstrap, name, tmp_path)
    ensure_topics(
        bootstrap,
        [TopicSpec(f"{name}.{t}", 3) for t in ("events", "passports", "alerts", "dlq")],
    )
    (tmp_path / "later.jsonld").write_text(json.dumps(LATER))
    yield the_run
    the_run.stop()


def assert_expected_figures(trace: dict[str, Any]) -> None:
    """The sample by hand: 10 t of ore at 30 % Co (3000 kg Co, all from CD, 2.1 kg CO2e/kg)
    refined into 14.3 t of sulphate at 20.88 % Co, with 18.5 t CO2e of process emissions."""
    assert trace["id"] == CSF
    assert trace["massKg"] == pytest.approx(14300.0)
    co = trace["elements"]["Co"]
    assert co["massKg"] == pytest.approx(14300.0 * 0.2088)
    assert co["primaryOrigin"] == {"CD": pytest.approx(1.0)}
    assert co["recycledShare"] == {"preConsumer": 0.0, "postConsumer": 0.0}
    carbon = trace["carbonFootprint"]
    assert carbon["totalKgCO2e"] == pytest.approx(10000 * 2.1 + 18500)
    assert carbon["kgCO2ePerKg"] == pytest.approx((10000 * 2.1 + 18500) / 14300)
    [ore] = trace["inputs"]
    assert ore["id"] == KOL
    assert ore["quantityTakenKg"] == pytest.approx(10000.0)


def scenario(run: Run, disturb: str | None = None) -> tuple[dict[str, Any], set[Any]]:
    """Sample, then the later declaration, then everything again; ``disturb`` kills the
    worker (kill -9) right after the later declaration, or once it issued the second version,
    and restarts it on the same state directory, or on a fresh one (recovered from the
    changelogs)."""
    run.start()
    assert run.ingest(SAMPLE) == {"accepted": 4, "rejected": 0}
    first = run.trace(CSF)
    assert_expected_figures(first)
    wait_for_version(run, CSF, 1)
    assert run.ingest(run.tmp / "later.jsonld") == {"accepted": 1, "rejected": 0}
    if disturb is not None:
        if disturb == "after-update":
            wait_for_version(run, CSF, 2)
        else:
            time.sleep(0.5)  # in the middle of processing it, or of the debounce
        run.kill()
        run.start("fresh-state" if disturb == "fresh" else "state")
    run.ingest(SAMPLE)  # duplicates
    run.ingest(run.tmp / "later.jsonld")
    final = run.trace(CSF)
    wait_for_version(run, CSF, 2)
    time.sleep(DEBOUNCE * 3)  # time for any (wrong) further version to appear
    return final, versions(run)


def test_trace_passport_versions_and_duplicates(run: Run) -> None:
    final, seen = scenario(run)
    co = final["elements"]["Co"]
    assert co["recycledShare"]["postConsumer"] == pytest.approx(0.1)
    assert co["primaryOrigin"] == {"CD": pytest.approx(1.0)}
    by_lot: dict[str, list[int]] = {}
    for lot, version, _ in seen:
        by_lot.setdefault(lot, []).append(version)
    assert sorted(by_lot[CSF]) == [1, 2], seen
    assert sorted(by_lot[KOL]) == [1, 2], seen
    updates = [u for u in passport_updates(run) if u["productID"] == CSF]
    second = next(u for u in updates if u["version"] == 2)
    first = next(u for u in updates if u["version"] == 1)
    assert second["previousHash"] == first["contentHash"]
    assert "/elements/Co/recycledShare/postConsumer" in second["changed"]
    assert json.loads(second["passport"]) == final

    # readable tree without --json
    text = run.cli("trace", CSF)
    assert "CSF-2026-1101" in text
    assert "KOL-2026-0917" in text


BAD = "https://id.gs1.org/01/09506000134420/10/BAD-2026-0001"
# 1 t of ore (300 kg Co) said to make 5 t at 50 % Co: 2500 kg of cobalt from nowhere
LAUNDERING = {
    **LATER,
    "epcisBody": {
        "eventList": [
            {
                "type": "TransformationEvent",
                "eventTime": "2026-11-02T10:00:00.000+01:00",
                "eventTimeZoneOffset": "+01:00",
                "inputQuantityList": [{"epcClass": KOL, "quantity": 1000, "uom": "KGM"}],
                "outputQuantityList": [{"epcClass": BAD, "quantity": 5000, "uom": "KGM"}],
                "bizLocation": {"id": "https://id.gs1.org/414/0950600022349"},
                "ilmd": {"ot:elementContent": [{"ot:element": "Co", "ot:massFraction": 0.5}]},
            }
        ]
    },
}


def test_invalid_input_is_dead_lettered_and_violations_alerted(run: Run) -> None:
    run.start()
    producer = Producer(producer_config(run.bootstrap))
    producer.produce(run.events, key=b"lot", value=b"not avro at all")
    assert producer.flush(30) == 0
    bad = json.loads(json.dumps(LATER))
    bad["epcisBody"]["eventList"][0]["ilmd"]["ot:recycledShare"][0]["ot:postConsumer"] = 1.5
    (run.tmp / "bad.jsonld").write_text(json.dumps(bad))
    run.ingest(run.tmp / "bad.jsonld")
    (run.tmp / "laundering.jsonld").write_text(json.dumps(LAUNDERING))
    run.ingest(SAMPLE)
    run.ingest(run.tmp / "laundering.jsonld")

    deadline = time.monotonic() + 90
    letters: list[tuple[Any, Any, Any]] = []
    while len(letters) < 2 and time.monotonic() < deadline:
        letters = read_all(run.bootstrap, run.dlq, quiet_s=1.0)
    values = [SERDE.decode("dead_letter", v, run.dlq) for _, v, _ in letters]
    assert sorted(v["stage"] for v in values) == ["parse", "validate"], run.log_tail()
    for value in values:
        assert value["connector"] == "oretrail-processors"
        assert value["sourceTopic"] == run.events
        assert value["errorMessage"]
    [invalid] = [v for v in values if v["stage"] == "validate"]
    assert "1.5" in invalid["errorMessage"]

    trace = run.trace(BAD)
    [violation] = [a for a in trace["alerts"] if a["type"] == "mass_balance_violation"]
    assert violation["element"] == "Co"
    wait_for_version(run, BAD, 1)
    alerts = [json.loads(v) for _, v, _ in read_all(run.bootstrap, run.alerts)]
    sent = [a for a in alerts if a["type"] == "mass_balance_violation" and a["passport"] == BAD]
    assert len(sent) == 1, alerts
    assert sent[0]["eventID"] == violation["eventID"]
    assert sent[0]["figures"] == violation["figures"]
    assert sent[0]["passportVersion"] == 1


@pytest.fixture(scope="module")
def undisturbed(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("undisturbed")
    name = f"t.undisturbed.{os.getpid()}.{time.monotonic_ns()}"
    ensure_topics(
        bootstrap,
        [TopicSpec(f"{name}.{t}", 3) for t in ("events", "passports", "alerts", "dlq")],
    )
    (tmp / "later.jsonld").write_text(json.dumps(LATER))
    reference = Run(bootstrap, name, tmp)
    try:
        yield scenario(reference)
    finally:
        reference.stop()


@pytest.mark.parametrize("disturb", ["same", "fresh", "after-update"])
def test_kill_9_then_restart_gives_the_undisturbed_result(
    run: Run, undisturbed: tuple[dict[str, Any], set[Any]], disturb: str
) -> None:
    final, seen = scenario(run, disturb=disturb)
    reference_final, reference_versions = undisturbed
    assert final == reference_final
    assert seen == reference_versions
