"""With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, a process's spans and metrics go out over
OTLP/HTTP: a process configured by ``oretrail.telemetry.configure`` (traces and metrics
otherwise off) sends a Kafka PRODUCER span and a counter to an HTTP receiver on loopback,
which decodes the protobuf bodies with the OpenTelemetry proto package.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.aiohttp_helpers import serving

PROCESS = """
from oretrail import telemetry
from oretrail.config import Settings
from oretrail.telemetry import tracing

telemetry.configure(Settings(traces="off", metrics="off"), service="otlp-test")
tracer = tracing.active()
assert tracer is not None, "OTLP alone must switch tracing on"
tracing.send_span(tracer, "oretrail.events", b"lot-7").end()
telemetry.Instruments.of().produced.add(1, {"component": "otlp-test", "topic": "oretrail.events"})
"""  # spans and metrics are flushed at exit


@contextmanager
def receiver() -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    """An OTLP/HTTP receiver on a free loopback port: bodies by path."""
    bodies: dict[str, list[bytes]] = {}

    async def accept(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        bodies.setdefault(request.path, []).append(body)
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", accept)
    app.router.add_post("/v1/metrics", accept)
    with serving(app, "otlp") as base:
        yield base, bodies


def test_spans_and_metrics_go_out_over_otlp_when_the_endpoint_is_set() -> None:
    with receiver() as (endpoint, bodies):
        env = {
            "PATH": "/usr/bin:/bin",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        }
        done = subprocess.run(
            [sys.executable, "-c", PROCESS],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    spans = []
    for body in bodies.get("/v1/traces", []):
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            service = {a.key: a.value.string_value for a in rs.resource.attributes}
            assert service["service.name"] == "otlp-test"
            spans += [s for ss in rs.scope_spans for s in ss.spans]
    assert [s.name for s in spans] == ["send oretrail.events"]
    attrs = {a.key: a.value.string_value for a in spans[0].attributes}
    assert attrs["messaging.system"] == "kafka"
    assert attrs["messaging.kafka.message.key"] == "lot-7"
    names = set()
    for body in bodies.get("/v1/metrics", []):
        request = ExportMetricsServiceRequest.FromString(body)
        for rm in request.resource_metrics:
            names |= {m.name for sm in rm.scope_metrics for m in sm.metrics}
    assert "oretrail.messages.produced" in names
