"""The ERP connectors: exports (CSV / JSON) and PostgreSQL staging tables -> TraceEvents.

A declarative YAML mapping (connectors.erp._model) says which columns make which EPCIS
event per record kind: production orders -> TransformationEvent, goods movements ->
ObjectEvent / TransactionEvent, lot master data -> ILMD. See examples/erp/.

Public API::

    load_mapping(path) -> Mapping         MappingError (file:line: key: message)
    parse_mapping(text, source) -> Mapping
    EventBuilder(mapping).event(kind, rows) -> DocumentEvent    RowError names the column
    ErpFileSource, ErpFileConfig          ``erp-file``: export files and folders
    ErpPostgresSource, ErpPostgresConfig  ``erp-postgres``: staging tables, xid watermark
    StagingSource                         one staging table / query and its record kinds
"""

from connectors.erp._files import ErpFileConfig, ErpFileSource
from connectors.erp._load import MappingError, load_mapping, parse_mapping
from connectors.erp._mapping import EventBuilder
from connectors.erp._model import DOCUMENT_KEY, OT_NAMESPACE, Mapping
from connectors.erp._postgres import ErpPostgresConfig, ErpPostgresSource, StagingSource
from connectors.erp._values import RowError

__all__ = [
    "DOCUMENT_KEY",
    "OT_NAMESPACE",
    "ErpFileConfig",
    "ErpFileSource",
    "ErpPostgresConfig",
    "ErpPostgresSource",
    "EventBuilder",
    "Mapping",
    "MappingError",
    "RowError",
    "StagingSource",
    "load_mapping",
    "parse_mapping",
]
