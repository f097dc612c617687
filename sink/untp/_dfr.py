"""Digital Facility Record credentials (UNTP 0.6.1) from the operator's facility master data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sink.untp._common import Issuer, credential, gs1_parts
from sink.untp._facilities import Facility

GLN_SCHEME = {
    "type": ["IdentifierScheme"],
    "id": "https://id.gs1.org/414/",
    "name": "Global Location Number (GLN)",
}


def _optional(pairs: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in pairs.items() if v is not None}


def facility_json(facility: Facility) -> dict[str, Any]:
    """The UNTP ``Facility`` of a master-data record."""
    out: dict[str, Any] = {"type": ["Facility"], "id": facility.id, "name": facility.name}
    keys = dict(gs1_parts(facility.id) or [])
    if "414" in keys:
        out["registeredId"] = keys["414"]
        out["idScheme"] = dict(GLN_SCHEME)
    if facility.description:
        out["description"] = facility.description
    if facility.country:
        out["countryOfOperation"] = facility.country
    if facility.process_id and facility.process_name:
        out["processCategory"] = [
            {
                "type": ["Classification"],
                "id": facility.process_id,
                "name": facility.process_name,
                **_optional(
                    {
                        "code": facility.process_code,
                        "schemeID": facility.process_scheme_id,
                        "schemeName": facility.process_scheme_name,
                    }
                ),
            }
        ]
    if facility.operator_id and facility.operator_name:
        out["operatedByParty"] = {"id": facility.operator_id, "name": facility.operator_name}
    if facility.latitude is not None and facility.longitude is not None:
        # GeoJSON order: longitude first
        point = {"type": "Point", "coordinates": [facility.longitude, facility.latitude]}
        out["locationInformation"] = {"geoLocation": point}
    address = _optional(
        {
            "streetAddress": facility.street_address,
            "postalCode": facility.postal_code,
            "addressLocality": facility.locality,
            "addressRegion": facility.region,
            "addressCountry": facility.country,
        }
    )
    if set(address) - {"addressCountry"}:
        out["address"] = address
    return out


def build_dfr(
    facility: Facility,
    *,
    issuer: Issuer,
    credential_id: str,
    status: Mapping[str, Any],
    valid_from: datetime,
) -> dict[str, Any]:
    """The unsigned DFR credential of one facility."""
    return credential(
        "dfr",
        credential_id=credential_id,
        issuer=issuer,
        valid_from=valid_from,
        status=status,
        subject={"type": ["FacilityRecord"], "facility": facility_json(facility)},
        name=f"Facility record of {facility.name}",
    )
