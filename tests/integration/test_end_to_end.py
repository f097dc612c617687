"""The whole pipeline through the command line, as a user runs it, on the real broker.

``oretrail run`` (capture interface, stream processors, credential sink, resolver) in its own
process; ``oretrail ingest epcis examples/epcis/`` feeds it the refinery sample; then, over
real HTTP and with the other commands: the refined lot's link answers 307 to its passport,
its linkset lists the passport and the traceability events, ``oretrail verify`` accepts it,
``oretrail passport get --decoded`` shows the figures ``oretrail trace --json`` gives,
``oretrail passport revoke`` makes ``oretrail verify`` say "revoked", and SIGTERM stops
``run`` (exit 0) with its worker process gone.

Every topic and group is the test's own, so the shared session broker's other traffic
cannot reach this pipeline.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from confluent_kafka import Consumer, TopicPartition

from oretrail.config import Settings
from oretrail.kafka import consumer_config
from oretrail.serde import serde_for
from streams.passports import canonical_json, content_hash
from tests.cli_helpers import ORETRAIL, isolated_run_env
from tests.sink_inputs import CSF, facilities_file

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "examples" / "epcis"
LINK_PATH = "/01/09506000134420/10/CSF-2026-1101"  # the refined lot of the sample
LINK_TYPES = "https://test.uncefact.org/vocabulary/linkTypes/"
DEADLINE_S = 75.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int  # 0: nothing listens
    headers: Mapping[str, str]
    body: bytes


def get(url: str) -> Answer:
    """``GET url`` without following redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers), exc.read())
    except (urllib.error.URLError, ConnectionError):
        return Answer(0, {}, b"")


