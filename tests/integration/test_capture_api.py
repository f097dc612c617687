"""The EPCIS capture interface on the real broker: jobs (rollback / proceed), single events,
duplicates, limits, media types, pagination and XML documents; what becomes a dead letter."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.sdk import HEADER_PREFIX
from oretrail.kafka import Received
from tests.capture_client import (
    CONTEXT,
    SERDE,
    Topics,
    capture,
    capture_api,
    consume,
    document,
    event,
    make_topics,
    record_count,
    trace_events,
)


@pytest.fixture
def topics(bootstrap: str, unique_name: str) -> Topics:
    return make_topics(bootstrap, unique_name)


def letters(bootstrap: str, topic: str, expect: int) -> list[tuple[dict[str, Any], Received]]:
    """The dead letters on the test's DLQ topic, decoded, with their messages."""
    return [
        (SERDE.decode("dead_letter", m.value, topic), m) for m in consume(bootstrap, topic, expect)
    ]


def header(msg: Received, name: str) -> str:
    return msg.headers[HEADER_PREFIX + name].decode()


def test_rollback_publishes_a_valid_document_once_acknowledged(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    events = [event(i) for i in range(3)]

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await capture(http, document(*events))

    job = asyncio.run(scenario())
    assert job["success"] is True, job
    assert job["captureErrorBehaviour"] == "rollback"
    assert (job["eventCount"], job["publishedCount"], job["rejectedCount"]) == (3, 3, 0)
    assert job["errors"] == []
    assert "finishedAt" in job
    records = trace_events(bootstrap, topics.events, 3)
    assert sorted(r["eventID"] for r in records) == sorted(e["eventID"] for e in events)
    for record in records:
        origin = record["origin"]
        assert origin["connector"] == "epcis-capture"
        assert origin["source"] == f"capture/{job['captureID']}"
        assert origin["format"] == "epcis-json-2.0"
        assert record["bizStep"] == "shipping"
        assert json.loads(record["extensions"]) == {"ex:shift": "night"}
    assert record_count(bootstrap, topics.dlq) == 0


def test_rollback_publishes_nothing_when_one_event_is_invalid(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    bad_action = event(1, action="WIGGLE")
    no_time = event(2)
    del no_time["eventTime"]

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await capture(http, document(event(0), bad_action, no_time, event(3)))

    job = asyncio.run(scenario())
    assert job["running"] is False
    assert job["success"] is False
    assert (job["publishedCount"], job["rejectedCount"]) == (0, 4)
    assert [e["eventIndex"] for e in job["errors"]] == [1, 2]
    assert "WIGGLE" in job["errors"][0]["detail"]
    assert "eventTime" in job["errors"][1]["detail"]
    assert all(e["type"] == "epcisException:ValidationException" for e in job["errors"])
    assert record_count(bootstrap, topics.events) == 0
    dead = letters(bootstrap, topics.dlq, 2)
    assert len(dead) == 2
    by_position = {header(m, "source.position"): (letter, m) for letter, m in dead}
    assert set(by_position) == {"1", "2"}
    for position, invalid, error in (("1", bad_action, job["errors"][0]),
                                     ("2", no_time, job["errors"][1])):  # fmt: skip
        letter, msg = by_position[position]
        assert header(msg, "connector.name") == "epcis-capture"
        assert header(msg, "source.name") == f"capture/{job['captureID']}"
        assert header(msg, "stage") == "validate"
        assert header(msg, "exception.message") in error["detail"]
        assert (letter["connector"], letter["position"]) == ("epcis-capture", position)
        assert json.loads(letter["payload"]) == invalid


def test_rollback_dead_letters_an_unreadable_document_as_one_record(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    body = json.dumps({"type": "NotADocument", "epcisBody": {"eventList": []}}).encode()

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await capture(http, body)

    job = asyncio.run(scenario())
    assert job["success"] is False
    assert [(e["stage"], e["title"]) for e in job["errors"]] == [
        ("parse", "Unreadable EPCIS document")
    ]
    ((letter, msg),) = letters(bootstrap, topics.dlq, 1)
    assert header(msg, "source.name") == f"capture/{job['captureID']}"
    assert (header(msg, "source.position"), header(msg, "stage")) == ("0", "parse")
    assert "NotADocument" in header(msg, "exception.message")
    assert letter["payload"] == body
    assert letter["payloadTruncated"] is False
    assert record_count(bootstrap, topics.events) == 0


def test_proceed_publishes_the_valid_and_dead_letters_the_invalid(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    good = [event(0), event(2)]
    bad = event(1, bizStep="not a step at all")

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await capture(http, document(good[0], bad, good[1]), behaviour="proceed")

    job = asyncio.run(scenario())
    assert job["captureErrorBehaviour"] == "proceed"
    assert job["success"] is False
    assert (job["eventCount"], job["publishedCount"], job["rejectedCount"]) == (3, 2, 1)
    assert [(e["eventIndex"], e["stage"]) for e in job["errors"]] == [(1, "validate")]
    records = trace_events(bootstrap, topics.events, 2)
    assert sorted(r["eventID"] for r in records) == sorted(e["eventID"] for e in good)
    dead = consume(bootstrap, topics.dlq, 1)
    assert len(dead) == 1
    letter = SERDE.decode("dead_letter", dead[0].value, topics.dlq)
    assert letter["connector"] == "epcis-capture"
    assert letter["stage"] == "validate"
    assert json.loads(letter["payload"])["eventID"] == bad["eventID"]
    headers = dead[0].headers
    assert headers[HEADER_PREFIX + "connector.name"] == b"epcis-capture"
    assert headers[HEADER_PREFIX + "source.name"] == f"capture/{job['captureID']}".encode()
    assert headers[HEADER_PREFIX + "source.position"] == b"1"
    assert b"not a step" in headers[HEADER_PREFIX + "exception.message"]


def test_already_captured_events_are_listed_not_published_again(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    first = [event(0), event(1, event_id=False)]  # the second is identified by its hash
    again = [*first, event(2), first[0]]

    async def scenario() -> tuple[Any, Any]:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            one = await capture(http, document(*first))
            two = await capture(http, document(*again), behaviour="proceed")
            return one, two

    one, two = asyncio.run(scenario())
    assert one["success"] is True
    assert one["publishedCount"] == 2
    assert two["success"] is True, two
    assert (two["publishedCount"], two["duplicateCount"], two["rejectedCount"]) == (1, 3, 0)
    assert [d["eventIndex"] for d in two["duplicates"]] == [0, 1, 3]
    assert two["duplicates"][0]["eventID"] == first[0]["eventID"]
    assert two["duplicates"][1]["eventID"].startswith("ni:///sha-256;")
    assert len(trace_events(bootstrap, topics.events, 3)) == 3


def test_post_events_answers_201_then_409_for_the_same_event(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    declared = {"@context": CONTEXT, **event(0)}
    hashed = {"@context": CONTEXT, **event(1, event_id=False)}

    async def scenario() -> list[Any]:
        out = []
        async with capture_api(tmp_path, bootstrap, topics) as http:
            for body in (declared, declared, hashed, hashed, {**hashed, "action": "NOPE"}):
                async with http.post("/events", json=body) as response:
                    out.append((response.status, dict(response.headers), await response.json()))
            job = await capture(http, document(event(5), dict(declared)))
            out.append(job)
        return out

    results = asyncio.run(scenario())
    (s1, h1, b1), (s2, _, b2), (s3, h3, b3), (s4, _, _), (s5, _, b5), job = results
    assert s1 == 201
    assert h1["Location"] == f"/events/{declared['eventID'].replace(':', '%3A')}"
    assert h1["GS1-EPCIS-Version"] == "2.0.0"
    assert b1["eventID"] == declared["eventID"]
    assert b1["ex:shift"] == "night"
    assert b1["@context"][0].startswith("https://ref.gs1.org/standards/epcis/")
    assert s2 == 409
    assert b2["type"] == "epcisException:ResourceAlreadyExistsException"
    assert declared["eventID"] in b2["detail"]
    assert s3 == 201
    assert b3["eventID"].startswith("ni:///sha-256;")
    assert h3["Location"].startswith("/events/ni%3A%2F%2F%2Fsha-256%3B")
    assert s4 == 409
    assert (s5, b5["type"]) == (400, "epcisException:ValidationException")
    assert "NOPE" in b5["detail"]
    assert job["success"] is True
    assert (job["publishedCount"], job["duplicateCount"]) == (1, 1)
    records = trace_events(bootstrap, topics.events, 3)
    sources = sorted(r["origin"]["source"] for r in records)
    assert sources == [f"capture/{job['captureID']}", "events", "events"]
    singles = {r["eventID"] for r in records if r["origin"]["source"] == "events"}
    assert singles == {declared["eventID"], b3["eventID"]}
    ((letter, msg),) = letters(bootstrap, topics.dlq, 1)  # the 400, never the 409s
    assert (header(msg, "source.name"), header(msg, "source.position")) == ("events", "0")
    assert header(msg, "stage") == "validate"
    assert "NOPE" in header(msg, "exception.message")
    assert json.loads(letter["payload"]) == {**hashed, "action": "NOPE"}


def test_limits_are_advertised_and_enforced_with_413(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    small = document(event(0), event(1))
    three = document(event(0), event(1), event(2))
    limit = len(three) + 10

    async def chunked(data: bytes) -> Any:
        for start in range(0, len(data), 100):
            yield data[start : start + 100]

    async def scenario() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with capture_api(tmp_path, bootstrap, topics, max_events=2, max_bytes=limit) as http:
            async with http.options("/capture") as response:
                out["options"] = (response.status, dict(response.headers))
            too_big = small + b" " * (limit - len(small) + 1)
            for name, data in (
                ("events", three),
                ("bytes", too_big),
                ("chunked", chunked(too_big)),
            ):
                async with http.post(
                    "/capture", data=data, headers={"Content-Type": "application/json"}
                ) as response:
                    out[name] = (response.status, dict(response.headers), await response.json())
            async with http.post(
                "/events",
                data=b"{" + b" " * limit + b"}",
                headers={"Content-Type": "application/json"},
            ) as response:
                out["event"] = response.status
            out["fits"] = await capture(http, small)
        return out

    got = asyncio.run(scenario())
    status, headers = got["options"]
    assert status == 204
    assert headers["GS1-EPCIS-Capture-Limit"] == "2"
    assert headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(limit)
    assert headers["GS1-Capture-Error-Behaviour"] == "all"
    assert headers["Allow"] == "OPTIONS, POST, GET"
    assert (headers["GS1-EPCIS-Version"], headers["GS1-CBV-Version"]) == ("2.0.0", "2.0.0")
    assert (headers["GS1-EPCIS-Min"], headers["GS1-EPCIS-Max"]) == ("1.2.0", "2.0.0")
    for name in ("events", "bytes", "chunked"):
        status, headers, body = got[name]
        assert status == 413, (name, body)
        assert body["type"] == "epcisException:CaptureLimitExceededException"
        assert headers["Content-Type"].startswith("application/problem+json")
        assert headers["GS1-EPCIS-Capture-Limit"] == "2"
    assert "more than 2 events" in got["events"][2]["detail"]
    assert got["event"] == 413
    assert got["fits"]["success"] is True
    assert list((tmp_path / "capture" / "bodies").iterdir()) == []  # refused bodies are gone
    assert record_count(bootstrap, topics.dlq) == 0  # refused at the door, not dead-lettered


def test_bad_requests_get_problem_responses(bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    one_event = document(event(0))

    async def scenario() -> list[tuple[int, Any]]:
        out = []
        requests = [
            ("/capture", b"{}", {"Content-Type": "text/plain"}),
            ("/capture", b'{"type": "EPCISDocument", ', {"Content-Type": "application/json"}),
            ("/capture", b"<EPCISDocument>", {"Content-Type": "application/json"}),
            ("/capture", one_event,
             {"Content-Type": "application/json", "GS1-Capture-Error-Behaviour": "sometimes"}),
            ("/capture", one_event,
             {"Content-Type": "application/json", "GS1-EPCIS-Version": "3.0.0"}),
            ("/events", one_event, {"Content-Type": "application/json"}),
            ("/events", b"[1, 2]", {"Content-Type": "application/json"}),
            ("/events", b"{}", {"Content-Type": "application/json", "Accept": "text/html"}),
        ]  # fmt: skip
        async with capture_api(tmp_path, bootstrap, topics) as http:
            for path, data, headers in requests:
                async with http.post(path, data=data, headers=headers) as response:
                    assert response.content_type == "application/problem+json"
                    out.append((response.status, await response.json()))
            for path in ("/capture/id-unknown",):
                async with http.get(path) as response:
                    out.append((response.status, await response.json()))
                async with http.options(path) as response:
                    out.append((response.status, await response.json()))
            async with http.get("/capture", headers={"Accept": "application/xml"}) as response:
                out.append((response.status, await response.json()))
        return out

    got = asyncio.run(scenario())
    expected = [
        (415, "UnsupportedMediaTypeException", "text/plain"),
        (400, "ValidationException", "malformed JSON"),
        (400, "ValidationException", "not JSON"),
        (400, "ValidationException", "sometimes"),
        (406, "NotAcceptableException", "GS1-EPCIS-Version"),
        (400, "ValidationException", "/capture"),
        (400, "ValidationException", "JSON object"),
        (406, "NotAcceptableException", "application/json"),
        (404, "NoSuchNameException", "id-unknown"),
        (404, "NoSuchNameException", "id-unknown"),
        (406, "NotAcceptableException", "application/json"),
    ]
    assert len(got) == len(expected)
    for (status, body), (want_status, kind, detail) in zip(got, expected, strict=True):
        assert (status, body["type"]) == (want_status, f"epcisException:{kind}"), body
        assert body["status"] == status
        assert detail in body["detail"]
        assert body["title"]
    assert record_count(bootstrap, topics.events) == 0
    # the unreadable bodies are dead letters; 415 / 406 / a bad header are refused at the door
    dead = letters(bootstrap, topics.dlq, 4)
    assert [(header(m, "source.name"), header(m, "stage")) for _, m in dead] == [
        ("capture", "parse"), ("capture", "parse"), ("events", "parse"), ("events", "parse")
    ]  # fmt: skip
    assert [letter["payload"] for letter, _ in dead] == [
        b'{"type": "EPCISDocument", ', b"<EPCISDocument>", one_event, b"[1, 2]"
    ]  # fmt: skip
    assert all(header(m, "connector.name") == "epcis-capture" for _, m in dead)


def test_jobs_are_listed_with_pagination(bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[Any], list[str | None]]:
        ids, pages, links = [], [], []
        async with capture_api(tmp_path, bootstrap, topics) as http:
            for i in range(5):
                ids.append((await capture(http, document(event(i))))["captureID"])
            url: str | None = "/capture?perPage=2"
            while url is not None:
                async with http.get(url) as response:
                    assert response.status == 200
                    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
                    pages.append(await response.json())
                    link = response.headers.get("Link")
                    links.append(link)
                    url = link[1 : link.index(">")] if link else None
            async with http.get("/capture?nextPageToken=garbage") as response:
                pages.append(await response.json())
        return ids, pages, links

    ids, pages, links = asyncio.run(scenario())
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [job["captureID"] for page in pages[:3] for job in page] == ids
    assert all(job["success"] for page in pages for job in page)
    assert links[0] is not None
    assert links[0].endswith('; rel="next"')
    assert links[-1] is None


def test_xml_documents_are_captured(bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
        b'creationDate="2026-03-01T10:00:00Z"><EPCISBody><EventList><ObjectEvent>'
        b"<eventTime>2026-03-01T10:00:00.000+01:00</eventTime>"
        b"<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>"
        b"<epcList><epc>urn:epc:id:sgtin:0614141.107346.77</epc></epcList>"
        b"<action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>"
        b"</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"
    )

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await capture(http, xml, media="application/xml")

    job = asyncio.run(scenario())
    assert job["success"] is True, job
    (record,) = trace_events(bootstrap, topics.events, 1)
    assert record["origin"]["format"] == "epcis-xml-2.0"
    assert record["bizStep"] == "commissioning"
    assert record["eventID"].startswith("ni:///sha-256;")
