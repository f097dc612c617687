"""EPCIS event → TraceEvent: validation, normalisation, hashing, and the way back out."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oretrail.epcis import (
    DocumentEvent,
    EpcisValidationError,
    event_hash,
    from_trace_event,
    to_trace_event,
)
from oretrail.serde import SingleObjectSerde

ORIGIN: dict[str, Any] = {
    "connector": "test",
    "source": "memory",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ot": "https://oretrail.dev/ns/epcis/"},
]
NS = {"ot": "https://oretrail.dev/ns/epcis/"}

TRANSFORMATION: dict[str, Any] = {
    "type": "TransformationEvent",
    "eventTime": "2026-11-20T14:30:00.250+01:00",
    "eventTimeZoneOffset": "+01:00",
    "inputQuantityList": [
        {"epcClass": "urn:epc:class:lgtin:9506000.013442.HYD-77", "quantity": 20, "uom": "TNE"}
    ],
    "outputQuantityList": [
        {"epcClass": "urn:epc:class:lgtin:9506000.013435.CO-0001", "quantity": 4.1, "uom": "TNE"}
    ],
    "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
    "readPoint": {"id": "urn:epc:id:sgln:9506000.01234.0"},
    "bizLocation": {"id": "urn:epc:id:sgln:9506000.02234.0", "ot:line": "EW-3"},
    "ilmd": {"ot:elementMass": {"Co": 3.9}, "cbvmda:lotNumber": "CO-0001"},
    "ot:chainOfCustody": "controlled_blending",
}


def _map(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> dict[str, Any]:
    doc = DocumentEvent(event=event, index=0, namespaces=namespaces or NS, context=CONTEXT)
    return to_trace_event(doc, origin=ORIGIN)


def test_identifiers_cbv_and_times_are_normalised() -> None:
    record = _map(copy.deepcopy(TRANSFORMATION))
    assert record["inputQuantityList"][0] == {
        "epcClass": "https://id.gs1.org/01/09506000134420/10/HYD-77",
        "quantity": 20.0,
        "uom": "TNE",
    }
    assert record["outputQuantityList"][0]["epcClass"].startswith(
        "https://id.gs1.org/01/0950600013435"
    )
    assert record["bizStep"] == "commissioning"
    assert record["readPoint"] == "https://id.gs1.org/414/9506000012346"
    assert record["eventTime"] == datetime(2026, 11, 20, 13, 30, 0, 250000, tzinfo=UTC)
    assert record["eventTimeZoneOffset"] == "+01:00"
    assert record["action"] is None
    assert json.loads(record["ilmd"]) == TRANSFORMATION["ilmd"]
    assert json.loads(record["extensions"]) == {
        "ot:chainOfCustody": "controlled_blending",
        "bizLocation": {"ot:line": "EW-3"},
    }


def test_an_event_without_id_gets_the_cbv2_event_hash() -> None:
    record = _map(copy.deepcopy(TRANSFORMATION))
    assert record["eventID"].startswith("ni:///sha-256;")
    assert record["eventID"].endswith("?ver=CBV2.0")
    assert record["eventID"] == event_hash(TRANSFORMATION, NS)
    declared = {**TRANSFORMATION, "eventID": "urn:uuid:0b5c6e3c-2f5f-4e55-8a0e-7f0c1d2e3f40"}
    assert _map(declared)["eventID"] == declared["eventID"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "ShipmentEvent"}, "unknown event type"),
        ({"eventTime": "20-11-2026"}, "not an RFC 3339 date-time"),
        ({"eventTime": "2026-11-20T14:30:00"}, "not an RFC 3339 date-time with a time zone"),
        ({"eventTimeZoneOffset": "+25:00"}, "eventTimeZoneOffset"),
        ({"bizStep": "smelting"}, "bizStep"),
        ({"ilmd": {"materialType": "ore"}}, "has no namespace"),
        ({"colour": "blue"}, "unknown field 'colour'"),
        (
            {
                "outputQuantityList": [
                    {"epcClass": "urn:epc:class:lgtin:9506000.013435.X", "quantity": "4"}
                ]
            },
            "must be a number",
        ),
        (
            {
                "outputQuantityList": [
                    {"epcClass": "urn:epc:class:lgtin:9506000.013435.X", "qty": 4}
                ]
            },
            "unknown field",
        ),
        ({"certificationInfo": [{"gs1:CertificationDetails": {}}]}, "must be a URI"),
        ({"inputQuantityList": [], "outputQuantityList": []}, "neither inputs nor outputs"),
        ({"readPoint": {"id": "urn:epc:id:sgln:9506000.01234"}}, "readPoint"),
    ],
)
def test_invalid_events_are_refused_with_the_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(EpcisValidationError, match=reason):
        _map({**copy.deepcopy(TRANSFORMATION), **change})


_WHEN = {
    "type": "ObjectEvent",
    "eventTime": "2026-11-20T14:30:00Z",
    "eventTimeZoneOffset": "+00:00",
}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({**_WHEN,
          "epcList": ["https://id.gs1.org/01/09506000134352/21/1"]}, "requires an action"),
        ({**_WHEN,
          "action": "CREATE", "epcList": ["https://id.gs1.org/01/09506000134352/21/1"]}, "CREATE"),
        ({**_WHEN,
          "action": "ADD"}, "names no object"),
        ({"type": "ObjectEvent", "eventTimeZoneOffset": "+00:00", "action": "ADD",
          "epcList": ["https://id.gs1.org/01/09506000134352/21/1"]}, "no eventTime"),
        ({"type": "ObjectEvent", "eventTime": "2026-11-20T14:30:00Z", "action": "ADD",
          "epcList": ["https://id.gs1.org/01/09506000134353/21/1"]}, "check digit"),
    ],
)  # fmt: skip
def test_object_event_rules(event: dict[str, Any], reason: str) -> None:
    with pytest.raises(EpcisValidationError, match=reason):
        _map(event)


def _through_avro(record: dict[str, Any]) -> dict[str, Any]:
    serde = SingleObjectSerde()
    decoded: dict[str, Any] = serde.decode(
        "trace_event", serde.encode("trace_event", record, "t"), "t"
    )
    return decoded


def test_the_way_back_out_has_the_same_meaning() -> None:
    record = _through_avro(_map(copy.deepcopy(TRANSFORMATION)))
    out = from_trace_event(record)
    assert out["outputQuantityList"][0]["epcClass"].startswith("https://id.gs1.org/01/")
    assert out["bizLocation"] == {"id": "https://id.gs1.org/414/9506000022345", "ot:line": "EW-3"}
    assert out["ilmd"] == TRANSFORMATION["ilmd"]
    assert out["ot:chainOfCustody"] == "controlled_blending"
    # same meaning: the CBV 2.0 hash (which canonicalises everything) is unchanged
    assert event_hash(out, NS) == event_hash(TRANSFORMATION, NS)
    again = _map(out)
    for key in (
        "eventID",
        "eventTime",
        "inputQuantityList",
        "outputQuantityList",
        "ilmd",
        "extensions",
    ):
        assert again[key] == record[key], key


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _object_events(draw: st.DrawFn) -> dict[str, Any]:
    serials = draw(st.lists(st.integers(0, 10**9), min_size=1, max_size=4, unique=True))
    micros = draw(st.integers(0, 999_999))
    month, day, hour = draw(st.integers(1, 9)), draw(st.integers(0, 9)), draw(st.integers(0, 9))
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": f"2026-0{month}-1{day}T0{hour}:15:00.{micros:06d}Z",
        "eventTimeZoneOffset": draw(st.sampled_from(["+00:00", "-06:00", "+05:30"])),
        "action": draw(st.sampled_from(["ADD", "OBSERVE", "DELETE"])),
        "epcList": [f"urn:epc:id:sgtin:9506000.013435.{s}" for s in serials],
        "bizStep": draw(
            st.sampled_from(["shipping", "receiving", "urn:epcglobal:cbv:bizstep:inspecting"])
        ),
    }
    extensions = draw(st.dictionaries(st.sampled_from(["ot:a", "ot:b", "ot:c"]), _JSON, max_size=3))
    event.update(extensions)
    if draw(st.booleans()):
        event["ilmd"] = draw(
            st.dictionaries(st.sampled_from(["ot:x", "cbvmda:lotNumber"]), _JSON, max_size=2)
        )
    return event


@settings(max_examples=150, deadline=None)
@given(_object_events())
def test_round_trip_is_lossless_for_generated_events(event: dict[str, Any]) -> None:
    record = _through_avro(_map(copy.deepcopy(event)))
    out = from_trace_event(record)
    for key, value in event.items():
        if key.startswith("ot:") or key == "ilmd":
            assert out[key] == value
    again = _map(out)
    for key in ("eventID", "eventTime", "epcList", "bizStep", "ilmd", "extensions", "action"):
        assert again[key] == record[key], key
