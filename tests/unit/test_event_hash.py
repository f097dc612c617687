from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oretrail.epcis._hash import event_hash, prehash_string
from oretrail.identifiers import IdentifierError

EX = "https://ns.example.com/epcis/"
NS = {"example": EX}
BASE: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2020-03-04T11:00:30.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sscc:4012345.0000000333", "urn:epc:id:sscc:4012345.0000000111"],
    "action": "OBSERVE",
    "bizStep": "departing",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
    "example:myField": "x",
}
BASE_PREHASH = (
    "eventType=ObjectEvent"
    "eventTime=2020-03-04T10:00:30.000Z"
    "eventTimeZoneOffset=+01:00"
    "epcList"
    "epc=https://id.gs1.org/00/040123450000001112"
    "epc=https://id.gs1.org/00/040123450000003338"
    "action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-departing"
    "readPoint"
    "id=https://id.gs1.org/414/4012345000115/254/987"
    "{https://ns.example.com/epcis/}myField=x"
)


def changed(**fields: Any) -> dict[str, Any]:
    event = copy.deepcopy(BASE)
    event.update(fields)
    return event


def test_prehash_string_and_hash_of_a_small_event() -> None:
    assert prehash_string(BASE, NS) == BASE_PREHASH
    digest = hashlib.sha256(BASE_PREHASH.encode()).hexdigest()
    assert event_hash(BASE, NS) == f"ni:///sha-256;{digest}?ver=CBV2.0"
    assert re.fullmatch(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", event_hash(BASE, NS))


def _renamed_prefix(event: dict[str, Any]) -> dict[str, Any]:
    event["other:myField"] = event.pop("example:myField")
    return event


SAME_EVENT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "keys in another order": lambda e: dict(reversed(list(e.items()))),
    "epcs in another order": lambda e: {**e, "epcList": list(reversed(e["epcList"]))},
    "epcs as Digital Link": lambda e: {
        **e,
        "epcList": [
            "https://example.com/sscc/040123450000003338?x=1",
            "https://id.gs1.org/00/040123450000001112",
        ],
    },
    "time in UTC": lambda e: {**e, "eventTime": "2020-03-04T10:00:30Z"},
    "time in another zone": lambda e: {**e, "eventTime": "2020-03-04T05:00:30.0004-05:00"},
    "bizStep as URN": lambda e: {**e, "bizStep": "urn:epcglobal:cbv:bizstep:departing"},
    "bizStep as URI": lambda e: {**e, "bizStep": "https://ref.gs1.org/cbv/BizStep-departing"},
    "bizStep as CURIE": lambda e: {**e, "bizStep": "cbv:BizStep-departing"},
    "readPoint as Digital Link": lambda e: {
        **e,
        "readPoint": {"id": "https://example.com/gln/4012345000115/glnx/987"},
    },
    "surrounding whitespace": lambda e: {**e, "action": " OBSERVE\n"},
    "eventID and recordTime": lambda e: {
        **e,
        "eventID": "urn:uuid:b7fa3fcd-4a53-4c4b-9c5e-1b0b0b0b0b0b",
        "recordTime": "2021-01-01T00:00:00Z",
    },
    "error declaration": lambda e: {
        **e,
        "errorDeclaration": {"declarationTime": "2021-01-01T00:00:00Z", "reason": "did_not_occur"},
    },
    "comments": lambda e: {**e, "rdfs:comment": "a note", "comment": "another"},
    "@context": lambda e: {**e, "@context": [{"x": "https://x.example/"}]},
    "empty lists": lambda e: {**e, "quantityList": [], "bizTransactionList": []},
    "extension under another prefix": _renamed_prefix,
}


@pytest.mark.parametrize("variant", SAME_EVENT)
def test_representations_of_one_event_hash_alike(variant: str) -> None:
    event = SAME_EVENT[variant](copy.deepcopy(BASE))
    namespaces = {**NS, "other": EX}
    assert prehash_string(event, namespaces) == BASE_PREHASH
    assert event_hash(event, namespaces) == event_hash(BASE, NS)


