"""build_dpp: what goes where in the passport, and clear errors for what cannot be built."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from sink.untp import (
    Issuer,
    Party,
    PassportError,
    ProductInfo,
    TraceLink,
    build_dpp,
    contexts,
)
from tests.untp_inputs import CAM, CAM_CERT, ISSUED, PACK, battery_chain, update

ISSUER = Issuer("did:web:passports.example.com", "Example Passports")
STATUS = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}
DIGEST = "ab" * 32


def build(record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "credential_id": "urn:uuid:6d1f7e0a-3b2c-4d5e-8f90-a1b2c3d4e5f6",
        "status": STATUS,
        "traceability": (),
        "valid_from": ISSUED,
    }
    args.update(kwargs)
    return build_dpp(record, **args)


def test_envelope_and_product_identity() -> None:
    credential = build(update(CAM))
    assert credential["@context"] == contexts("dpp")
    assert credential["type"] == ["DigitalProductPassport", "VerifiableCredential"]
    assert credential["issuer"] == {
        "type": ["CredentialIssuer"],
        "id": "did:web:passports.example.com",
        "name": "Example Passports",
    }
    assert credential["credentialStatus"] == STATUS
    product = credential["credentialSubject"]["product"]
    assert product["id"] == CAM
    assert product["name"] == "Lot NMC-2026-1101 of GTIN 09506000134420"
    assert (product["registeredId"], product["batchNumber"]) == ("09506000134420", "NMC-2026-1101")
    assert product["dimensions"]["weight"] == {"value": 20000.0, "unit": "KGM"}
    assert credential["credentialSubject"]["granularityLevel"] == "batch"
    assert credential["name"].endswith("version 1")


def test_product_master_data_overrides_the_derived_name() -> None:
    info = ProductInfo(
        "Pack 75 kWh",
        produced_by=Party("https://id.gs1.org/417/0950600000002", "Example Packs"),
        country_of_production="PL",
    )
    product = build(update(PACK), product=info)["credentialSubject"]["product"]
    assert product["name"] == "Pack 75 kWh"
    assert product["serialNumber"] == "P-0001"
    assert product["producedByParty"]["name"] == "Example Packs"
    assert product["countryOfProduction"] == "PL"
    with pytest.raises(ValueError, match="alpha-2"):
        ProductInfo("x", country_of_production="Poland")


def test_emissions_of_the_lot() -> None:
    emissions = build(update(CAM))["credentialSubject"]["emissionsScorecard"]
    # 93500 kg CO2e over 20000 kg; feed with a declared footprint: 28 of 32 t (Mn feed: none)
    assert emissions == {
        "carbonFootprint": 4.675,
        "declaredUnit": "KGM",
        "operationalScope": "CradleToGate",
        "primarySourcedRatio": 0.875,
    }


def test_no_emissions_scorecard_without_a_footprint() -> None:
    record = update(CAM)
    passport = json.loads(record["passport"])
    passport["carbonFootprint"] = {"totalKgCO2e": 0.0, "kgCO2ePerKg": 0.0}
    passport["inputs"] = []
    record["passport"] = json.dumps(passport)
    assert "emissionsScorecard" not in build(record)["credentialSubject"]


def test_traceability_links_carry_the_digest() -> None:
    link = TraceLink("https://sink.example.com/credentials/" + DIGEST, DIGEST, ("urn:uuid:e1",))
    info = build(update(CAM), traceability=[link])["credentialSubject"]["traceabilityInformation"]
    assert info[0]["traceabilityEvent"] == [
        {
            "linkURL": link.url,
            "linkName": "Digital Traceability Event credential, 1 event (application/vc+jwt)",
            "linkType": "https://test.uncefact.org/vocabulary/linkTypes/dte",
            "hashDigest": DIGEST,
            "hashMethod": "SHA-256",
            "encryptionMethod": "none",
        }
    ]
    with pytest.raises(ValueError, match="SHA-256"):
        TraceLink(link.url, "ABCD", ())
    with pytest.raises(ValueError, match="URI"):
        TraceLink("not a uri", DIGEST, ())


def test_certificates_and_due_diligence_claims() -> None:
    facts = battery_chain(flags=("conflict_area",), cam_content={"Co": 0.5})
    claims = build(update(CAM, facts))["credentialSubject"]["conformityClaim"]
    certificate = next(c for c in claims if "#certificate-" in c["id"])
    assert certificate["conformityEvidence"] == {"linkURL": CAM_CERT, "linkName": "Certificate"}
    diligence = next(c for c in claims if c["id"].endswith("#due-diligence"))
    assert diligence["conformance"] is False
    assert "conflict_area" in diligence["description"]
    assert "alert:mass_balance_violation" in diligence["description"]
    # the alert's figures: 3900 kg Co in, 10000 kg out
    values = {m["metricName"]: m["metricValue"] for m in diligence["declaredValue"]}
    assert values["mass_balance_violation.Co.inputKg"] == {"value": 3900.0, "unit": "KGM"}
    assert values["mass_balance_violation.Co.tolerance"] == {"value": 0.02, "unit": "C62"}
    pack = build(update(PACK, facts))["credentialSubject"]["conformityClaim"]
    battery = [c for c in pack if "#annex-xiii" in c["id"]]
    assert [c["conformance"] for c in battery] == [False, False]  # inherited alert upstream


def test_clean_lot_due_diligence_conforms() -> None:
    claims = build(update(CAM))["credentialSubject"]["conformityClaim"]
    diligence = next(c for c in claims if c["id"].endswith("#due-diligence"))
    assert diligence["conformance"] is True
    assert "declaredValue" not in diligence


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"granularity": "model"}, "granularity must be batch or item"),
        ({"productID": "LOT-1"}, "productID URI"),
        ({"passport": "{not json"}, "is no JSON"),
        ({"passport": "[]"}, "passport must be a JSON object"),
        ({"productID": PACK}, "carries the passport of"),
    ],
)
def test_malformed_updates_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PassportError, match=message):
        build({**update(CAM), **change})


def test_envelope_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="W3C DID"):
        Issuer("https://example.com", "x")
    with pytest.raises(ValueError, match="credential id must be a URI"):
        build(update(CAM), credential_id="passport 1")
    with pytest.raises(ValueError, match="time zone"):
        build(update(CAM), valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="credentialStatus needs a type"):
        build(update(CAM), status={})
