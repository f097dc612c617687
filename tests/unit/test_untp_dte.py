"""TraceEvent records → UNTP 0.6.1 traceability events: times, CBV URIs, lists, parties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.untp import DteError, Issuer, build_dte, contexts
from sink.untp._dte import event_time, untp_event
from tests.untp_inputs import BUYER, ISSUED, PACK, PACK_PLANT, trace_events

LOT = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"


def record(**members: Any) -> dict[str, Any]:
    """A TraceEvent record with the members given, the rest at their Avro defaults."""
    base: dict[str, Any] = {
        "eventID": "urn:uuid:5b3f1e0a-9c1d-4b7a-8e55-0a9d1c2b7f10",
        "eventType": "ObjectEvent",
        "eventTime": datetime(2026, 10, 1, 4, 30, tzinfo=UTC),
        "eventTimeZoneOffset": "+02:00",
        "context": "[]",
    }
    return {**base, **members}


def by_kind(kind: str) -> dict[str, Any]:
    return next(untp_event(r) for r in trace_events() if r["eventType"] == kind)


def test_time_keeps_the_declared_offset() -> None:
    moment = datetime(2026, 10, 1, 4, 30, tzinfo=UTC)
    assert event_time(moment, "+02:00", "e") == "2026-10-01T06:30:00+02:00"
    assert event_time(moment, "-05:30", "e") == "2026-09-30T23:00:00-05:30"
    assert event_time(moment, "+00:00", "e") == "2026-10-01T04:30:00Z"
    assert event_time(moment + timedelta(microseconds=250_000), None, "e") == (
        "2026-10-01T04:30:00.25Z"
    )
    # an undecoded Avro timestamp-micros
    assert event_time(1_790_829_000_000_000, "+00:00", "e") == "2026-10-01T04:30:00Z"
    with pytest.raises(DteError, match="no time zone"):
        event_time(datetime(2026, 1, 1), None, "ObjectEvent x")


@given(
    st.datetimes(datetime(1000, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC)),
    st.integers(-14 * 60, 14 * 60),
)
def test_time_names_the_same_instant(moment: datetime, minutes: int) -> None:
    sign = "-" if minutes < 0 else "+"
    offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    text = event_time(moment, offset, "e")
    assert datetime.fromisoformat(text) == moment


def test_cbv_values_become_web_uris_and_process_type_the_word() -> None:
    event = untp_event(record(action="OBSERVE", bizStep="shipping", disposition="in_transit"))
    assert event["type"] == ["ObjectEvent", "Event"]
    assert event["action"] == "observe"
    assert event["bizStep"] == "https://ref.gs1.org/cbv/BizStep-shipping"
    assert event["disposition"] == "https://ref.gs1.org/cbv/Disp-in_transit"
    assert event["processType"] == "shipping"
    custom = untp_event(record(bizStep="https://example.com/steps/calcining"))
    assert custom["bizStep"] == "https://example.com/steps/calcining"
    assert untp_event(record())["processType"] == "ObjectEvent"


def test_quantities_and_unstated_amounts() -> None:
    event = untp_event(
        record(
            epcList=["https://id.gs1.org/01/09506000134444/21/C-1"],
            quantityList=[
                {"epcClass": LOT, "quantity": 20.0, "uom": "TNE"},
                {"epcClass": LOT.replace("KOL", "HYD"), "quantity": None, "uom": None},
            ],
        )
    )
    assert event["quantityList"] == [
        {
            "productId": LOT,
            "productName": "GTIN 09506000134352 lot KOL-2026-0917",
            "quantity": 20.0,
            "uom": "TNE",
        }
    ]
    assert [i["name"] for i in event["epcList"]] == [
        "GTIN 09506000134444 serial C-1",
        "GTIN 09506000134352 lot HYD-2026-0917",
    ]


def test_aggregation_and_association_have_a_parent_and_children() -> None:
    aggregation = by_kind("AggregationEvent")
    assert aggregation["parentEPC"]["id"] == PACK
    assert len(aggregation["childEPCList"]) == 2
    association = by_kind("AssociationEvent")
    assert [c["id"] for c in association["childEPCList"]] == [
        "https://id.gs1.org/8004/9506000BMS0001",
        "https://id.gs1.org/01/09506000134352/10/SCREWS-7",  # its quantity was not stated
    ]
    assert "childQuantityList" not in association


def test_transaction_parties_and_document_type() -> None:
    event = by_kind("TransactionEvent")
    assert (event["sourceParty"], event["destinationParty"]) == (PACK_PLANT, BUYER)
    assert event["bizTransaction"] == "https://ref.gs1.org/cbv/BTT-inv"
    assert event["eventTime"] == "2026-11-10T15:00:00-05:00"


def test_transaction_without_parties_uses_its_location_or_fails() -> None:
    site = "https://id.gs1.org/414/0950600022349"
    event = untp_event(
        record(
            eventType="TransactionEvent",
            bizLocation=site,
            sourceList=[
                {"type": "location", "id": "https://id.gs1.org/414/0950600012340"},
                {"type": "possessing_party", "id": BUYER},
            ],
        )
    )
    assert (event["sourceParty"], event["destinationParty"]) == (BUYER, site)
    with pytest.raises(DteError, match="needs a source and a destination party"):
        untp_event(record(eventType="TransactionEvent"))


def test_sensor_reports() -> None:
    transformation = next(untp_event(r) for r in trace_events() if r["sensorElementList"])
    [sensor] = transformation["sensorElementList"]
    assert sensor["sensorMetadata"]["device"]["id"] == "https://id.gs1.org/8004/9506000OVEN7"
    assert [r["sensorType"] for r in sensor["sensorReport"]] == [
        "https://gs1.org/voc/Temperature",
        "https://gs1.org/voc/RelativeHumidity",
    ]
    assert sensor["sensorReport"][1]["value"] == 0.8  # the mean when no single value
    prefixed = untp_event(
        record(
            context=json.dumps([{"acme": "https://acme.example/sensors/"}]),
            sensorElementList=[{"sensorReport": [{"type": "acme:Vibration", "value": 3.0}]}],
        )
    )
    assert prefixed["sensorElementList"][0]["sensorReport"][0]["sensorType"] == (
        "https://acme.example/sensors/Vibration"
    )


def test_error_declaration_shows_in_the_process_type() -> None:
    declared = next(untp_event(r) for r in trace_events() if r["errorDeclaration"])
    assert declared["processType"] == "inspecting (declared in error: incorrect_data)"


def test_credential_subject_is_an_array_in_event_order() -> None:
    records = trace_events()
    credential = build_dte(
        records,
        issuer=Issuer("did:web:example.com", "Example"),
        credential_id="https://example.com/dte/1",
        status={"type": "BitstringStatusListEntry"},
        valid_from=ISSUED,
    )
    assert credential["@context"] == contexts("dte")
    assert credential["type"] == ["DigitalTraceabilityEvent", "VerifiableCredential"]
    assert isinstance(credential["credentialSubject"], list)
    assert [e["id"] for e in credential["credentialSubject"]] == [r["eventID"] for r in records]


def test_refusals() -> None:
    args: dict[str, Any] = {
        "issuer": Issuer("did:web:example.com", "Example"),
        "credential_id": "https://example.com/dte/1",
        "status": {"type": "BitstringStatusListEntry"},
        "valid_from": ISSUED,
    }
    with pytest.raises(DteError, match="at least one event"):
        build_dte([], **args)
    with pytest.raises(DteError, match="unknown event type"):
        build_dte([record(eventType="ExtendedEvent")], **args)
    with pytest.raises(DteError, match="eventID must be a URI"):
        build_dte([record(eventID="event 1")], **args)
