"""Trace context through Kafka headers, the messaging spans, the pending entry's trace,
the JSON-lines span file, logs with trace ids, the Prometheus page and the lag arithmetic."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from oretrail.telemetry import Instruments, _prometheus, tracing
from oretrail.telemetry._files import AppendOnly, JsonLinesSpanExporter
from oretrail.telemetry._lag import lag_of
from oretrail.telemetry._logs import JsonFormatter, install_record_factory, log_format
from streams.passports import Pending, touch


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        provider.shutdown()


def test_tracing_is_off_until_a_provider_is_installed() -> None:
    assert tracing.active() is None


def test_a_consumer_span_is_the_child_of_the_producer_span_in_the_headers(
    spans: InMemorySpanExporter,
) -> None:
    tracer = tracing.active()
    assert tracer is not None
    send = tracing.send_span(tracer, "oretrail.events", b"lot-1")
    headers = tracing.with_context(send, [("source", b"erp"), ("traceparent", b"stale")])
    send.end()
    names = [name for name, _ in headers]
    assert names.count("traceparent") == 1
    assert ("source", b"erp") in headers
    process = tracing.process_span(tracer, "oretrail.events", 4, 17, b"lot-1", "g", headers)
    process.end()
    sent, processed = spans.get_finished_spans()
    assert processed.parent is not None
    assert processed.parent.span_id == sent.context.span_id
    assert processed.context.trace_id == sent.context.trace_id
    assert sent.kind is SpanKind.PRODUCER
    assert processed.kind is SpanKind.CONSUMER
    assert sent.name == "send oretrail.events"
    assert processed.name == "process oretrail.events"
    attrs = dict(processed.attributes or {})
    assert attrs[tracing.SYSTEM] == "kafka"
    assert attrs[tracing.DESTINATION] == "oretrail.events"
    assert attrs[tracing.OPERATION_TYPE] == "process"
    assert attrs[tracing.PARTITION] == "4"
    assert attrs[tracing.OFFSET] == 17
    assert attrs[tracing.GROUP] == "g"
    assert attrs[tracing.MESSAGE_KEY] == "lot-1"


def test_headers_as_a_mapping_and_without_context_give_a_new_trace(
    spans: InMemorySpanExporter,
) -> None:
    tracer = tracing.active()
    assert tracer is not None
    root = tracing.process_span(tracer, "t", 0, 0, None, "g", {"other": b"x"})
    root.end()
    (finished,) = spans.get_finished_spans()
    assert finished.parent is None


def test_a_stored_traceparent_names_the_parent_of_a_later_span(
    spans: InMemorySpanExporter,
) -> None:
    tracer = tracing.active()
    assert tracer is not None
    first = tracer.start_span("apply")
    stored = tracing.traceparent(first)
    first.end()
    assert stored is not None
    assert stored.startswith("00-")
    later = tracing.send_span(tracer, "passports", "lot", tracing.context_from_traceparent(stored))
    later.end()
    applied, sent = spans.get_finished_spans()
    assert sent.parent is not None
    assert sent.parent.span_id == applied.context.span_id


def test_delivered_records_partition_and_offset(spans: InMemorySpanExporter) -> None:
    tracer = tracing.active()
    assert tracer is not None
    tracing.delivered(tracing.send_span(tracer, "t", None), 2, 99, None)
    tracing.delivered(tracing.send_span(tracer, "t", None), None, None, "broker down")
    ok, failed = spans.get_finished_spans()
    assert dict(ok.attributes or {})[tracing.OFFSET] == 99
    assert failed.status.status_code is trace.StatusCode.ERROR


traceparents = st.builds(
    lambda t, s: f"00-{t:032x}-{s:016x}-01",
    st.integers(1, 2**128 - 1),
    st.integers(1, 2**64 - 1),
)


@given(
    events=st.lists(st.text(min_size=1, max_size=8), max_size=5),
    touches=st.lists(st.tuples(st.integers(0, 10**12), st.none() | traceparents), max_size=6),
)
def test_pending_keeps_the_trace_of_the_last_traced_touch(
    events: list[str], touches: list[tuple[int, str | None]]
) -> None:
    pending: Pending | None = None
    for now, trace_id in touches:
        pending = Pending.from_json(touch(pending, events, now, trace_id).to_json())
    if pending is None:
        return
    traced = [t for _, t in touches if t is not None]
    assert pending.trace == (traced[-1] if traced else None)


def test_pending_entries_written_before_traces_are_read_and_written_the_same() -> None:
    old = {"events": ["e1", "e2"], "touched": 1700}
    assert Pending.from_json(old) == Pending(("e1", "e2"), 1700, None)
    assert Pending.from_json(old).to_json() == old


def test_span_files_get_one_whole_line_per_span_from_each_exporter(tmp_path: Path) -> None:
    path = tmp_path / "spans" / "all.jsonl"
    for name in ("worker", "sink"):
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("t").start_as_current_span(name):
            pass
        lines = JsonLinesSpanExporter(AppendOnly(path))
        lines.export(exporter.get_finished_spans())
        lines.shutdown()
    parsed = [json.loads(line) for line in path.read_text().splitlines()]
    assert [p["name"] for p in parsed] == ["worker", "sink"]
    assert all(p["context"]["trace_id"].startswith("0x") for p in parsed)


def test_log_records_carry_the_current_trace_as_json(spans: InMemorySpanExporter) -> None:
    install_record_factory()
    tracer = tracing.active()
    assert tracer is not None
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("oretrail.test.tracing")
    logger.addHandler(Keep())
    logger.propagate = False
    with tracer.start_as_current_span("work") as span:
        logger.warning("inside %s", "span")
    logger.warning("outside")
    inside, outside = (json.loads(JsonFormatter().format(r)) for r in records)
    ctx = span.get_span_context()
    assert inside["trace_id"] == trace.format_trace_id(ctx.trace_id)
    assert inside["span_id"] == trace.format_span_id(ctx.span_id)
    assert inside["message"] == "inside span"
    assert inside["level"] == "WARNING"
    assert outside["trace_id"] == ""
    assert outside["span_id"] == ""


def test_log_format_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORETRAIL_LOG_FORMAT", "JSON")
    assert log_format() == "json"
    monkeypatch.setenv("ORETRAIL_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="ORETRAIL_LOG_FORMAT='xml'"):
        log_format()


def test_the_prometheus_page_names_the_series() -> None:
    assert _prometheus.render() is None
    provider = MeterProvider(metric_readers=[_prometheus.new_reader()])
    try:
        obs = Instruments.of(provider.get_meter("t"))
        obs.consumed.add(3, {"component": "worker", "topic": "oretrail.events"})
        obs.signing.record(0.004, {"type": "DigitalProductPassport"})
        page = _prometheus.render()
        assert page is not None
        text = page.decode()
        consumed = [
            line
            for line in text.splitlines()
            if line.startswith("oretrail_messages_consumed_total{")
        ]
        assert len(consumed) == 1
        assert 'component="worker"' in consumed[0]
        assert 'topic="oretrail.events"' in consumed[0]
        assert consumed[0].endswith(" 3.0")
        assert "oretrail_sink_signing_duration_seconds_bucket{" in text
    finally:
        _prometheus.forget()
        provider.shutdown()


@given(committed=st.none() | st.integers(-1001, 10**9), end=st.integers(0, 10**9))
def test_lag_is_what_the_group_has_not_committed(committed: int | None, end: int) -> None:
    lag = lag_of(committed, end)
    assert 0 <= lag <= end
    if committed is not None and 0 <= committed <= end:
        assert lag == end - committed