@pytest.mark.parametrize(
    "event",
    [
        changed(epcList=["urn:epc:id:sscc:4012345.0000000333"]),
        changed(eventTimeZoneOffset="+02:00"),
        changed(eventTime="2020-03-04T11:00:30.001+01:00"),
        changed(**{"example:myField": "y"}),
        changed(**{"example:another": "x"}),
        changed(disposition="in_transit"),
    ],
)
def test_a_change_of_meaning_changes_the_hash(event: dict[str, Any]) -> None:
    assert event_hash(event, NS) != event_hash(BASE, NS)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"),
        ("2023-02-02T11:04:03.1414Z", "2023-02-02T11:04:03.141Z"),
        ("2023-02-02T11:04:03.1425Z", "2023-02-02T11:04:03.143Z"),  # half up, not to even
        ("2023-12-31T23:59:59.9996Z", "2024-01-01T00:00:00.000Z"),
        ("2022-02-15T01:33:31.116000-06:00", "2022-02-15T07:33:31.116Z"),
        ("2023-01-11T12:00:00+01:00", "2023-01-11T11:00:00.000Z"),
        ("2023-01-11t12:00:00.5z", "2023-01-11T12:00:00.500Z"),
        ("2023-01-11T12:00:00", "2023-01-11T12:00:00.000Z"),  # no offset: taken as UTC
        ("0999-01-01T00:30:00+01:00", "0998-12-31T23:30:00.000Z"),
        ("9999-12-31T23:59:59.9999Z", "9999-12-31T23:59:59.9999Z"),  # no year 10000: kept
        ("yesterday", "yesterday"),
        ("2023-13-11T12:00:00Z", "2023-13-11T12:00:00Z"),
    ],
)
def test_times_become_utc_milliseconds(written: str, canonical: str) -> None:
    assert f"eventTime={canonical}eventTimeZoneOffset" in prehash_string(changed(eventTime=written))


