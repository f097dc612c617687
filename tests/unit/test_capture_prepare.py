"""Turning captured events into TraceEvent records or dead letters (no Kafka involved)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from connectors.capture._kafka import dead_letter
from connectors.capture._prepare import Bad, Good, head, prepare, read_items
from connectors.sdk import HEADER_PREFIX, Rejected
from connectors.sdk._dlq import MAX_PAYLOAD
from oretrail.epcis import DocumentEvent, InvalidEvent
from oretrail.serde import SingleObjectSerde

SERDE = SingleObjectSerde()
CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


def _event(**changes: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:6a1d0a2e-5b1e-4c38-9d3a-1f2e3d4c5b6a",
        "eventTime": "2026-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.1"],
    } | changes


def test_a_valid_event_becomes_a_keyed_trace_event() -> None:
    got = prepare(DocumentEvent(_event(), 4, context=CONTEXT), "capture/id1", "json", SERDE, "t")
    assert isinstance(got, Good)
    assert got.index == 4
    assert got.event_id == _event()["eventID"]
    assert got.record["origin"]["source"] == "capture/id1"
    assert got.record["origin"]["position"] == "4"
    assert got.record["origin"]["format"] == "epcis-json-2.0"
    assert SERDE.decode("trace_event", got.value, "t")["eventID"] == got.event_id
    assert got.key


def test_an_invalid_event_is_rejected_with_its_position_stage_and_content() -> None:
    event = _event(action="WIGGLE")
    got = prepare(DocumentEvent(event, 2, context=CONTEXT), "capture/id1", "json", SERDE, "t")
    assert isinstance(got, Bad)
    assert got.index == 2
    assert got.letter == ("2", "validate")
    assert (got.rejected.source, got.rejected.position) == ("capture/id1", "2")
    assert "WIGGLE" in got.rejected.message
    assert json.loads(got.rejected.payload) == event


def test_an_event_the_reader_refused_keeps_its_original_text() -> None:
    refused = InvalidEvent(7, "no action", b"<ObjectEvent/>")
    got = prepare(refused, "capture/id1", "xml", SERDE, "t")
    assert isinstance(got, Bad)
    assert got.letter == ("7", "validate")
    assert got.rejected.payload == b"<ObjectEvent/>"


def test_an_unreadable_document_is_one_rejection_carrying_the_document(tmp_path: Path) -> None:
    body = tmp_path / "body"
    body.write_bytes(b'{"type": "NotADocument"}')
    (got,) = read_items(body, "capture/id1", "json", SERDE, "t", 1 << 20)
    assert isinstance(got, Bad)
    assert got.letter == ("0", "parse")
    assert got.rejected.payload == b'{"type": "NotADocument"}'


def test_head_is_one_byte_over_the_dead_letter_cap_so_truncation_shows() -> None:
    assert head(io.BytesIO(b"small")) == b"small"
    big = head(io.BytesIO(b"x" * (MAX_PAYLOAD + 100)))
    assert len(big) == MAX_PAYLOAD + 1
    rejected = Rejected("capture", "0", "parse", "MalformedBody", "bad", big)
    _, _, value, _ = dead_letter(SERDE, "dlq", rejected)
    letter = SERDE.decode("dead_letter", value, "dlq")
    assert letter["payloadTruncated"] is True
    assert len(letter["payload"]) == MAX_PAYLOAD


def test_dead_letters_carry_connect_headers_and_a_per_job_id() -> None:
    rejected = Rejected("capture/id1", "3", "validate", "EpcisValidationError", "no time", b"{}")
    topic, key, value, headers = dead_letter(SERDE, "dlq", rejected, capture_id="id1")
    assert (topic, key) == ("dlq", b"capture/id1")
    assert headers is not None
    named = {name.removeprefix(HEADER_PREFIX): v for name, v in headers}
    assert named["connector.name"] == b"epcis-capture"
    assert (named["source.name"], named["source.position"]) == (b"capture/id1", b"3")
    assert named["exception.message"] == b"no time"
    letter = SERDE.decode("dead_letter", value, "dlq")
    assert (letter["connector"], letter["position"], letter["payload"]) == (
        "epcis-capture",
        "3",
        b"{}",
    )

    def letter_id(capture_id: str | None, position: str = "3") -> str:
        again = Rejected("capture/x", position, "validate", "E", "m")
        _, _, encoded, _ = dead_letter(SERDE, "dlq", again, capture_id=capture_id)
        return str(SERDE.decode("dead_letter", encoded, "dlq")["deadLetterID"])

    # the same letter of the same job, sent again after a crash, is recognisably the same
    assert letter["deadLetterID"] == letter_id("id1")
    assert letter_id("id1") != letter_id("id2")
    assert letter_id("id1") != letter_id("id1", position="4")
    assert letter_id(None) != letter_id(None)  # a refused request: every letter its own
