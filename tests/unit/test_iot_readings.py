"""IoT payload → SensorReading mapping: units, types, times, ids, the declarative mapping,
and a property: no JSON payload (or byte string) makes it raise anything but a rejection."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.iot import (
    MqttConfig,
    OpcUaConfig,
    PayloadMapping,
    Reading,
    ReadingError,
    make_reading,
    normalise_type,
    normalise_uom,
    reading_id,
    readings_from_payload,
    to_record,
)
from connectors.iot._mapping import match_topic, pointer
from connectors.iot._mqtt import parse_position
from connectors.iot._readings import parse_number, parse_time
from connectors.iot._units import UNIT_TYPES, is_uri
from oretrail.serde import SingleObjectSerde

SERDE = SingleObjectSerde()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _payload(**fields: Any) -> bytes:
    base = {"deviceID": "urn:dev:tc-1", "type": "Temperature", "value": 1452.5, "uom": "°C",
            "time": "2026-03-02T08:00:00Z"}  # fmt: skip
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def _one(payload: bytes, topic: str = "plant/x", **kw: Any) -> Reading | ReadingError:
    (result,) = readings_from_payload(payload, topic, **kw)
    return result


@pytest.mark.parametrize(
    ("raw", "code"),
    [("°C", "CEL"), ("degC", "CEL"), ("celsius", "CEL"), ("CEL", "CEL"), ("kg", "KGM"),
     ("KG", "KGM"), ("t", "TNE"), ("kWh", "KWH"), ("KWH", "KWH"), ("MWh", "MWH"), ("%", "P1"),
     ("g/m³", "A93"), (" kg ", "KGM"), ("m³/h", "MQH"), ("ppm", "59")],
)  # fmt: skip
def test_unit_aliases_become_rec20_codes(raw: str, code: str) -> None:
    assert normalise_uom(raw) == code


@pytest.mark.parametrize("raw", ["furlongs", "", "mWh", "kgm2", "°X"])
def test_unknown_or_ambiguous_units_are_rejected(raw: str) -> None:
    with pytest.raises(ReadingError, match="unknown unit"):
        normalise_uom(raw)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [("Temperature", "gs1:Temperature"), ("temperature", "gs1:Temperature"),
     ("gs1:Mass", "gs1:Mass"), ("https://gs1.org/voc/Energy", "gs1:Energy"),
     ("weight", "gs1:Mass"), ("https://example.com/voc/CobaltGrade",
                              "https://example.com/voc/CobaltGrade")],
)  # fmt: skip
def test_measurement_types(raw: str, kind: str) -> None:
    assert normalise_type(raw) == kind


@pytest.mark.parametrize("raw", ["gs1:Temprature", "heat", "EnergyConsumption", ""])
def test_unknown_measurement_types_are_rejected(raw: str) -> None:
    with pytest.raises(ReadingError):
        normalise_type(raw)


def test_unit_must_measure_the_type() -> None:
    with pytest.raises(ReadingError, match="KGM does not measure gs1:Temperature"):
        make_reading(device_id="urn:d", type_="Temperature", time=T0.isoformat(), value=1,
                     uom="kg")  # fmt: skip
    with pytest.raises(ReadingError, match="needs a unit"):
        make_reading(device_id="urn:d", type_="Mass", time=T0.isoformat(), value=1)
    count = make_reading(device_id="urn:d", type_="Count", time=T0.isoformat(), value=3)
    assert (count.value, count.uom) == (3.0, None)
    custom = make_reading(device_id="urn:d", type_="urn:x:Grade", time=T0.isoformat(),
                          value=20.5, uom="%")  # fmt: skip
    assert custom.uom == "P1"


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [("2026-03-02T08:00:00Z", "ms", T0), ("2026-03-02T09:00:00+01:00", "ms", T0),
     ("2026-03-02T08:00:00.123456789Z", "ms", T0 + timedelta(microseconds=123456)),
     (1772438400000, "ms", T0), (1772438400, "s", T0), (1772438400.5, "s",
                                                        T0 + timedelta(seconds=0.5))],
)  # fmt: skip
def test_times(raw: Any, unit: Any, expected: datetime) -> None:
    assert parse_time(raw, unit) == expected


@pytest.mark.parametrize(
    "raw",
    ["2026-03-02T08:00:00", "2026-03-02", "yesterday", True, None, -5, 1e30,
     "2400-01-01T00:00:00Z", [1]],
)  # fmt: skip
def test_bad_times_are_rejected(raw: Any) -> None:
    with pytest.raises(ReadingError, match="time"):
        parse_time(raw, "s")


@pytest.mark.parametrize(("raw", "number"), [(1, 1.0), ("12.5", 12.5), (" -3e2 ", -300.0)])
def test_numbers(raw: Any, number: float) -> None:
    assert parse_number(raw) == number


@pytest.mark.parametrize("raw", ["1_000", "nan", "inf", True, 10**400, float("inf"), "", [1]])
def test_bad_numbers_are_rejected(raw: Any) -> None:
    with pytest.raises(ReadingError, match="value"):
        parse_number(raw)


def test_reading_id_is_stable_for_the_same_measurement() -> None:
    same = reading_id("urn:d", "gs1:Mass", T0, 1.0, None)
    assert same == reading_id("urn:d", "gs1:Mass", T0.astimezone(timezone(timedelta(hours=2))),
                              1, None)  # fmt: skip
    assert same != reading_id("urn:d", "gs1:Mass", T0, 1.5, None)
    assert same != reading_id("urn:d", "gs1:Mass", T0 + timedelta(microseconds=1), 1.0, None)
    assert same != reading_id("urn:e", "gs1:Mass", T0, 1.0, None)
    assert same.startswith("urn:uuid:")
    assert len(same) == 45


@pytest.mark.parametrize(
    ("pattern", "topic", "found"),
    [("plant/{site}/{device}", "plant/kokkola/tc1", {"site": "kokkola", "device": "tc1"}),
     ("plant/+/{device}", "plant/kokkola/tc1", {"device": "tc1"}),
     ("plant/{site}/#", "plant/kokkola/a/b", {"site": "kokkola"}),
     ("#", "anything/at/all", {}),
     ("plant/{site}/{device}", "plant/kokkola", None),
     ("plant/{site}", "plant/kokkola/tc1", None),
     ("plant/{site}", "mine/kokkola", None)],
)  # fmt: skip
def test_topic_patterns(pattern: str, topic: str, found: dict[str, str] | None) -> None:
    assert match_topic(pattern, topic) == found


def test_json_pointer_follows_rfc_6901() -> None:
    doc = {"a/b": {"m~n": [10, 20]}, "": 1}
    assert pointer(doc, "/a~1b/m~0n/1") == 20
    assert pointer(doc, "/") == 1
    assert pointer(doc, "") is doc
    assert pointer(doc, "/a~1b/m~0n/2") is not pointer(doc, "")  # missing, not an error


def test_mapping_config_is_checked() -> None:
    with pytest.raises(ValidationError, match="lacks"):
        PayloadMapping(topic="plant/{site}", device_id="urn:dev:{device}")
    with pytest.raises(ValidationError, match="JSON pointer"):
        PayloadMapping(value="v")


def test_default_format_and_attributes() -> None:
    reading = _one(_payload(quality="good", raw=[1, 2]))
    assert isinstance(reading, Reading)
    assert (reading.device_id, reading.type, reading.value, reading.uom, reading.time) == (
        "urn:dev:tc-1", "gs1:Temperature", 1452.5, "CEL", T0)  # fmt: skip
    assert reading.attributes == {"quality": "good", "raw": "[1, 2]"}


def test_string_values_and_missing_values() -> None:
    reading = _one(_payload(value=None, type="urn:x:Alarm", uom=None, stringValue="door open"))
    assert isinstance(reading, Reading)
    assert (reading.value, reading.string_value) == (None, "door open")
    missing = _one(_payload(value=None))
    assert isinstance(missing, ReadingError)
    assert "missing value" in str(missing)


def test_topic_mapping_with_templates_and_asset_table() -> None:
    mapping = PayloadMapping(
        topic="plant/{site}/{asset}/{device}/{type}",
        device_id="urn:oretrail:device:{site}:{device}",
        asset_id=None,
        type="{type}",
        value="/data/v",
        time="/data/ts",
        uom="CEL",
        epoch_unit="s",
    )
    assets = {"urn:oretrail:device:kokkola:tc%201": "urn:oretrail:asset:furnace-3"}
    payload = json.dumps({"data": {"v": 1400, "ts": 1772438400}}).encode()
    reading = _one(payload, "plant/kokkola/furnace-3/tc 1/temperature", mappings=[mapping],
                   assets=assets)  # fmt: skip
    assert isinstance(reading, Reading)
    assert reading.device_id == "urn:oretrail:device:kokkola:tc%201"
    assert reading.asset_id == "urn:oretrail:asset:furnace-3"
    assert (reading.type, reading.uom, reading.time) == ("gs1:Temperature", "CEL", T0)
    # Topics the mapping does not match fall back to the default format.
    assert isinstance(_one(_payload(), "elsewhere", mappings=[mapping]), Reading)


def test_lists_are_judged_reading_by_reading() -> None:
    payload = json.dumps([json.loads(_payload()), {"value": 1}, 7]).encode()
    ok, missing, not_object = readings_from_payload(payload, "plant/x")
    assert isinstance(ok, Reading)
    assert str(missing).startswith("reading [1]: type None")
    assert str(not_object) == "reading [2]: a reading must be a JSON object, got int"


def test_readings_pointer_into_an_envelope() -> None:
    mapping = PayloadMapping(readings="/batch")
    payload = json.dumps({"gw": "g1", "batch": [json.loads(_payload())] * 2}).encode()
    assert all(isinstance(r, Reading) for r in readings_from_payload(payload, "t", [mapping]))
    (missing,) = readings_from_payload(b'{"gw": "g1"}', "t", [mapping])
    assert isinstance(missing, ReadingError)
    assert missing.stage == "parse"


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"{not json", "not JSON"), (b"[]", "empty list"), (b'{"value": NaN}', "not JSON"),
     (b"\xff\xfe\x00", "not JSON"), (b"[" * 100_000, "nests too deeply")],
)  # fmt: skip
def test_unreadable_payloads(payload: bytes, message: str) -> None:
    (error,) = readings_from_payload(payload, "t")
    assert isinstance(error, ReadingError)
    assert error.stage == "parse"
    assert message in str(error)


def test_record_fits_the_avro_schema() -> None:
    reading = _one(_payload(site="kokkola"))
    assert isinstance(reading, Reading)
    record = to_record(reading, connector="mqtt", source="plant/x", position="0.0/1 plant/x#1",
                       fmt="mqtt-json", received_at=T0)  # fmt: skip
    decoded = SERDE.decode("sensor_reading", SERDE.encode("sensor_reading", record, "t"), "t")
    assert decoded["readingID"] == reading.reading_id
    assert decoded["attributes"] == {"site": "kokkola"}


def test_mqtt_positions() -> None:
    assert parse_position("17.2/3 plant/a b/c#42") == (17, 2, 3)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=20,
)  # fmt: skip
_VALID = {"deviceID": "urn:dev:a", "type": "Temperature", "value": 1400.5, "uom": "°C",
          "time": "2026-03-02T08:00:00Z", "assetID": "urn:asset:1"}  # fmt: skip
_VARIANTS = {
    "deviceID": st.sampled_from(["dev a", "", "https://x.example/d/1"]),
    "type": st.sampled_from(["gs1:Mass", "Bogus", "urn:x:T", "Count", "gs1:Temprature"]),
    "value": st.floats() | st.integers() | st.text(max_size=8),
    "stringValue": st.text(max_size=8),
    "uom": st.sampled_from(["kg", "t", "KWH", "%", "zz", "mWh"]),
    "time": st.sampled_from(["2026-03-02", "x", "2026-03-02T08:00:00+14:00"]) | st.integers()
    | st.floats(),
    "assetID": st.sampled_from(["no uri", "urn:asset:2"]),
}  # fmt: skip


@st.composite
def near_readings(draw: st.DrawFn) -> dict[str, Any]:
    """A valid reading with some fields changed, dropped or replaced by any JSON value."""
    doc: dict[str, Any] = dict(_VALID)
    for key, variant in _VARIANTS.items():
        change = draw(st.sampled_from(["keep", "keep", "keep", "variant", "drop", "any"]))
        if change == "variant":
            doc[key] = draw(variant)
        elif change == "drop":
            doc.pop(key, None)
        elif change == "any":
            doc[key] = draw(json_values)
    return doc


def _check(results: list[Reading | ReadingError]) -> None:
    assert results, "every message yields a reading or a rejection"
    for result in results:
        if isinstance(result, ReadingError):
            assert str(result)
            assert result.stage in ("parse", "validate")
            continue
        assert is_uri(result.device_id)
        assert (result.value is None) != (result.string_value is None)
        assert result.value is None or math.isfinite(result.value)
        assert result.uom is None or result.uom in UNIT_TYPES
        record = to_record(result, connector="mqtt", source="t", position="0.0/1 t#1",
                           fmt="mqtt-json", received_at=T0)  # fmt: skip
        SERDE.encode("sensor_reading", record, "t")


@settings(max_examples=300, deadline=None)
@given(json_values | near_readings() | st.lists(near_readings(), max_size=4))
def test_random_json_payloads_only_ever_give_readings_or_rejections(doc: Any) -> None:
    _check(list(readings_from_payload(json.dumps(doc).encode(), "plant/x")))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_ever_give_rejections_or_readings(raw: bytes) -> None:
    _check(list(readings_from_payload(raw, "plant/x")))


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "iot"


def test_the_documented_example_configs_load_and_map_the_sample_message() -> None:
    mqtt = MqttConfig(**yaml.safe_load((EXAMPLES / "mqtt.yaml").read_text()))
    opcua = OpcUaConfig(**yaml.safe_load((EXAMPLES / "opcua.yaml").read_text()))
    assert [n.uom for n in opcua.nodes] == ["CEL", "KGM", "KWH"]
    payload = b'{"v": 1452.5, "ts": 1772438400000, "unit": "degC"}'
    topic = "plant/kokkola/furnace-3/tc-1/temperature"
    reading = _one(payload, topic, mappings=mqtt.mappings, assets=mqtt.assets)
    assert reading == Reading(
        device_id="urn:oretrail:device:kokkola:tc-1",
        asset_id="urn:oretrail:asset:kokkola:furnace-3",
        type="gs1:Temperature",
        time=T0,
        value=1452.5,
        string_value=None,
        uom="CEL",
    )