@pytest.mark.parametrize(
    ("quantity", "written"),
    [
        (26.0, "26"),
        (26, "26"),
        ("0.3400", "0.34"),
        (1e-7, "0.0000001"),
        ("+5", "5"),
        (-0.0, "0"),
        ("1E+3", "1000"),
        ("1e999999999", "1e999999999"),
    ],
)
def test_numbers_lose_trailing_zeros(quantity: Any, written: str) -> None:
    element = {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": quantity}
    prehash = prehash_string(changed(quantityList=[element], epcList=[]))
    expected = f"quantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118/10/4444quantity={written}action"
    assert expected in prehash


def test_literal_values_keep_every_digit_and_write_booleans_as_xml_does() -> None:
    prehash = prehash_string(
        changed(**{"example:big": "12345678901234567890", "example:flag": True}), NS
    )
    assert f"{{{EX}}}big=12345678901234567890{{{EX}}}flag=true" in prehash


def test_sensor_data() -> None:
    report_a = {"type": "Temperature", "value": 26.0, "uom": "CEL", "example:probe": "p1"}
    report_b = {"type": "gs1:Angle", "value": 42.5, "component": "latitude", "uom": "DD"}
    element = {
        "sensorMetadata": {"example:batch": "b", "time": "2022-02-16T14:05:00+01:00"},
        "sensorReport": [report_a, report_b],
    }
    prehash = prehash_string(changed(sensorElementList=[element]), NS)
    assert prehash.endswith(
        "sensorElementListsensorElement"
        "sensorMetadatatime=2022-02-16T13:05:00.000Z{https://ns.example.com/epcis/}batch=b"
        "sensorReporttype=https://gs1.org/voc/Anglevalue=42.5"
        "component=https://ref.gs1.org/cbv/Comp-latitudeuom=DD"
        "sensorReporttype=https://gs1.org/voc/Temperaturevalue=26uom=CEL"
        "{https://ns.example.com/epcis/}probe=p1"
        "{https://ns.example.com/epcis/}myField=x"
    )
    element["sensorReport"] = [report_b, report_a]
    assert prehash_string(changed(sensorElementList=[element]), NS) == prehash


def test_lists_after_the_ordered_fields_are_sorted_as_whole_strings() -> None:
    event = changed(
        bizTransactionList=[
            {"bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:2", "type": "po"},
            {"type": "urn:epcglobal:cbv:btt:desadv", "bizTransaction": "urn:x:1"},
        ],
        sourceList=[{"source": "urn:epc:id:pgln:4000001.00000", "type": "owning_party"}],
        destinationList=[{"type": "location", "destination": "urn:epc:id:sgln:4012345.00001.0"}],
        ilmd={"cbvmda:lotNumber": "L1", "example:grade": {"example:class": "A"}},
        persistentDisposition={"unset": ["recalled"], "set": ["active", "available"]},
    )
    cbv = "https://ref.gs1.org/cbv/"
    assert prehash_string(event, NS) == BASE_PREHASH.replace(
        "readPoint",
        f"persistentDispositionset={cbv}Disp-activeset={cbv}Disp-availableunset={cbv}Disp-recalled"
        "readPoint",
    ).replace(
        "{https",
        f"bizTransactionListtype={cbv}BTT-desadvbizTransaction=urn:x:1"
        f"type={cbv}BTT-pobizTransaction=urn:epcglobal:cbv:bt:4012345000009:2"
        f"destinationListtype={cbv}SDT-locationdestination=https://id.gs1.org/414/4012345000016"
        f"ilmd{{{EX}}}grade{{{EX}}}class=A{{urn:epcglobal:cbv:mda:}}lotNumber=L1"
        f"sourceListtype={cbv}SDT-owning_partysource=https://id.gs1.org/417/4000001000005"
        "{https",
    )


def test_an_xml_born_extension_with_attributes() -> None:
    event = changed(**{"example:weight": {"@example:unit": "KGM", "@kind": "net", "#text": "3.50"}})
    assert f"{{{EX}}}weight=3.5kind=net{{{EX}}}unit=KGM" in prehash_string(event, NS)


def test_excluded_fields_take_no_part() -> None:
    event = changed(**{"example:captureID": "c-1", "example:hash": "h"})
    assert event_hash(event, NS, exclude=["example:captureID", f"{{{EX}}}hash"]) == event_hash(
        BASE, NS
    )


def test_an_invalid_gs1_key_is_an_error_in_a_key_field_and_data_elsewhere() -> None:
    with pytest.raises(IdentifierError, match="check digit"):
        event_hash(changed(epcList=["https://id.gs1.org/00/040123450000003339"]))
    kept = changed(**{"example:url": "https://shop.example.com/01/123"})
    assert f"{{{EX}}}url=https://shop.example.com/01/123" in prehash_string(kept, NS)


identifiers = st.sampled_from(
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:id:sgtin:0614141.107346.2018", "https://x.example/01/10614141073464/21/2018"),
        ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/sscc/040123450000003338"),
        ("urn:epc:id:giai:4012345.ABC", "https://id.gs1.org/8004/4012345ABC"),
        ("urn:epc:id:grai:4012345.00022.3", "https://id.gs1.org/8003/040123450002213"),
    ]
)


@given(
    epcs=st.lists(identifiers, min_size=1, max_size=5),
    reports=st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["Temperature", "Mass"]), "value": st.integers()}
        ),
        max_size=4,
    ),
    data=st.data(),
)
def test_order_and_identifier_syntax_never_change_the_hash(
    epcs: list[tuple[str, str]], reports: list[dict[str, Any]], data: st.DataObject
) -> None:
    event = changed(epcList=[urn for urn, _ in epcs], sensorElementList=[{"sensorReport": reports}])
    shuffled = {
        key: event[key] for key in data.draw(st.permutations(list(event)), label="key order")
    }
    shuffled["epcList"] = data.draw(st.permutations([link for _, link in epcs]))
    shuffled["sensorElementList"] = [
        {"sensorReport": [dict(reversed(r.items())) for r in data.draw(st.permutations(reports))]}
    ]
    assert event_hash(shuffled, NS) == event_hash(event, NS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=12,
)
any_field = st.sampled_from(
    [
        *BASE,
        "quantityList",
        "sensorElementList",
        "sourceList",
        "bizTransactionList",
        "ilmd",
        "persistentDisposition",
        "parentID",
        "example:x",
        "@context",
        "#text",
        "@xmlns:a",
    ]
)


@given(event=st.dictionaries(any_field, json_values))
def test_any_json_hashes_or_reports_an_identifier_error(event: dict[str, Any]) -> None:
    try:
        first = event_hash(event, NS)
    except IdentifierError:
        return
    assert event_hash(copy.deepcopy(event), NS) == first
