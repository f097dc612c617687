"""OpenTelemetry for oretrail: metrics, traces across Kafka, logs carrying the trace.

Code records through the OpenTelemetry API (a no-op until a provider is installed), so
libraries and tests pay nothing; a command-line process calls :func:`configure` once.

Metrics (``ORETRAIL_METRICS``): ``off``; ``prometheus`` (served at ``GET /metrics``, see
``_prometheus``); ``console`` (JSON to stderr every few seconds) or ``file://path`` (JSON
lines appended to a file), both of which also serve ``/metrics``. Instruments: ``_instruments``
(``oretrail.connector.records``, ``oretrail.messages.consumed``/``produced``,
``oretrail.dead_letters``, ``oretrail.alerts``, ``oretrail.worker.duration``,
``oretrail.sink.*``, ``oretrail.credentials.signed``) and ``oretrail.consumer.lag``
(``_lag``).

Traces (``ORETRAIL_TRACES``): ``off``, ``console`` or ``file://path.jsonl`` (each process
appends its spans as JSON lines, so one file collects a trace across processes); W3C trace
context travels in Kafka headers (``tracing``).

Both are also exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the
exporter reads the standard ``OTEL_EXPORTER_OTLP_*`` variables itself).

Logs: every record carries ``trace_id``/``span_id``; ``ORETRAIL_LOG_FORMAT=json`` writes
JSON lines (``_logs``).
"""

from __future__ import annotations

import atexit
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from oretrail.config import Settings
from oretrail.telemetry import _prometheus, tracing
from oretrail.telemetry._faust import instrument_faust
from oretrail.telemetry._files import AppendOnly, JsonLinesSpanExporter, span_line
from oretrail.telemetry._instruments import METER_NAME, Instruments, meter, records_counter
from oretrail.telemetry._lag import LagMonitor
from oretrail.telemetry._logs import configure_logging
from oretrail.telemetry._prometheus import add_metrics_route, register_faust_page

__all__ = [
    "METER_NAME",
    "Instruments",
    "LagMonitor",
    "Telemetry",
    "add_metrics_route",
    "configure",
    "instrument_faust",
    "meter",
    "metrics_enabled",
    "records_counter",
    "register_faust_page",
]

OTLP_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
_EXPORT_EVERY_MS = 5_000
_metrics_on = False


@dataclass(frozen=True)
class Telemetry:
    """What :func:`configure` installed (None: that signal is off)."""

    meters: MeterProvider | None
    tracers: TracerProvider | None
    log_format: str


def metrics_enabled() -> bool:
    """True once :func:`configure` installed a meter provider (so a component may start
    work that only feeds metrics, such as measuring consumer lag)."""
    return _metrics_on


def _otlp() -> bool:
    return bool(os.environ.get(OTLP_ENV))


def _resource(service: str) -> Resource:
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES name the service when set
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    return Resource.create({} if named else {SERVICE_NAME: service})


def _metric_readers(setting: str) -> list[MetricReader]:
    readers: list[MetricReader] = []
    if setting != "off" or _otlp():
        readers.append(_prometheus.new_reader())
    if setting == "console" or setting.startswith("file://"):
        out = sys.stderr if setting == "console" else AppendOnly(Path(setting[len("file://") :]))
        exporter = ConsoleMetricExporter(
            # AppendOnly has the write and flush the exporter uses
            out=cast(IO[str], out),
            formatter=lambda data: data.to_json(indent=None) + "\n",
        )
        readers.append(
            PeriodicExportingMetricReader(exporter, export_interval_millis=_EXPORT_EVERY_MS)
        )
    if _otlp():
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    return readers


def _span_exporters(setting: str) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    if setting == "console":
        exporters.append(ConsoleSpanExporter(out=sys.stderr, formatter=span_line))
    elif setting.startswith("file://"):
        exporters.append(JsonLinesSpanExporter(AppendOnly(Path(setting[len("file://") :]))))
    if _otlp():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    return exporters


def configure(settings: Settings, service: str = "oretrail") -> Telemetry:
    """Install the process's meter and tracer providers and the log format, as the settings
    and the environment say; a signal that is off gets no provider (and costs nothing)."""
    global _metrics_on
    resource = _resource(service)
    meter_provider = None
    readers = _metric_readers(settings.metrics)
    if readers:
        meter_provider = MeterProvider(metric_readers=readers, resource=resource)
        metrics.set_meter_provider(meter_provider)
        _metrics_on = True
        # the last interval's counts are exported on exit too, not lost
        atexit.register(meter_provider.shutdown)
    tracer_provider = None
    exporters = _span_exporters(settings.traces)
    if exporters:
        tracer_provider = TracerProvider(resource=resource)
        for exporter in exporters:
            tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(tracer_provider)
        tracing.install(tracer_provider)
        atexit.register(tracer_provider.shutdown)
    return Telemetry(meter_provider, tracer_provider, configure_logging())
