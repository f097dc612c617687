"""EPCIS 2.0 in oretrail: parsed events, validation and normalisation, the event hash, and the
mapping to and from the TraceEvent Avro record.

Public API::

    DocumentEvent, InvalidEvent     what parsers yield (oretrail.epcis._document)
    to_trace_event(doc_event, origin=...) -> TraceEvent record
    from_trace_event(record) -> EPCIS 2.0 JSON-LD event;  epcis_document(records)
    event_hash(event, namespaces) -> "ni:///sha-256;...?ver=CBV2.0"

Errors (all ValueError)::

    EpcisParseError       the document cannot be read (stage "parse")
    EpcisValidationError  an event breaks an EPCIS / CBV rule (stage "validate")
"""

from oretrail.epcis._document import DocumentEvent, EpcisParseError, InvalidEvent
from oretrail.epcis._errors import EpcisValidationError
from oretrail.epcis._hash import event_hash
from oretrail.epcis._mapping import EVENT_TYPES, to_trace_event
from oretrail.epcis._reverse import EPCIS_CONTEXT, epcis_document, from_trace_event, merged_context
from oretrail.epcis._values import BUILTIN_NAMESPACES

__all__ = [
    "BUILTIN_NAMESPACES",
    "EPCIS_CONTEXT",
    "EVENT_TYPES",
    "DocumentEvent",
    "EpcisParseError",
    "EpcisValidationError",
    "InvalidEvent",
    "epcis_document",
    "event_hash",
    "from_trace_event",
    "merged_context",
    "to_trace_event",
]
