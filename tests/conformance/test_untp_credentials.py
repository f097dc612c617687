"""Every kind of credential sink.untp builds, from realistic inputs made by the project's own
ledger and EPCIS mapping, validates against the official UNTP 0.6.1 JSON Schema of its kind
and the W3C VC 2.0 schema (with format checking), and expands as JSON-LD over local copies of
the contexts with no term dropped."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pyld import jsonld

from sink.untp import (
    Facility,
    Issuer,
    Party,
    ProductInfo,
    TraceLink,
    build_dfr,
    build_dpp,
    build_dte,
    load_facilities,
    validate,
)
from tests.conformance.untp_standards import (
    FORMATS,
    Standards,
    expansion_problems,
    schema_errors,
)
from tests.untp_inputs import (
    CAM,
    CELL,
    CELL_PLANT,
    ISSUED,
    PACK,
    battery_chain,
    trace_events,
    update,
)

BASE = "http://127.0.0.1:8780"
ISSUER = Issuer("did:web:127.0.0.1%3A8780", "oretrail test issuer")
STATUS = {
    "id": f"{BASE}/status/revocation#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": f"{BASE}/status/revocation",
}
DIGEST = "3f0a9c58d1e2b7a4c6f8e0d2b4a6c8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2"
LINKS = (TraceLink(f"{BASE}/credentials/{DIGEST}", DIGEST, ("urn:uuid:t-cam", "urn:uuid:a-pack")),)


@pytest.fixture(scope="module")
def std(standards: Path) -> Standards:
    return Standards(standards)


def dpp(lot: str, **kwargs: Any) -> dict[str, Any]:
    facts = battery_chain(**kwargs.pop("chain", {}))
    return build_dpp(
        update(lot, facts),
        issuer=ISSUER,
        credential_id=f"{BASE}/passports/{lot.rsplit('/', 1)[-1]}/v1",
        status=STATUS,
        traceability=LINKS,
        valid_from=ISSUED,
        **kwargs,
    )


PASSPORTS: dict[str, Callable[[], dict[str, Any]]] = {
    "material lot with inputs": lambda: dpp(CAM),
    "battery pack (item)": lambda: dpp(PACK),
    "cell with product master data": lambda: dpp(
        CELL + "C-1",
        product=ProductInfo(
            name="NMC 811 prismatic cell 120 Ah",
            description="Prismatic lithium-ion cell for EV packs",
            produced_by=Party("https://id.gs1.org/417/0950600000002", "Example Cells GmbH"),
            produced_at=Party(CELL_PLANT, "Cell plant 1"),
            country_of_production="DE",
            production_date=date(2026, 11, 2),
        ),
    ),
    "flagged lot with a mass-balance alert": lambda: dpp(
        CAM, chain={"flags": ("conflict_area",), "cam_content": {"Co": 0.5}}
    ),
    "flagged pack": lambda: dpp(PACK, chain={"flags": ("conflict_area",)}),
}


def assert_conforms(std: Standards, credential: dict[str, Any], kind: str) -> None:
    assert schema_errors(std.schema(kind), credential) == []
    assert schema_errors(std.vc_schema(), credential) == []
    assert expansion_problems(credential, std.loader) == []
    assert validate(credential) == []  # the project's own check agrees


@pytest.mark.parametrize("case", sorted(PASSPORTS))
def test_product_passports_conform(std: Standards, case: str) -> None:
    credential = PASSPORTS[case]()
    assert_conforms(std, credential, "dpp")
    subject = credential["credentialSubject"]
    # the parts issue 5 asks for are there, not merely allowed
    assert subject["materialsProvenance"]
    assert subject["conformityClaim"]
    assert subject["emissionsScorecard"]["carbonFootprint"] > 0
    assert subject["circularityScorecard"]["recycledContent"] > 0
    link = subject["traceabilityInformation"][0]["traceabilityEvent"][0]
    assert (link["hashDigest"], link["hashMethod"]) == (DIGEST, "SHA-256")


def claims_of(credential: dict[str, Any]) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = credential["credentialSubject"]["conformityClaim"]
    return claims


def test_pack_passport_carries_the_annex_xiii_figures(std: Standards) -> None:
    claims = {c["id"].rsplit("#", 1)[1]: c for c in claims_of(dpp(PACK))}
    assert {"annex-xiii-recycled-content", "annex-xiii-carbon-footprint"} <= set(claims)
    names = {m["metricName"] for m in claims["annex-xiii-recycled-content"]["declaredValue"]}
    assert "Circularity.recycledContent[Cobalt].postConsumerShare" in names
    lot_claims = {c["id"].rsplit("#", 1)[1] for c in claims_of(dpp(CAM))}
    assert "annex-xiii-recycled-content" not in lot_claims  # only item passports are batteries


def test_traceability_event_credential_of_every_event_kind_conforms(std: Standards) -> None:
    records = trace_events()
    credential = build_dte(
        records,
        issuer=ISSUER,
        credential_id=f"{BASE}/dte/{DIGEST}",
        status=STATUS,
        valid_from=ISSUED,
    )
    assert_conforms(std, credential, "dte")
    kinds = {event["type"][0] for event in credential["credentialSubject"]}
    assert kinds == {
        "ObjectEvent",
        "TransformationEvent",
        "AggregationEvent",
        "AssociationEvent",
        "TransactionEvent",
    }
    assert [e["id"] for e in credential["credentialSubject"]] == [r["eventID"] for r in records]
    # each event also conforms on its own, against the schema of its class
    for event in credential["credentialSubject"]:
        kind = event["type"][0]
        path = std.untp / "dte" / f"{kind}-schema.json"
        validator = Draft202012Validator(json.loads(path.read_text()), format_checker=FORMATS)
        assert schema_errors(validator, event) == [], kind


def test_one_event_credentials_conform(std: Standards) -> None:
    """The sink batches per facility and window: a batch may hold a single event."""
    for record in trace_events():
        credential = build_dte(
            [record], issuer=ISSUER, credential_id=f"{BASE}/dte/1", status=STATUS, valid_from=ISSUED
        )
        assert schema_errors(std.schema("dte"), credential) == []
        assert expansion_problems(credential, std.loader) == []


REGISTRY = """\
- id: https://id.gs1.org/414/0950600012340
  name: Kolwezi cobalt mine
  description: Open-pit copper-cobalt mine
  country: CD
  operator_id: https://id.gs1.org/417/0950600000002
  operator_name: Example Mining SARL
  street_address: Route de Likasi
  locality: Kolwezi
  region: Lualaba
  latitude: -10.7167
  longitude: 25.4667
  process_id: https://unstats.un.org/isic/0729
  process_name: Mining of other non-ferrous metal ores
  process_code: "0729"
  process_scheme_id: https://unstats.un.org/isic/
  process_scheme_name: ISIC Rev. 4
