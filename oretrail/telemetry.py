"""OpenTelemetry metrics of oretrail: one meter, instruments named ``oretrail.*``.

Code records through the OpenTelemetry API (a no-op until a provider is installed), so
libraries and tests pay nothing; a command-line process calls :func:`configure` once, which
chooses the exporter by the ``metrics`` setting's scheme: ``off``, ``console`` (JSON to
stderr every few seconds) or ``file://path`` (JSON lines appended to a file, for a
dashboard's collector to tail).

Instruments:

``oretrail.connector.records``  counter; attributes ``connector``, ``outcome``
    (accepted / rejected) and, for rejections, ``stage`` (parse, validate, serialise ...).
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path
from typing import IO

from opentelemetry import metrics
from opentelemetry.metrics import Counter, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from oretrail.config import Settings

METER_NAME = "oretrail"
_EXPORT_EVERY_MS = 5_000


def meter() -> Meter:
    return metrics.get_meter(METER_NAME)


def records_counter(source: Meter | None = None) -> Counter:
    return (source or meter()).create_counter(
        "oretrail.connector.records",
        unit="{record}",
        description="records a connector delivered (accepted) or dead-lettered (rejected)",
    )


def configure(settings: Settings, service: str = "oretrail") -> MeterProvider | None:
    """Install the process's meter provider as the settings say; None when metrics are off."""
    if settings.metrics == "off":
        return None
    out: IO[str]
    if settings.metrics == "console":
        out = sys.stderr
    else:
        path = Path(settings.metrics.removeprefix("file://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("a", encoding="utf-8")
    exporter = ConsoleMetricExporter(
        out=out, formatter=lambda data: data.to_json(indent=None) + "\n"
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=_EXPORT_EVERY_MS)
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({"service.name": service})
    )
    metrics.set_meter_provider(provider)
    # the last interval's counts are exported on exit too, not lost
    atexit.register(provider.shutdown)
    return provider
