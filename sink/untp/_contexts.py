"""The pinned JSON-LD contexts and credential types of UNTP 0.6.1.

The UNTP schemas fix the first two ``@context`` entries (``prefixItems`` with ``const``): the
W3C VC 2.0 context, then the versioned context of the credential's kind. A credential that
names another version, or puts them in another order, is not a 0.6.1 credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
UNTP_VERSION = "0.6.1"
UNTP_BASE = "https://test.uncefact.org/vocabulary/untp/"

Kind = Literal["dpp", "dte", "dfr", "dcc", "dia"]
KINDS: tuple[Kind, ...] = get_args(Kind)

#: the credential type each kind adds to ``VerifiableCredential``
CREDENTIAL_TYPES: Mapping[Kind, str] = {
    "dpp": "DigitalProductPassport",
    "dte": "DigitalTraceabilityEvent",
    "dfr": "DigitalFacilityRecord",
    "dcc": "DigitalConformityCredential",
    "dia": "DigitalIdentityAnchor",
}


def untp_context(kind: Kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown UNTP credential kind {kind!r}; expected one of {KINDS}")
    return f"{UNTP_BASE}{kind}/{UNTP_VERSION}/"


def contexts(kind: Kind) -> list[str]:
    """``@context`` of a UNTP 0.6.1 credential of this kind: VC 2.0 first, then UNTP's."""
    return [VC_CONTEXT, untp_context(kind)]


def kind_of_type(type_name: str) -> Kind | None:
    for kind, name in CREDENTIAL_TYPES.items():
        if name == type_name:
            return kind
    return None
