"""The embedded broker is real Apache Kafka, starts idempotently and stops without leftovers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from oretrail import broker
from oretrail.broker._embedded import kafka_version_from_log
from oretrail.config import KAFKA_VERSION, Settings
from oretrail.kafka import TOPICS, ensure_topics


def _java_pids_under(home: Path) -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True
    ).stdout
    return [
        line.split()[0] for line in out.splitlines() if "kafka.Kafka" in line and str(home) in line
    ]


def test_session_broker_is_real_kafka_of_the_pinned_version(kafka_settings: Settings) -> None:
    if os.environ.get("ORETRAIL_TEST_BOOTSTRAP"):
        pytest.skip("running against an external cluster")
    assert kafka_version_from_log(kafka_settings) == KAFKA_VERSION
    md = AdminClient({"bootstrap.servers": kafka_settings.bootstrap}).list_topics(timeout=10)
    assert len(md.brokers) == 1


def test_project_topics_have_explicit_partitions(bootstrap: str) -> None:
    ensure_topics(bootstrap)
    assert ensure_topics(bootstrap) == []  # second call creates nothing
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    for spec in TOPICS:
        assert len(md.topics[spec.name].partitions) == spec.partitions


def test_auto_creation_is_off(bootstrap: str, unique_name: str) -> None:
    if os.environ.get("ORETRAIL_TEST_BOOTSTRAP"):
        pytest.skip("depends on the embedded broker's configuration")
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 3000})
    errors: list[object] = []
    producer.produce(unique_name, b"x", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    assert len(errors) == 1
    assert errors[0] is not None
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    assert unique_name not in md.topics


def test_start_twice_is_harmless_and_stop_leaves_no_java(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    first = broker.start(settings)
    try:
        second = broker.start(settings)
        assert (second.pid, second.bootstrap) == (first.pid, first.bootstrap)
        assert broker.status(settings) == first
        ensure_topics(first.bootstrap)
        if not shutil.which("kcat"):
            pytest.fail("kcat is not installed: `make setup` installs it (Debian package kcat)")
        listing = subprocess.run(
            ["kcat", "-L", "-b", first.bootstrap],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert "1 brokers:" in listing
        assert 'topic "oretrail.events" with 6 partitions' in listing
    finally:
        assert broker.stop(settings)
    assert _java_pids_under(tmp_path) == []
    info = broker.status(settings)
    assert info is not None
    assert not info.running
    # A restart on the same home keeps the bootstrap address and the data.
    again = broker.start(settings)
    try:
        assert again.bootstrap == first.bootstrap
        md = AdminClient({"bootstrap.servers": again.bootstrap}).list_topics(timeout=10)
        assert "oretrail.events" in md.topics
    finally:
        broker.stop(settings)
    assert _java_pids_under(tmp_path) == []


def test_the_cli_as_the_issue_runs_it(tmp_path: Path) -> None:
    """`oretrail broker start`, then `kcat -L -b <bootstrap>`, then `oretrail broker stop`."""
    oretrail = str(Path(sys.executable).parent / "oretrail")
    env = {**os.environ, "ORETRAIL_HOME": str(tmp_path)}
    env.pop("ORETRAIL_BOOTSTRAP", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), env=env, capture_output=True, text=True, timeout=120, check=True
        )

    bootstrap = run(oretrail, "broker", "start").stdout.strip()
    try:
        assert bootstrap.startswith("127.0.0.1:")
        assert run(oretrail, "broker", "status").stdout.strip() == bootstrap
        run(oretrail, "topics", "create")
        listing = run("kcat", "-L", "-b", bootstrap).stdout
        assert "1 brokers:" in listing
        assert 'topic "oretrail.dlq" with 3 partitions' in listing
    finally:
        run(oretrail, "broker", "stop")
    assert _java_pids_under(tmp_path) == []
