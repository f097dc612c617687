"""The sink command in its own process on the real broker: it serves the resolver, publishes
a passport from the topics, ``oretrail verify`` accepts the product's link until ``revoke``
sets its bit, and SIGTERM stops it cleanly (exit 0).

The commands run from their module (``oretrail.cli._sink``), so this test does not depend
on where the lead registers them.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from confluent_kafka import Producer

from oretrail.config import Settings
from oretrail.kafka import TopicSpec, ensure_topics, producer_config
from oretrail.serde import serde_for
from tests.cli_helpers import ORETRAIL, oretrail_env
from tests.sink_inputs import CSF, facilities_file, passport_update, refinery_events

LINK_PATH = "/01/09506000134420/10/CSF-2026-1101"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def status_of(url: str) -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0


def verify(env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ORETRAIL, "verify", url], env=env, capture_output=True, text=True, timeout=120
    )


def command(name: str, *args: str) -> list[str]:
    code = f"from oretrail.cli._sink import {name}; {name}()"
    return [sys.executable, "-c", code, *args]


def test_sink_command_serves_publishes_and_revoke_makes_verify_fail(
    bootstrap: str, kafka_settings: Settings, unique_name: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    topics = {
        "sink_events_topic": f"{unique_name}.events",
        "sink_passports_topic": f"{unique_name}.passports",
        "sink_credentials_topic": f"{unique_name}.credentials",
        "sink_dlq_topic": f"{unique_name}.dlq",
        "sink_group_id": f"{unique_name}.sink",
    }
    inputs = (topics["sink_events_topic"], topics["sink_passports_topic"])
    ensure_topics(bootstrap, [TopicSpec(name, 3) for name in inputs])
    settings = {
        **topics,
        "sink_public_base_url": base,
        "sink_resolver_port": str(port),
        "sink_facilities": str(facilities_file(tmp_path)),
    }
    home = tmp_path / "home"
    env = oretrail_env(bootstrap, home, **settings)
    log = tmp_path / "sink.log"
    with log.open("w") as out:
        sink = subprocess.Popen(command("sink"), env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while status_of(f"{base}/.well-known/did.json") != 200:
            assert sink.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert f"resolver on {base}" in log.read_text()

        serde = serde_for(kafka_settings)
        events = refinery_events()
        update, _ = passport_update(CSF, events, events)
        producer = Producer(producer_config(bootstrap))
        for record in events:
            value = serde.encode("trace_event", record, topics["sink_events_topic"])
            producer.produce(topics["sink_events_topic"], key=b"e", value=value)
        value = serde.encode("passport_update", update, topics["sink_passports_topic"])
        producer.produce(topics["sink_passports_topic"], key=CSF.encode(), value=value)
        assert producer.flush(30) == 0

        while status_of(base + LINK_PATH) != 307:
            assert sink.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)

        valid = verify(env, base + LINK_PATH)
        assert valid.returncode == 0, valid.stdout + valid.stderr
        assert "valid: DigitalProductPassport" in valid.stdout

        revoked = subprocess.run(
            command("revoke", CSF), env=env, capture_output=True, text=True, timeout=120
        )
        assert revoked.returncode == 0, revoked.stderr
        invalid = verify(env, base + LINK_PATH)
        assert invalid.returncode == 1
        assert "invalid: revoked" in invalid.stdout
    finally:
        sink.send_signal(signal.SIGTERM)
        try:
            code = sink.wait(60)
        except subprocess.TimeoutExpired:
            sink.kill()
            sink.wait()
            raise
    assert code == 0, log.read_text()
    assert status_of(f"{base}/.well-known/did.json") == 0, "the resolver stopped too"
