"""The connector SDK: base class, records, the runner that delivers them, and the registry.

Public API::

    Source          base class with the written lifecycle (see connectors.sdk._source)
    SourceRecord    a record to publish          Rejected   input to dead-letter
    SourceRunner    produce + DLQ + commit-after-ack        Counts   accepted / rejected
    StateStore      durable positions             installed()  connectors by entry point

Errors: DeliveryError (broker did not acknowledge; nothing after it was committed).
"""

from connectors.sdk._dlq import HEADER_PREFIX, dead_letter_headers, dead_letter_value
from connectors.sdk._records import Rejected, SourceRecord
from connectors.sdk._registry import ENTRY_POINT_GROUP, ConnectorLoadError, installed, load
from connectors.sdk._runner import DLQ_TOPIC, Counts, DeliveryError, SourceRunner
from connectors.sdk._source import Source
from connectors.sdk._state import StateStore

__all__ = [
    "DLQ_TOPIC",
    "ENTRY_POINT_GROUP",
    "HEADER_PREFIX",
    "ConnectorLoadError",
    "Counts",
    "DeliveryError",
    "Rejected",
    "Source",
    "SourceRecord",
    "SourceRunner",
    "StateStore",
    "dead_letter_headers",
    "dead_letter_value",
    "installed",
    "load",
]
