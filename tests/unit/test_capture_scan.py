"""The capture interface's pure request logic: the body scan (well-formed, event count,
limit), media types, error behaviours, version headers, Accept, pagination values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.capture import _problems as p
from connectors.capture._scan import MalformedBody, TooManyEvents, count_events

EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2026-01-01T00:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
}


def _json_doc(n: int) -> bytes:
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-01-01T00:00:00Z",
            "epcisBody": {"eventList": [EVENT] * n},
        }
    ).encode()


def _xml_doc(n: int, version: str = "2") -> bytes:
    event = (
        "<ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList><epc>urn:x</epc></epcList>"
        "<action>OBSERVE</action></ObjectEvent>"
    )
    wrapped = "<extension><TransformationEvent/></extension>" if version == "1" else ""
    return (
        f'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:{version}" '
        f'schemaVersion="{version}.0"><EPCISBody><EventList>{event * n}{wrapped}'
        "</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def _write(tmp: Path, data: bytes) -> Path:
    path = tmp / "body"
    path.write_bytes(data)
    return path


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 40))
def test_json_documents_count_their_events(
    tmp_path_factory: pytest.TempPathFactory, n: int
) -> None:
    path = _write(tmp_path_factory.mktemp("j"), _json_doc(n))
    assert count_events(path, "json", 1000) == n


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 40))
def test_xml_documents_count_their_events(tmp_path_factory: pytest.TempPathFactory, n: int) -> None:
    path = _write(tmp_path_factory.mktemp("x"), _xml_doc(n))
    assert count_events(path, "xml", 1000) == n


def test_epcis_1_2_extension_wrapped_events_count(tmp_path: Path) -> None:
    assert count_events(_write(tmp_path, _xml_doc(2, version="1")), "xml", 10) == 3


def test_a_bare_xml_event_counts_as_one(tmp_path: Path) -> None:
    bare = b"<ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime></ObjectEvent>"
    assert count_events(_write(tmp_path, bare), "xml", 10) == 1


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_more_events_than_the_limit_is_refused(tmp_path: Path, kind: str) -> None:
    data = _json_doc(6) if kind == "json" else _xml_doc(6)
    path = _write(tmp_path, data)
    assert count_events(path, kind, 6) == 6  # type: ignore[arg-type]
    with pytest.raises(TooManyEvents, match="more than 5 events"):
        count_events(path, kind, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("json", b'{"type": "EPCISDocument", "epcisBody": ', "malformed JSON"),
        ("json", b'{"a": 1} {"b": 2}', "malformed JSON"),
        ("json", b"<EPCISDocument/>", "not JSON"),
        ("xml", b'{"type": "EPCISDocument"}', "not XML"),
        ("xml", b"<EPCISDocument><EPCISBody></EPCISDocument>", "malformed XML"),
        ("json", b'{"a": "\xff\xfe"}', "JSON|UTF-8"),
    ],
)
def test_malformed_bodies_are_refused(tmp_path: Path, kind: str, body: bytes, message: str) -> None:
    with pytest.raises(MalformedBody, match=message):
        count_events(_write(tmp_path, body), kind, 100)  # type: ignore[arg-type]


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<EPCISDocument><EPCISBody><EventList><ObjectEvent>&b;</ObjectEvent>"
        b"</EventList></EPCISBody></EPCISDocument>"
    )
    assert count_events(_write(tmp_path, bomb), "xml", 10) == 1


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/ld+json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("Application/XML", "xml"),
        ("text/xml", "xml"),
        ("text/plain", None),
        ("application/octet-stream", None),
    ],
)
def test_media_types(content_type: str, kind: str | None) -> None:
    assert p.body_kind(content_type) == kind


def test_error_behaviour_header() -> None:
    assert p.behaviour_of(None) == "rollback"
    assert p.behaviour_of("") == "rollback"
    assert p.behaviour_of("Proceed") == "proceed"
    assert p.behaviour_of(" rollback ") == "rollback"
    with pytest.raises(ValueError, match="not one of rollback, proceed"):
        p.behaviour_of("all")  # announced by servers, never asked for by clients


@pytest.mark.parametrize(
    ("header", "ok"),
    [(None, True), ("2.0.0", True), ("2.0", True), ("1.2", True), ("1.2.0", True),
     ("1.1", False), ("2.1", False), ("3", False), ("two", False), ("2..0", False)],
)  # fmt: skip
def test_epcis_version_header(header: str | None, ok: bool) -> None:
    assert p.version_supported(header, p.EPCIS_MIN, p.EPCIS_MAX) is ok


@given(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5))
def test_version_bounds_are_inclusive_and_numeric(major: int, minor: int, patch: int) -> None:
    expected = (1, 2, 0) <= (major, minor, patch) <= (2, 0, 0)
    assert p.version_supported(f"{major}.{minor}.{patch}", "1.2.0", "2.0.0") is expected


@pytest.mark.parametrize(
    ("accept", "ok"),
    [(None, True), ("*/*", True), ("application/json", True), ("application/*", True),
     ("text/html, application/json;q=0.5", True), ("application/xml", False),
     ("application/json;q=0", False), ("text/*", False)],
)  # fmt: skip
def test_accept_header(accept: str | None, ok: bool) -> None:
    assert p.accepts(accept, "application/json") is ok


def test_page_values() -> None:
    assert p.page_token(None) == 0
    assert p.page_token("17") == 17
    assert p.page_token("x7") is None
    assert p.per_page(None, 30) == 30
    assert p.per_page("5", 30) == 5
    assert p.per_page("0", 30) == 1
    assert p.per_page("99999", 30) == 1000
    assert p.per_page("-3", 30) == 30


def test_event_problems_name_the_event_and_the_step() -> None:
    invalid = p.event_problem(3, "validate", "ObjectEvent has no eventTime")
    assert invalid["type"] == p.VALIDATION
    assert invalid["detail"] == "event 3: ObjectEvent has no eventTime"
    assert (invalid["eventIndex"], invalid["stage"]) == (3, "validate")
    unreadable = p.event_problem(None, "parse", "EPCISDocument has no @context")
    assert unreadable["detail"] == "the document: EPCISDocument has no @context"
    assert "eventIndex" not in unreadable
    lost = p.event_problem(1, "deliver", "timeout", "urn:uuid:1")
    assert lost["type"] == p.IMPLEMENTATION
    assert lost["eventID"] == "urn:uuid:1"
