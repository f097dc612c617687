"""Serde round trips, written once and run over every driver (registry-less and registry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oretrail.config import Settings
from oretrail.serde import (
    SCHEMA_NAMES,
    RegistrySerde,
    SchemaNotFoundError,
    Serde,
    SerdeError,
    SingleObjectSerde,
    raw_schema,
    serde_for,
)
from oretrail.serde._fingerprint import fingerprint
from tests.avro_strategies import strategy

DRIVERS: dict[str, Callable[[], Serde]] = {
    "single-object": SingleObjectSerde,
    "registry-mock": lambda: RegistrySerde("mock://serde-tests"),
}


@pytest.fixture(params=sorted(DRIVERS), scope="module")
def serde(request: pytest.FixtureRequest) -> Serde:
    return DRIVERS[request.param]()


def _normalise(schema: dict[str, Any], record: dict[str, Any]) -> Any:
    # What the record means once written: fastavro's own write/read of it, driver-free.
    import io

    parsed = fastavro.parse_schema(schema)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, record)
    buf.seek(0)
    return fastavro.schemaless_reader(buf, parsed, parsed)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_round_trip_every_schema(serde: Serde, name: str) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(record=strategy(raw_schema(name)))
    def run(record: dict[str, Any]) -> None:
        data = serde.encode(name, record, "oretrail.test")
        assert serde.decode(name, data, "oretrail.test") == _normalise(raw_schema(name), record)

    run()


def test_record_not_matching_schema_is_a_serde_error(serde: Serde) -> None:
    with pytest.raises(SerdeError, match="dead_letter"):
        serde.encode("dead_letter", {"deadLetterID": 42}, "oretrail.test")


@given(data=st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_random_bytes_never_decode_silently(data: bytes) -> None:
    for make in DRIVERS.values():
        try:
            make().decode("trace_event", data, "oretrail.test")
        except SerdeError:
            continue


def test_unknown_schema_name() -> None:
    with pytest.raises(SchemaNotFoundError, match="no_such"):
        SingleObjectSerde().encode("no_such", {}, "t")


def test_single_object_header_is_the_avro_spec_fingerprint() -> None:
    from fastavro.schema import fingerprint as fastavro_fp
    from fastavro.schema import to_parsing_canonical_form

    for name in SCHEMA_NAMES:
        ours = fingerprint(raw_schema(name))
        theirs = bytes.fromhex(
            fastavro_fp(to_parsing_canonical_form(raw_schema(name)), "CRC-64-AVRO")
        )
        # The spec stores the 64-bit value little-endian; fastavro prints it big-endian.
        assert ours == theirs[::-1] or ours == theirs


def test_unknown_fingerprint_is_rejected_with_reason() -> None:
    data = b"\xc3\x01" + b"\x00" * 8 + b"\x02"
    with pytest.raises(SerdeError, match="unknown writer schema fingerprint"):
        SingleObjectSerde().decode("dead_letter", data, "t")


def test_drivers_are_chosen_by_url_scheme() -> None:
    assert isinstance(serde_for(Settings()), SingleObjectSerde)
    assert isinstance(serde_for(Settings(schema_registry_url="mock://x")), RegistrySerde)
    with pytest.raises(ValueError, match="unsupported schema registry URL scheme 'ftp'"):
        serde_for(Settings(schema_registry_url="ftp://x"))