- id: urn:epc:id:sgln:0950600.02234.0
  name: Example cobalt refinery
"""


def test_facility_records_conform(std: Standards, tmp_path: Path) -> None:
    path = tmp_path / "facilities.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    warehouse = Facility(id="urn:uuid:7d0c5e1a-0000-4000-8000-000000000001", name="Warehouse")
    facilities = [*load_facilities(path).values(), warehouse]
    for i, facility in enumerate(facilities):
        credential = build_dfr(
            facility,
            issuer=ISSUER,
            credential_id=f"{BASE}/facilities/{i}",
            status=STATUS,
            valid_from=ISSUED,
        )
        assert_conforms(std, credential, "dfr")


def test_the_loader_refuses_any_other_document(std: Standards) -> None:
    credential = dpp(CAM)
    credential["@context"] = [*credential["@context"], "https://example.org/extension/v1"]
    with pytest.raises(jsonld.JsonLdError, match="loading remote context failed"):
        expansion_problems(credential, std.loader)
    assert "https://example.org/extension/v1" in std.refused


def test_an_undefined_term_is_reported(std: Standards) -> None:
    """The expansion check itself: a member no context defines is found."""
    credential = dpp(PACK)
    credential["credentialSubject"]["product"]["characteristics"] = {"ratedCapacity": 120}
    problems = expansion_problems(credential, std.loader)
    assert any("characteristics" in p for p in problems)


def test_official_samples_pass_the_same_checks(std: Standards) -> None:
    """The checks are no stricter than UNTP itself: its own samples pass them."""
    for kind in ("dpp", "dte", "dfr"):
        sample = std.instance(kind)
        assert schema_errors(std.schema(kind), sample) == []
        assert expansion_problems(sample, std.loader) == [], kind


def test_validity_time_is_utc_now_independent() -> None:
    credential = dpp(CAM)
    assert credential["validFrom"] == "2026-11-24T12:00:00Z"
    assert ISSUED.tzinfo is UTC
    later = build_dpp(
        update(CAM),
        issuer=ISSUER,
        credential_id=f"{BASE}/passports/x/v1",
        status=STATUS,
        traceability=(),
        valid_from=datetime(2027, 1, 1, 9, 30, tzinfo=UTC),
    )
    assert later["validFrom"] == "2027-01-01T09:30:00Z"
    assert "traceabilityInformation" not in later["credentialSubject"]
