"""The EPCIS 2.0 HTTP capture interface (GS1 REST binding): ``oretrail capture``.

Public API::

    CaptureConfig                           env ORETRAIL_CAPTURE_* (host, port, limits)
    create_app(cfg, home=, bootstrap=, serde=) -> aiohttp Application
    serving(cfg, home=, bootstrap=, serde=)     async context manager yielding the base URL
    CaptureService(cfg, home=, bootstrap=, serde=).run(stop, ready=None)
    JobStore(path), job_document(job)       the SQLite job store and the CaptureJob shape
    openapi_document(cfg)                   the OpenAPI 3 description served at /openapi.json
    CONNECTOR = "epcis-capture"             connector name in origins and DLQ headers
"""

from connectors.capture._app import CaptureService, create_app, serving
from connectors.capture._config import CaptureConfig
from connectors.capture._jobs import Claim, Job, JobStore, job_document
from connectors.capture._openapi import openapi_document
from connectors.capture._prepare import CONNECTOR
from connectors.capture._publish import DuplicateEvent, Publisher

__all__ = [
    "CONNECTOR",
    "CaptureConfig",
    "CaptureService",
    "Claim",
    "DuplicateEvent",
    "Job",
    "JobStore",
    "Publisher",
    "create_app",
    "job_document",
    "openapi_document",
    "serving",
]
