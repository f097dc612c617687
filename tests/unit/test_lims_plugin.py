"""The example third-party connector's pure mapping (examples/connector-plugin)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oretrail_lims import parse_assay
from oretrail_lims._source import AssayError

from oretrail.serde import SingleObjectSerde

ORIGIN: dict[str, Any] = {
    "connector": "lims-assay",
    "source": "test",
    "position": "0",
    "format": "lims-jsonl",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
LINE = {
    "sample": "S-1",
    "lot": "https://id.gs1.org/01/09506000134352/10/CO-0001",
    "element": "Co",
    "massFraction": 0.204,
    "unit": "mass fraction",
    "analysedAt": "2026-11-24T10:15:00+01:00",
}


def test_an_assay_line_becomes_a_sensor_reading_that_encodes() -> None:
    record = parse_assay(json.dumps(LINE).encode(), ORIGIN)
    assert record["value"] == pytest.approx(20.4)
    assert record["uom"] == "P1"
    assert record["assetID"] == LINE["lot"]
    assert record["time"] == datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    serde = SingleObjectSerde()
    assert serde.decode("sensor_reading", serde.encode("sensor_reading", record, "t"), "t")


def test_the_reading_id_is_stable_for_the_same_assay() -> None:
    line = json.dumps(LINE).encode()
    assert parse_assay(line, ORIGIN)["readingID"] == parse_assay(line, ORIGIN)["readingID"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"element": "Xx"}, "unknown element"),
        ({"unit": "furlongs"}, "unknown unit"),
        ({"massFraction": "high"}, "must be a number"),
        ({"analysedAt": "2026-11-24T10:15:00"}, "time zone"),
    ],
)
def test_bad_lines_are_refused_with_a_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(AssayError, match=reason):
        parse_assay(json.dumps({**LINE, **change}).encode(), ORIGIN)


@given(st.binary(max_size=300))
def test_any_bytes_give_a_record_or_an_assay_error(data: bytes) -> None:
    with contextlib.suppress(AssayError):
        parse_assay(data, ORIGIN)
