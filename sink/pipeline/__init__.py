"""The sink's processing: traceability events batched into DTE credentials per facility and
window, facility records, passports that link their DTEs, the revocation list (the pure
:class:`Publisher`), and the Kafka side that feeds it (:class:`SinkRunner`)."""

from sink.pipeline._publisher import Publisher, Revocation
from sink.pipeline._records import Outcome, PipelineError, credential_id
from sink.pipeline._runner import DeliveryError, SinkRunner, SinkStats, SinkTopics
from sink.pipeline._windows import Position

__all__ = [
    "DeliveryError",
    "Outcome",
    "PipelineError",
    "Position",
    "Publisher",
    "Revocation",
    "SinkRunner",
    "SinkStats",
    "SinkTopics",
    "credential_id",
]
