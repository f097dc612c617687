"""The EPCIS connector: EPCIS 2.0 JSON-LD, 2.0 XML and 1.2 XML into TraceEvents.

Public API::

    read_document(stream) -> DocumentEvent | InvalidEvent ...   any form, streamed
    iter_json_events(stream), iter_xml_events(stream)            one form each
    EpcisFileSource, EpcisFileConfig                             the file/folder source
"""

from connectors.epcis._json import iter_json_events, namespaces_of
from connectors.epcis._read import read_document, sniff
from connectors.epcis._source import EpcisFileConfig, EpcisFileSource, expand
from connectors.epcis._xml import iter_xml_events

__all__ = [
    "EpcisFileConfig",
    "EpcisFileSource",
    "expand",
    "iter_json_events",
    "iter_xml_events",
    "namespaces_of",
    "read_document",
    "sniff",
]
