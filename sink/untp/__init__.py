"""UNTP 0.6.1 credentials (unsigned): Digital Product Passports from passport updates,
Digital Traceability Events from TraceEvents, Digital Facility Records from facility master
data, the EU Battery Regulation Annex XIII view of a battery's passport, and the project's
own structural validation of such credentials.

Public API::

    contexts(kind) -> ["https://www.w3.org/ns/credentials/v2", <UNTP 0.6.1 context of kind>]
    build_dpp(update, *, issuer, credential_id, status, traceability, valid_from, product=None)
    build_dte(events, *, issuer, credential_id, status, valid_from)   TraceEvent records
    build_dfr(facility, *, issuer, credential_id, status, valid_from)
    load_facilities(path) -> {facility id: Facility};  find_facility(facilities, location)
    battery_pass(passport) -> Annex XIII attributes by Battery Pass v1.2 aspect
    validate(credential) -> [problem, ...]   [] when a DPP/DTE/DFR is structurally sound
"""

from sink.untp._batterypass import battery_pass
from sink.untp._common import Issuer, Party
from sink.untp._contexts import CREDENTIAL_TYPES, UNTP_VERSION, VC_CONTEXT, Kind, contexts
from sink.untp._dfr import build_dfr
from sink.untp._dpp import ProductInfo, TraceLink, build_dpp
from sink.untp._dte import DteError, build_dte
from sink.untp._facilities import Facility, FacilityError, find_facility, load_facilities
from sink.untp._materials import PassportError
from sink.untp._validate import validate

__all__ = [
    "CREDENTIAL_TYPES",
    "UNTP_VERSION",
    "VC_CONTEXT",
    "DteError",
    "Facility",
    "FacilityError",
    "Issuer",
    "Kind",
    "Party",
    "PassportError",
    "ProductInfo",
    "TraceLink",
    "battery_pass",
    "build_dfr",
    "build_dpp",
    "build_dte",
    "contexts",
    "find_facility",
    "load_facilities",
    "validate",
]
