"""Digital Product Passport (UNTP 0.6.1) of a passport update: a lot (batch) or a serialised
item, from the rolled-up ledger the processors publish on ``oretrail.passport-updates``."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sink.untp._batterypass import battery_claims
from sink.untp._carbon import carbon_split
from sink.untp._common import (
    Issuer,
    Party,
    credential,
    describe,
    fragment,
    gs1_parts,
    is_uri,
    number,
)
from sink.untp._materials import (
    PassportError,
    materials_provenance,
    obj,
    real,
    recycled_content,
)

DTE_LINK_TYPE = "https://test.uncefact.org/vocabulary/linkTypes/dte"
GTIN_SCHEME = {
    "type": ["IdentifierScheme"],
    "id": "https://id.gs1.org/01/",
    "name": "Global Trade Item Number (GTIN)",
}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class TraceLink:
    """A stored Digital Traceability Event credential behind a passport."""

    url: str
    hash_digest: str  # sha256 hex of the stored credential bytes
    event_ids: tuple[str, ...]
    media_type: str = "application/vc+jwt"

    def __post_init__(self) -> None:
        if not is_uri(self.url):
            raise ValueError(f"a traceability link needs a URI, got {self.url!r}")
        if not _SHA256_HEX.fullmatch(self.hash_digest):
            raise ValueError(
                f"hash_digest of {self.url} must be 64 lower-case hex digits (SHA-256), "
                f"got {self.hash_digest!r}"
            )


@dataclass(frozen=True)
class ProductInfo:
    """What the ledger does not know about a product: its name and master data."""

    name: str
    description: str | None = None
    produced_by: Party | None = None
    produced_at: Party | None = None  # the facility, by id (GLN Digital Link) and name
    country_of_production: str | None = None  # ISO 3166-1 alpha-2
    production_date: date | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a product needs a name")
        if self.country_of_production is not None and not _COUNTRY.fullmatch(
            self.country_of_production
        ):
            raise ValueError(
                "country_of_production must be an ISO 3166-1 alpha-2 code, got "
                f"{self.country_of_production!r}"
            )


def passport_of(update: Mapping[str, Any]) -> dict[str, Any]:
    """The passport of a PassportUpdate record (canonical JSON text, or already parsed)."""
    raw = update.get("passport")
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PassportError(f"passport of {update.get('productID')} is no JSON: {exc}") from exc
    return dict(obj(raw, "passport"))


def _derived_name(product_id: str) -> str:
    keys = dict(gs1_parts(product_id) or [])
    if "01" in keys and "21" in keys:
        return f"Item {keys['21']} of GTIN {keys['01']}"
    if "01" in keys and "10" in keys:
        return f"Lot {keys['10']} of GTIN {keys['01']}"
    return describe(product_id)


def _product(product_id: str, passport: Mapping[str, Any], info: ProductInfo | None) -> Any:
    keys = dict(gs1_parts(product_id) or [])
    out: dict[str, Any] = {
        "type": ["Product"],
        "id": product_id,
        "name": info.name if info else _derived_name(product_id),
    }
    if "01" in keys:
        out["registeredId"] = keys["01"]
        out["idScheme"] = dict(GTIN_SCHEME)
    if "10" in keys:
        out["batchNumber"] = keys["10"]
    if "21" in keys:
        out["serialNumber"] = keys["21"]
    if info is not None:
        if info.description:
            out["description"] = info.description
        if info.produced_by:
            out["producedByParty"] = info.produced_by.json()
        if info.produced_at:
            out["producedAtFacility"] = info.produced_at.json()
        if info.production_date:
            out["productionDate"] = info.production_date.isoformat()
        if info.country_of_production:
            out["countryOfProduction"] = info.country_of_production
    mass = real(passport, "massKg", "passport")
    if mass > 0:
        out["dimensions"] = {"weight": {"value": number(mass), "unit": "KGM"}}
    return out


def _emissions(passport: Mapping[str, Any]) -> dict[str, Any] | None:
    """None when no footprint is known: zero would claim a carbon-free product."""
    split = carbon_split(passport)
    if split.total_kg <= 0:
        return None
    per_kg = real(obj(passport["carbonFootprint"], "passport.carbonFootprint"), "kgCO2ePerKg", "")
    return {
        "carbonFootprint": number(per_kg),
        "declaredUnit": "KGM",
        "operationalScope": "CradleToGate",
        "primarySourcedRatio": split.primary_sourced_ratio,
    }


def _trace_link(link: TraceLink) -> dict[str, Any]:
    count = len(link.event_ids)
    return {
        "linkURL": link.url,
        "linkName": f"Digital Traceability Event credential, {count} event"
        f"{'' if count == 1 else 's'} ({link.media_type})",
        "linkType": DTE_LINK_TYPE,
        "hashDigest": link.hash_digest,
        "hashMethod": "SHA-256",
        "encryptionMethod": "none",
    }


def _certificate_claims(passport: Mapping[str, Any], product_id: str) -> list[dict[str, Any]]:
    claims = []
    for cert in dict.fromkeys(str(c) for c in passport.get("certificates") or []):
        digest = hashlib.sha256(cert.encode()).hexdigest()[:16]
        claim: dict[str, Any] = {
            "type": ["Claim", "Declaration"],
            "id": fragment(product_id, f"certificate-{digest}"),
            "description": f"Certificate declared in the traceability events of this product "
            f"or the material it was made from: {cert}",
            "conformance": True,
            "conformityTopic": "governance.compliance",
        }
        if is_uri(cert):
            claim["conformityEvidence"] = {"linkURL": cert, "linkName": "Certificate"}
        claims.append(claim)
    return claims


def _figure_unit(name: str) -> str:
    return "KGM" if name.endswith("Kg") else "C62"  # Rec 20: kilogram, one (a ratio)


def _due_diligence_claim(passport: Mapping[str, Any], product_id: str) -> dict[str, Any]:
    flags = [str(f) for f in passport.get("flags") or []]
    alerts = [obj(a, "passport.alerts[]") for a in passport.get("alerts") or []]
    text = (
        "Supply-chain due diligence by oretrail's element ledger: mass balance, recycled-"
        "content claims, country of origin and chain of custody, checked over every input."
    )
    if flags:
        text += " Flags (own, inherited from inputs, alert:<type> for alerts upstream): "
        text += ", ".join(flags) + "."
    for alert in alerts:
        text += f" Alert {alert.get('type')}: {alert.get('message')}"
    if not flags and not alerts:
        text += " No flag raised."
    if passport.get("complete") is not True:
        text += " Figures incomplete: facts of an input are still missing."
    metrics = []
    for alert in alerts:
        figures = obj(alert.get("figures", {}), "passport.alerts[].figures")
        for key in sorted(figures):
            name = ".".join(str(p) for p in (alert.get("type"), alert.get("element"), key) if p)
            value = real(figures, key, "passport.alerts[].figures")
            metrics.append(
                {"metricName": name, "metricValue": {"value": value, "unit": _figure_unit(key)}}
            )
    claim: dict[str, Any] = {
        "type": ["Claim", "Declaration"],
        "id": fragment(product_id, "due-diligence"),
        "description": text,
        "conformance": not flags and not alerts,
        "conformityTopic": "governance.compliance",
    }
    if metrics:
        claim["declaredValue"] = metrics
    return claim


def build_dpp(
    update: Mapping[str, Any],
    *,
    issuer: Issuer,
    credential_id: str,
    status: Mapping[str, Any],
    traceability: Sequence[TraceLink],
    valid_from: datetime,
    product: ProductInfo | None = None,
) -> dict[str, Any]:
    """The unsigned DPP credential of one passport version (a PassportUpdate record)."""
    product_id = update.get("productID")
    if not isinstance(product_id, str) or not is_uri(product_id):
        raise PassportError(f"a passport update needs a productID URI, got {product_id!r}")
    granularity = update.get("granularity")
    if granularity not in ("batch", "item"):
        raise PassportError(f"{product_id}: granularity must be batch or item, not {granularity!r}")
    passport = passport_of(update)
    if passport.get("id", product_id) != product_id:
        raise PassportError(f"update for {product_id} carries the passport of {passport['id']}")
    subject: dict[str, Any] = {
        "type": ["ProductPassport"],
        "product": _product(product_id, passport, product),
        "granularityLevel": granularity,
    }
    claims = _certificate_claims(passport, product_id)
    claims.append(_due_diligence_claim(passport, product_id))
    if granularity == "item":
        claims.extend(battery_claims(passport, product_id))
    subject["conformityClaim"] = claims
    emissions = _emissions(passport)
    if emissions is not None:
        subject["emissionsScorecard"] = emissions
    if traceability:
        subject["traceabilityInformation"] = [
            {
                "valueChainProcess": "Supply chain of the product and its inputs",
                "traceabilityEvent": [_trace_link(link) for link in traceability],
            }
        ]
    content = recycled_content(passport)
    if content is not None:
        subject["circularityScorecard"] = {"recycledContent": content}
    subject["materialsProvenance"] = materials_provenance(passport)
    version = update.get("version")
    name = f"Digital Product Passport of {subject['product']['name']}"
    return credential(
        "dpp",
        credential_id=credential_id,
        issuer=issuer,
        valid_from=valid_from,
        status=status,
        subject=subject,
        name=f"{name}, version {version}" if version is not None else name,
    )
