"""The streaming EPCIS JSON reader: events one by one, context anywhere, clear failures."""

from __future__ import annotations

import contextlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.epcis import iter_json_events, read_document
from oretrail.epcis import EpcisParseError

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ot": "https://oretrail.dev/ns/epcis/"},
]


def _event(i: int) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-11-24T08:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:9506000.013435.{i}"],
        "ot:seq": i,
    }


def _doc(events: list[Any], *, context_last: bool = False) -> bytes:
    body = {"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}
    doc = {**body, "@context": CONTEXT} if context_last else {"@context": CONTEXT, **body}
    return json.dumps(doc).encode()


def test_events_come_in_order_with_their_namespaces() -> None:
    events = list(iter_json_events(io.BytesIO(_doc([_event(i) for i in range(3)]))))
    assert [e.index for e in events] == [0, 1, 2]
    assert [e.event["ot:seq"] for e in events] == [0, 1, 2]
    assert events[0].namespaces == {"ot": "https://oretrail.dev/ns/epcis/"}
    assert events[0].context == CONTEXT


def test_context_after_the_body_still_applies() -> None:
    events = list(iter_json_events(io.BytesIO(_doc([_event(1)], context_last=True))))
    assert len(events) == 1
    assert events[0].namespaces["ot"] == "https://oretrail.dev/ns/epcis/"


def test_event_level_context_adds_prefixes() -> None:
    event = {**_event(1), "@context": {"lab": "https://lab.example/ns#"}}
    (got,) = iter_json_events(io.BytesIO(_doc([event])))
    assert got.namespaces["lab"] == "https://lab.example/ns#"


def test_query_document_events_are_read() -> None:
    doc = {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "epcisBody": {"queryResults": {"resultsBody": {"eventList": [_event(7)]}}},
    }
    (got,) = iter_json_events(io.BytesIO(json.dumps(doc).encode()))
    assert got.event["ot:seq"] == 7


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"type": "Invoice", "@context": []}', "not an EPCIS document"),
        (
            json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": []}}).encode(),
            "@context",
        ),
        (b'{"@context": [], "epcisBody": {"eventList": []}}', "no top-level type"),
        (b"[1, 2, 3]", "no top-level type"),
        (b'{"type": "EPCISDocument", ', "malformed JSON"),
        (b'\xff\xfe{"type"', "JSON"),
    ],
)
def test_what_is_not_an_epcis_document_fails_clearly(data: bytes, reason: str) -> None:
    with pytest.raises(EpcisParseError, match=reason):
        list(iter_json_events(io.BytesIO(data)))


def test_a_truncated_document_yields_what_came_before_then_fails() -> None:
    data = _doc([_event(i) for i in range(5)])
    cut = data[: data.index(b'"ot:seq": 3') - 5]
    seen: list[int] = []

    def read() -> None:
        seen.extend(event.index for event in iter_json_events(io.BytesIO(cut)))

    with pytest.raises(EpcisParseError) as info:
        read()
    assert seen == [0, 1, 2]
    assert info.value.index == 3


class _Generated(io.RawIOBase):
    """A document of ``n`` events produced on the fly: never whole in memory."""

    def __init__(self, n: int) -> None:
        self._parts = self._produce(n)
        self._buffer = b""

    def _produce(self, n: int) -> Iterator[bytes]:
        yield b'{"@context": ' + json.dumps(CONTEXT).encode()
        yield b', "type": "EPCISDocument", "epcisBody": {"eventList": ['
        for i in range(n):
            yield (b"," if i else b"") + json.dumps(_event(i)).encode()
        yield b"]}}"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._buffer) < len(buffer):
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def test_memory_stays_bounded_on_a_large_document() -> None:
    n = 50_000  # ~9 MB of JSON; peak memory must not grow with it
    tracemalloc.start()
    count = 0
    for _ in iter_json_events(io.BufferedReader(_Generated(n))):
        count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == n
    assert peak < 2_000_000, f"peak {peak} bytes for {n} events"


_VALID = _doc([_event(i) for i in range(3)])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_fail_only_with_a_parse_error(data: bytes) -> None:
    with contextlib.suppress(EpcisParseError):
        list(read_document(io.BytesIO(data)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.integers(1, len(_VALID)),
)
def test_mutated_documents_fail_only_with_a_parse_error(
    flips: list[tuple[int, int]], keep: int
) -> None:
    data = bytearray(_VALID[:keep])
    for where, byte in flips:
        if where < len(data):
            data[where] = byte
    try:
        for event in read_document(io.BytesIO(bytes(data))):
            assert event.index >= 0
    except EpcisParseError:
        pass


def test_memory_stays_bounded_on_a_large_file(tmp_path: Any) -> None:
    path = tmp_path / "large.jsonld"
    with path.open("wb") as fh:
        for part in _Generated(50_000)._parts:
            fh.write(part)
    tracemalloc.start()
    with path.open("rb") as fh:
        count = sum(1 for _ in iter_json_events(fh))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 50_000
    assert peak < 2_000_000, f"peak {peak} bytes"


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False


@pytest.mark.parametrize("context_last", [False, True])
def test_a_non_seekable_stream_reads_the_same(context_last: bool) -> None:
    data = _doc([_event(i) for i in range(4)], context_last=context_last)
    streamed = [(e.index, e.event, e.namespaces) for e in iter_json_events(_Unseekable(data))]
    seeked = [(e.index, e.event, e.namespaces) for e in iter_json_events(io.BytesIO(data))]
    assert streamed == seeked
    assert len(streamed) == 4


@pytest.mark.slow
def test_a_one_gigabyte_document_streams_in_bounded_memory() -> None:
    import resource

    # ≈ 1.03 GB of JSON (≈198 bytes an event), generated on the fly: never on disk or in memory
    n = 5_200_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stream = io.BufferedReader(_Generated(n), buffer_size=1 << 16)
    count = sum(1 for _ in iter_json_events(stream))
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert count == n
    assert grown_kb < 100_000, f"peak RSS grew by {grown_kb} kB reading ≈1 GB"
