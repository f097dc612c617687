"""``GET /metrics`` over real HTTP names the pipeline's series, recorded by real components on
the real broker: a connector (SourceRunner over the EPCIS sample and a broken document) and
the credential sink (SinkRunner signing the sample's passport), both recording through one
meter provider whose Prometheus reader the page renders. With metrics off, the page says so.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from confluent_kafka import Producer
from opentelemetry.sdk.metrics import MeterProvider

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.sdk import SourceRunner, StateStore
from oretrail.config import Settings
from oretrail.kafka import TopicSpec, ensure_topics, producer_config
from oretrail.serde import serde_for
from oretrail.telemetry import _prometheus, add_metrics_route
from sink.config import SinkSettings
from sink.pipeline import Publisher, SinkRunner, SinkTopics
from tests.aiohttp_helpers import serving
from tests.sink_inputs import CSF, SAMPLE, facilities_file, passport_update, refinery_events


def scrape(base: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def until(done: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


def labels(line: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', line))


def series(page: str) -> dict[str, list[str]]:
    """Sample lines by metric name (the part before the labels)."""
    found: dict[str, list[str]] = {}
    for line in page.splitlines():
        if line and not line.startswith("#"):
            found.setdefault(line.split("{", 1)[0].split(" ", 1)[0], []).append(line)
    return found


@pytest.fixture
def metrics() -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[_prometheus.new_reader()])
    try:
        yield provider
    finally:
        provider.shutdown()
        _prometheus.forget()


def test_the_metrics_page_serves_the_named_series(
    metrics: MeterProvider,
    bootstrap: str,
    kafka_settings: Settings,
    unique_name: str,
    tmp_path: Path,
) -> None:
    meter = metrics.get_meter("oretrail")
    topics = SinkTopics(
        events_topic=f"{unique_name}.events",
        passports_topic=f"{unique_name}.passports",
        credentials_topic=f"{unique_name}.credentials",
        dlq_topic=f"{unique_name}.dlq",
        group_id=f"{unique_name}.sink",
    )
    names = (topics.events_topic, topics.passports_topic, topics.credentials_topic)
    ensure_topics(bootstrap, [TopicSpec(t, 1) for t in (*names, topics.dlq_topic)])
    serde = serde_for(kafka_settings)
    broken = tmp_path / "broken.jsonld"
    broken.write_text('{"type": "EPCISDocument", "epcisBody": ')
    source = EpcisFileSource(EpcisFileConfig(paths=(SAMPLE, broken), topic=topics.events_topic))
    runner = SourceRunner(
        Producer(producer_config(bootstrap)), serde, dlq_topic=topics.dlq_topic, meter=meter
    )
    counts = runner.run(source, StateStore(tmp_path / "state.json"))
    assert counts.accepted > 0
    assert counts.rejected > 0

    events = refinery_events()
    update, _ = passport_update(CSF, events, events)
    producer = Producer(producer_config(bootstrap))
    value = serde.encode("passport_update", update, topics.passports_topic)
    producer.produce(topics.passports_topic, key=CSF.encode(), value=value)
    assert producer.flush(30) == 0

    cfg = SinkSettings(
        storage_url=(tmp_path / "store").as_uri(),
        key_dir=tmp_path / "keys",
        facilities=facilities_file(tmp_path),
    )
    publisher = Publisher(cfg, tmp_path)
    sink = SinkRunner(publisher, bootstrap, serde, topics, poll_seconds=0.1, meter=meter)
    errors: list[BaseException] = []

    def run_sink() -> None:
        try:
            sink.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run_sink, name="sink", daemon=True)
    thread.start()
    app = web.Application()
    add_metrics_route(app)
    try:
        with serving(app) as base:

            def signed_and_lag_measured() -> bool:
                assert not errors, errors
                page = scrape(base)[2]
                return (
                    'type="DigitalProductPassport"' in page and f'group="{topics.group_id}"' in page
                )

            until(signed_and_lag_measured, "the passport signed and the sink's lag measured")
            status, content_type, page = scrape(base)
    finally:
        sink.stop()
        thread.join(120)
        publisher.close()
    assert not errors, errors
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    found = series(page)
    for name in (
        "oretrail_connector_records_total",
        "oretrail_messages_produced_total",
        "oretrail_messages_consumed_total",
        "oretrail_dead_letters_total",
        "oretrail_credentials_signed_total",
        "oretrail_sink_signing_duration_seconds_bucket",
        "oretrail_sink_duration_seconds_count",
        "oretrail_sink_credential_latency_seconds_count",
        "oretrail_consumer_lag",
    ):
        assert name in found, f"{name} missing from /metrics:\n{page}"
    produced = found["oretrail_messages_produced_total"]
    assert any(
        'component="epcis-file"' in line and f'topic="{topics.events_topic}"' in line
        for line in produced
    )
    assert any(
        'component="sink"' in line and f'topic="{topics.credentials_topic}"' in line
        for line in produced
    )
    assert any('component="epcis-file"' in line for line in found["oretrail_dead_letters_total"])
    lag = [labels(line) for line in found["oretrail_consumer_lag"]]
    lag_topics = {entry["topic"] for entry in lag if entry.get("group") == topics.group_id}
    assert lag_topics == {topics.events_topic, topics.passports_topic}


def test_the_metrics_page_says_when_metrics_are_off() -> None:
    app = web.Application()
    add_metrics_route(app)
    with serving(app) as base:
        status, _, body = scrape(base)
    assert status == 404
    assert "ORETRAIL_METRICS" in body
