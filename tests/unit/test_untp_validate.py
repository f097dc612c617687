"""sink.untp.validate on the credentials the builders make, and on broken copies of them:
each kind of breakage is found and named."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.untp import Facility, Issuer, build_dfr, build_dpp, build_dte, validate
from sink.untp._validate import EVENT_TYPES, TOPICS
from tests.untp_inputs import ISSUED, MUTATIONS, PACK, SHAPE, trace_events, update

ISSUER = Issuer("did:web:example.com", "Example")
STATUS = {
    "id": "https://example.com/status/revocation#3",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "3",
    "statusListCredential": "https://example.com/status/revocation",
}
ARGS: dict[str, Any] = {"issuer": ISSUER, "status": STATUS, "valid_from": ISSUED}


def own() -> dict[str, dict[str, Any]]:
    return {
        "dpp": build_dpp(
            update(PACK), credential_id="https://example.com/p/1", traceability=(), **ARGS
        ),
        "dte": build_dte(trace_events(), credential_id="https://example.com/e/1", **ARGS),
        "dfr": build_dfr(
            Facility(id="https://id.gs1.org/414/0950600012340", name="Mine", country="CD"),
            credential_id="https://example.com/f/1",
            **ARGS,
        ),
    }


CREDENTIALS = own()


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_own_credentials_are_valid(kind: str) -> None:
    assert validate(CREDENTIALS[kind]) == []


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_breakage_is_named(kind: str, name: str) -> None:
    credential = copy.deepcopy(CREDENTIALS[kind])
    mutate, expected = MUTATIONS[name]
    mutate(credential)
    problems = validate(credential)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("kind", sorted(SHAPE))
def test_subject_shape_per_kind(kind: str) -> None:
    credential = copy.deepcopy(CREDENTIALS[kind])
    mutate, expected = SHAPE[kind]
    mutate(credential)
    assert any(expected in p for p in validate(credential))


def test_subject_members_per_kind() -> None:
    dpp = copy.deepcopy(CREDENTIALS["dpp"])
    subject = dpp["credentialSubject"]
    del subject["product"]["name"]
    subject["granularityLevel"] = "pallet"
    subject["materialsProvenance"][0]["massFraction"] = 1.5
    subject["conformityClaim"][0]["conformityTopic"] = "environment.noise"
    subject["emissionsScorecard"]["operationalScope"] = "Scope3"
    assert validate(dpp) == [
        "credentialSubject.product.name: must be a non-empty string, got nothing",
        "credentialSubject.granularityLevel: must be item, batch or model",
        "credentialSubject.materialsProvenance[0].massFraction: must be a fraction between 0 "
        "and 1, got 1.5",
        "credentialSubject.emissionsScorecard.operationalScope: must be None, CradleToGate or "
        "CradleToGrave",
        "credentialSubject.conformityClaim[0].conformityTopic: must be one of "
        + str(sorted(TOPICS)),
    ]
    dte = copy.deepcopy(CREDENTIALS["dte"])
    index, event = next(
        (i, e) for i, e in enumerate(dte["credentialSubject"]) if e["type"][0] == "TransactionEvent"
    )
    del event["sourceParty"]
    event["epcList"][0]["name"] = ""
    event["quantityList"] = [{"productId": "https://id.gs1.org/01/09506000134352", "quantity": 1}]
    at = f"credentialSubject[{index}]"
    assert validate(dte) == [
        f"{at}.epcList[0].name: must be a non-empty string, got ''",
        f"{at}.quantityList[0].productName: must be a non-empty string, got nothing",
        f"{at}.sourceParty: must be a non-empty string, got nothing",
    ]
    event["type"] = ["TransactionEvent", "ObjectEvent", "Event"]
    assert f"{at}.type: must name exactly one of {', '.join(EVENT_TYPES)}" in validate(dte)
    dfr = copy.deepcopy(CREDENTIALS["dfr"])
    dfr["credentialSubject"]["facility"]["id"] = "GLN 0950600012340"
    assert validate(dfr) == [
        "credentialSubject.facility.id: must be a URI, got 'GLN 0950600012340'"
    ]


def test_unsupported_kinds_and_non_objects() -> None:
    dcc = copy.deepcopy(CREDENTIALS["dfr"])
    dcc["type"] = ["DigitalConformityCredential", "VerifiableCredential"]
    assert any("must name exactly one of" in p for p in validate(dcc))
    assert validate([]) == ["a credential is a JSON object, got an array"]  # type: ignore[arg-type]


def _id_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        found = [(*path, "id")] if isinstance(value.get("id"), str) else []
        return found + [p for k, v in value.items() for p in _id_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _id_paths(v, (*path, i))]
    return []


@given(st.sampled_from(sorted(CREDENTIALS)), st.data(), st.text(min_size=1, max_size=20))
def test_any_id_that_is_no_uri_is_found(kind: str, data: st.DataObject, junk: str) -> None:
    credential = copy.deepcopy(CREDENTIALS[kind])
    path = data.draw(st.sampled_from(_id_paths(credential)))
    node: Any = credential
    for step in path[:-1]:
        node = node[step]
    node["id"] = f"not a URI {junk}"  # the space alone makes it no URI
    problems = validate(credential)
    assert problems
    assert any("must be a URI" in p or "must be a DID" in p for p in problems), problems
