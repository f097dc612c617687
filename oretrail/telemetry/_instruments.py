"""The pipeline's metric instruments, created once per component from one meter.

Names are ``oretrail.*`` (Prometheus: dots become underscores, counters end in ``_total``,
durations in ``_seconds``). Attributes are few and bounded: component (connector name,
``worker``, ``sink``), topic, stage, alert or credential type.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import metrics
from opentelemetry.metrics import Counter, Histogram, Meter

METER_NAME = "oretrail"

# seconds, from a fraction of a millisecond (one event reduced) to tens of seconds (a
# passport waiting for its events)
SECONDS_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


def meter() -> Meter:
    return metrics.get_meter(METER_NAME)


def records_counter(source: Meter | None = None) -> Counter:
    return (source or meter()).create_counter(
        "oretrail.connector.records",
        unit="{record}",
        description="records a connector delivered (accepted) or dead-lettered (rejected)",
    )


def _seconds(m: Meter, name: str, description: str) -> Histogram:
    return m.create_histogram(
        name, unit="s", description=description, explicit_bucket_boundaries_advisory=SECONDS_BUCKETS
    )


@dataclass(frozen=True)
class Instruments:
    consumed: Counter
    produced: Counter
    dead_letters: Counter
    alerts: Counter
    worker_duration: Histogram
    sink_duration: Histogram
    credential_latency: Histogram
    signed: Counter
    signing: Histogram

    @classmethod
    def of(cls, source: Meter | None = None) -> Instruments:
        m = source or meter()
        return cls(
            consumed=m.create_counter(
                "oretrail.messages.consumed",
                unit="{message}",
                description="records read, per component and topic (events in)",
            ),
            produced=m.create_counter(
                "oretrail.messages.produced",
                unit="{message}",
                description="records sent, per component and topic (events out)",
            ),
            dead_letters=m.create_counter(
                "oretrail.dead_letters",
                unit="{message}",
                description="inputs sent to the dead-letter topic, per component and stage",
            ),
            alerts=m.create_counter(
                "oretrail.alerts",
                unit="{alert}",
                description="mass-balance and due-diligence alerts raised, per type",
            ),
            worker_duration=_seconds(
                m,
                "oretrail.worker.duration",
                "worker processing time: stage=reduce per event, apply per batch of facts, "
                "flush per passport flush",
            ),
            sink_duration=_seconds(
                m, "oretrail.sink.duration", "sink processing time per input record, per topic"
            ),
            credential_latency=_seconds(
                m,
                "oretrail.sink.credential.latency",
                "from a passport update's Kafka timestamp to its credential announced",
            ),
            signed=m.create_counter(
                "oretrail.credentials.signed",
                unit="{credential}",
                description="credentials signed and stored, per credential type",
            ),
            signing=_seconds(
                m,
                "oretrail.sink.signing.duration",
                "signing one credential (compact JWS) and storing it, per credential type",
            ),
        )
