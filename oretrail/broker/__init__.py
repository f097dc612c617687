"""The embedded single-node Apache Kafka broker (KRaft) that the project starts itself.

Lifecycle: :func:`resolve_jars` (Maven, cached) → :func:`start` (format storage once,
launch ``kafka.Kafka``, wait until metadata answers, record bootstrap and pid) →
:func:`status` → :func:`stop` (SIGTERM, wait, SIGKILL as a last resort).
"""

from oretrail.broker._embedded import (
    BrokerError,
    BrokerInfo,
    kafka_version_from_log,
    start,
    status,
    stop,
)
from oretrail.broker._maven import resolve_jars

__all__ = [
    "BrokerError",
    "BrokerInfo",
    "kafka_version_from_log",
    "resolve_jars",
    "start",
    "status",
    "stop",
]
