"""OPC UA data changes → readings, node configuration, and the per-node watermark position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.iot import OpcUaConfig, OpcUaNode, ReadingError
from connectors.iot._nodes import dump_watermarks, load_watermarks, node_reading
from connectors.iot._opcua import canonical_node_id

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FURNACE = OpcUaNode(node_id="ns=2;s=Furnace3.TC1", type="temperature", uom="°C",
                    device_id="urn:dev:tc-1", asset_id="urn:asset:furnace-3")  # fmt: skip


def _kw(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"status": "Good", "good": True, "uncertain": False,
                            "source_time": T0, "server_time": None}  # fmt: skip
    args.update(kw)
    return args


def test_node_config_is_normalised_and_checked() -> None:
    assert (FURNACE.type, FURNACE.uom) == ("gs1:Temperature", "CEL")
    with pytest.raises(ValidationError, match="KGM does not measure gs1:Temperature"):
        OpcUaNode(node_id="ns=2;s=X", type="Temperature", uom="kg", device_id="urn:d")
    with pytest.raises(ValidationError, match="not a URI"):
        OpcUaNode(node_id="ns=2;s=X", type="Mass", uom="kg", device_id="scale 1")
    with pytest.raises(ValidationError, match="unknown unit"):
        OpcUaNode(node_id="ns=2;s=X", type="Mass", uom="stone", device_id="urn:d")


def test_config_rejects_duplicate_and_malformed_node_ids() -> None:
    node = FURNACE.model_copy(update={"node_id": "ns=2;s=Furnace3.TC1"})
    with pytest.raises(ValidationError, match="configured twice"):
        OpcUaConfig(nodes=[FURNACE, node])
    with pytest.raises(ValidationError, match="not an OPC UA node id"):
        OpcUaConfig(nodes=[FURNACE.model_copy(update={"node_id": "ns=x;q=1"})])
    with pytest.raises(ValidationError):
        OpcUaConfig(nodes=[])
    assert canonical_node_id("i=2258") == "i=2258"


def test_good_values_become_readings_at_their_source_time() -> None:
    reading = node_reading(FURNACE, 1452.5, **_kw())
    assert (reading.value, reading.uom, reading.time, reading.asset_id) == (
        1452.5, "CEL", T0, "urn:asset:furnace-3")  # fmt: skip
    assert reading.attributes == {"opcuaNodeId": "ns=2;s=Furnace3.TC1"}
    naive = node_reading(FURNACE, 7, **_kw(source_time=T0.replace(tzinfo=None)))
    assert naive.time == T0
    fallback = node_reading(FURNACE, 7, **_kw(source_time=None, server_time=T0))
    assert fallback.time == T0


def test_uncertain_values_are_kept_with_their_status() -> None:
    reading = node_reading(FURNACE, 1.0, **_kw(status="UncertainLastUsableValue",
                                                   good=False, uncertain=True))  # fmt: skip
    assert reading.attributes["opcuaStatus"] == "UncertainLastUsableValue"


@pytest.mark.parametrize(
    ("value", "kw", "message"),
    [(0.0, {"status": "BadSensorFailure", "good": False}, "BadSensorFailure"),
     (1.0, {"source_time": None}, "without a timestamp"),
     ([1.0, 2.0], {}, "not a number or a string"),
     (float("nan"), {}, "not finite")],
)  # fmt: skip
def test_unusable_changes_are_rejected(value: Any, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ReadingError, match=message):
        node_reading(FURNACE, value, **_kw(**kw))


def test_booleans_and_strings_are_string_values() -> None:
    alarm = OpcUaNode(node_id="ns=2;s=Door", type="urn:x:DoorOpen", device_id="urn:dev:door")
    assert node_reading(alarm, True, **_kw()).string_value == "true"
    assert node_reading(alarm, "ajar", **_kw()).string_value == "ajar"


def test_watermarks_from_nothing_and_garbage() -> None:
    assert load_watermarks(None) == {}
    for bad in ("{", "[1]", '{"a": "not a time"}'):
        with pytest.raises(ReadingError, match="unreadable"):
            load_watermarks(bad)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=30),
        st.datetimes(
            min_value=datetime(1971, 1, 1),
            max_value=datetime(2199, 1, 1),
            timezones=st.just(UTC) | st.just(timezone(timedelta(hours=-5))),
        ),
        max_size=5,
    )
)
def test_watermarks_round_trip(marks: dict[str, datetime]) -> None:
    assert load_watermarks(dump_watermarks(marks)) == marks