@dataclass
class Pipeline:
    """``oretrail run`` and the environment every command of the test shares."""

    env: dict[str, str]
    home: Path
    base: str
    log: Path
    app_id: str
    passports_topic: str
    events_topic: str
    proc: subprocess.Popen[bytes]

    def log_tail(self) -> str:
        return self.log.read_text()[-4000:]

    def until(self, what: str, probe: Callable[[], T | None], seconds: float = DEADLINE_S) -> T:
        """Poll ``probe`` until it gives a value; fail (with run's log) past the deadline or
        when ``run`` exits."""
        deadline = time.monotonic() + seconds
        while True:
            assert self.proc.poll() is None, f"oretrail run exited early\n{self.log_tail()}"
            value = probe()
            if value is not None:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not within {seconds} s\n{self.log_tail()}")
            time.sleep(0.2)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ORETRAIL, *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def ok(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, f"oretrail {' '.join(args)}: {done.stderr}{done.stdout}"
        return done.stdout


@pytest.fixture
def pipeline(bootstrap: str, unique_name: str, tmp_path: Path) -> Iterator[Pipeline]:
    capture_port, resolver_port = free_port(), free_port()
    base = f"http://127.0.0.1:{resolver_port}"
    name = unique_name
    home = tmp_path / "home"
    env, topics = isolated_run_env(
        bootstrap,
        home,
        name,
        capture_port=str(capture_port),
        sink_resolver_port=str(resolver_port),
        sink_public_base_url=base,
        sink_facilities=str(facilities_file(tmp_path)),
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([ORETRAIL, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    pipeline = Pipeline(
        env, home, base, log, f"{name}.worker", topics["passports"], topics["events"], proc
    )
    try:
        yield pipeline
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def passport_version(
    bootstrap: str, settings: Settings, topic: str, product: str, digest: str
) -> int | None:
    """The version of the PassportUpdate of ``product`` whose content hash is ``digest``,
    if the worker has published it yet."""
    serde = serde_for(settings)
    consumer = Consumer(consumer_config(bootstrap, f"check.{topic}.{time.monotonic_ns()}"))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
        seen = {p: 0 for p in partitions}
        deadline = time.monotonic() + 30
        while any(seen[p] < ends[p] for p in partitions) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error() is not None:
                continue
            partition, offset, value = msg.partition(), msg.offset(), msg.value()
            assert partition is not None
            assert offset is not None
            assert value is not None
            seen[partition] = offset + 1
            update = serde.decode("passport_update", value, topic)
            if update["productID"] == product and update["contentHash"] == digest:
                version: int = update["version"]
                return version
        return None
    finally:
        consumer.close()


def materials_of(dpp: Mapping[str, Any], element: str) -> list[Mapping[str, Any]]:
    """The materialsProvenance entries of one element (named "Cobalt (Co), ...")."""
    materials: list[Mapping[str, Any]] = dpp["credentialSubject"]["materialsProvenance"]
    return [m for m in materials if f"({element})" in m["name"]]


def check_figures(dpp: Mapping[str, Any], trace: Mapping[str, Any]) -> None:
    """The passport's figures are the trace's, as sink.untp maps them: product weight =
    massKg, carbonFootprint = kgCO2ePerKg, per element the primary mass per origin country
    and the recycled mass, recycledContent = recycled share of the traced element mass."""
    subject = dpp["credentialSubject"]
    assert subject["product"]["id"] == trace["id"]
    weight = subject["product"]["dimensions"]["weight"]
    assert (weight["value"], weight["unit"]) == (pytest.approx(trace["massKg"]), "KGM")
    emissions = subject["emissionsScorecard"]
    assert emissions["carbonFootprint"] == pytest.approx(trace["carbonFootprint"]["kgCO2ePerKg"])
    assert emissions["declaredUnit"] == "KGM"
    assert trace["elements"], "the trace has element figures to compare"
    traced = recycled = 0.0
    for element, led in trace["elements"].items():
        entries = materials_of(dpp, element)
        assert entries, f"no material entry for {element}"
        mass = led["massKg"]
        shares = led["recycledShare"]
        recycled_share = shares["preConsumer"] + shares["postConsumer"]
        total = sum(m["mass"]["value"] for m in entries)
        assert total == pytest.approx(mass), element
        primary = {m["originCountry"]: m["mass"]["value"] for m in entries if "originCountry" in m}
        expected = {
            country: mass * (1 - recycled_share) * share
            for country, share in led["primaryOrigin"].items()
        }
        assert primary == pytest.approx(expected), element
        for m in entries:
            assert m["massFraction"] == pytest.approx(m["mass"]["value"] / trace["massKg"])
        traced += mass
        recycled += mass * recycled_share
    content = subject["circularityScorecard"]["recycledContent"]
    assert content == pytest.approx(recycled / traced, abs=1e-12)


def test_the_pipeline_from_ingest_to_a_verified_then_revoked_passport(
    pipeline: Pipeline, bootstrap: str, kafka_settings: Settings
) -> None:
    p = pipeline
    link = p.base + LINK_PATH
    p.until("the resolver", lambda: True if get(f"{p.base}/.well-known/did.json").status else None)

    counts = json.loads(
        p.ok("ingest", "epcis", str(SAMPLE_DIR), "--topic", p.events_topic, "--json")
    )
    assert counts == {"accepted": 4, "rejected": 0}

    # the worker's final figures of the refined lot, and the passport version that has them
    trace = json.loads(p.ok("trace", CSF, "--json", "--wait-seconds", "60"))
    assert trace["id"] == CSF
    assert trace["complete"] is True
    digest = content_hash(canonical_json(trace))
    version = p.until(
        "the passport update with the traced figures",
        lambda: passport_version(bootstrap, kafka_settings, p.passports_topic, CSF, digest),
    )

    # the product link: 307 to a stored credential once the sink published that version
    def published() -> Answer | None:
        answer = get(link)
        if answer.status != 307:
            return None
        linkset = json.loads(get(f"{link}?linkType=linkset").body)
        latest = linkset["linkset"][0][LINK_TYPES + "dpp"][0]
        return answer if latest["title"].endswith(f"version {version} (latest)") else None

    answer = p.until(f"passport version {version} behind {link}", published)
    location = answer.headers["Location"]
    assert location.startswith(f"{p.base}/credentials/")
    credential = get(location)
    assert credential.status == 200
    assert credential.headers["Content-Type"].startswith("application/vc+jwt")

    linkset_answer = get(f"{link}?linkType=linkset")
    assert linkset_answer.status == 200
    assert linkset_answer.headers["Content-Type"].startswith("application/linkset+json")
    (context,) = json.loads(linkset_answer.body)["linkset"]
    assert context["anchor"] == link
    passports, events = context[LINK_TYPES + "dpp"], context[LINK_TYPES + "dte"]
    assert passports[0]["href"] == location
    assert events, "the linkset lists the traceability events"
    for target in [*passports, *events]:
        assert target["type"] == "application/vc+jwt"
        assert get(target["href"]).status == 200, target["href"]

    valid = p.cli("verify", link)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "valid: DigitalProductPassport" in valid.stdout

    dpp = json.loads(p.ok("passport", "get", CSF, "--decoded"))
    assert "DigitalProductPassport" in dpp["type"]
    assert dpp["name"].endswith(f"version {version}")
    check_figures(dpp, trace)

    revoked = json.loads(p.ok("passport", "revoke", CSF))
    assert (revoked["productID"], revoked["version"]) == (CSF, version)
    assert revoked["alreadyRevoked"] is False
    invalid = p.cli("verify", link)
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    assert "revoked" in invalid.stdout + invalid.stderr

    # SIGTERM: run stops its services and its worker process, and exits 0
    record = p.home / "worker" / f"{p.app_id}.json"
    worker_pid = json.loads(record.read_text())["pid"]
    assert isinstance(worker_pid, int)
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(60) == 0, p.log_tail()
    assert not record.exists(), "the worker recorded no stop"
    assert not Path(f"/proc/{worker_pid}").exists(), f"worker {worker_pid} is still running"
    assert get(f"{p.base}/.well-known/did.json").status == 0, "the resolver stopped too"
