"""The capture interface against the GS1 EPCIS 2.0 REST binding (standards/epcis/rest).

- Our served /openapi.json only uses paths, methods, status codes, parameters and headers
  the binding has, with the same types and ``epcisException`` problem types.
- What the server really answers (every operation, every status it produces) is what our
  document says; every route of the app is documented.
- Job and problem bodies validate against the binding's CaptureJob / RFC 7807 schemas.
- The official invalid capture examples fail their rollback job with errors naming the
  problem, publish nothing and dead-letter every invalid event (or the unreadable document);
  the valid examples succeed with every event on Kafka.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from connectors.capture import CaptureConfig, create_app, openapi_document
from connectors.sdk import HEADER_PREFIX
from oretrail.serde import SingleObjectSerde
from tests.capture_client import (
    capture,
    capture_api,
    consume,
    make_topics,
    record_count,
    trace_events,
)

EXAMPLES = Path("epcis/examples/openepcis-test-resources/2.0/EPCIS")
API_HEADERS = ("gs1-", "location", "link", "allow")  # what the binding speaks about
METHODS = ("get", "post", "options", "put", "delete", "patch", "head")


@pytest.fixture(scope="module")
def binding(standards: Path) -> dict[str, Any]:
    return json.loads((standards / "epcis/rest/openapi.json").read_text())


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_type(spec: dict[str, Any], schema: Any) -> str | None:
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return None
    if "type" in schema:
        return str(schema["type"])
    for part in schema.get("allOf", []):
        found = schema_type(spec, part)
        if found:
            return found
    return None


def problem_types(spec: dict[str, Any], response: Any) -> set[str]:
    content = resolve(spec, response).get("content", {}).get("application/problem+json")
    if content is None:
        return set()
    found: set[str] = set()
    pending = [content["schema"]]
    while pending:
        schema = resolve(spec, pending.pop())
        pending.extend(schema.get("allOf", []))
        found.update(schema.get("properties", {}).get("type", {}).get("enum", []))
    return found


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


SERDE = SingleObjectSerde()


def test_served_document_is_a_subset_of_the_binding(
    binding: dict[str, Any], bootstrap: str, tmp_path: Path, unique_name: str
) -> None:
    async def fetch() -> Any:
        topics = make_topics(bootstrap, unique_name)
        async with (
            capture_api(tmp_path, bootstrap, topics) as http,
            http.get("/openapi.json") as response,
        ):
            assert response.status == 200
            return await response.json()

    doc = asyncio.run(fetch())
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] != binding["info"]["title"]  # our own description
    for path, method, op in operations(doc):
        standard_item = binding["paths"].get(path)
        assert standard_item is not None, f"{path} is not a path of the binding"
        standard = standard_item.get(method)
        assert standard is not None, f"{method.upper()} {path} is not in the binding"
        params = [resolve(binding, x) for x in standard.get("parameters", [])]
        params += [resolve(binding, x) for x in standard_item.get("parameters", [])]
        known = {(x["name"].lower(), x["in"]) for x in params}
        mine = op.get("parameters", []) + doc["paths"][path].get("parameters", [])
        for param in mine:
            assert (param["name"].lower(), param["in"]) in known, (path, method, param["name"])
        if "requestBody" in op:
            assert set(resolve(binding, standard["requestBody"])["content"]) <= set(
                op["requestBody"]["content"]
            ), f"{method.upper()} {path} must read what the binding sends"
        for status, response in op["responses"].items():
            assert status in standard["responses"], f"{method.upper()} {path} -> {status}"
            theirs = resolve(binding, standard["responses"][status])
            mine_resolved = resolve(doc, response)
            for name, header in mine_resolved.get("headers", {}).items():
                assert name in theirs.get("headers", {}), f"{path} {status} header {name}"
                assert schema_type(doc, resolve(doc, header)["schema"]) == schema_type(
                    binding, resolve(binding, theirs["headers"][name])["schema"]
                ), f"{path} {status} header {name} has another type"
            ours_types = problem_types(doc, mine_resolved)
            if status.startswith(("4", "5")):
                assert ours_types, f"{path} {status} must answer application/problem+json"
                assert ours_types <= problem_types(binding, theirs), (path, status, ours_types)


def test_every_route_of_the_app_is_documented(tmp_path: Path) -> None:
    doc = openapi_document(CaptureConfig())
    app = create_app(CaptureConfig(), home=tmp_path, bootstrap="127.0.0.1:9", serde=SERDE)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }
    documented = {(method, path) for path, method, _ in operations(doc)}
    assert served - documented == {("get", "/openapi.json")}
    assert documented <= served


def _bodies(standards: Path) -> dict[str, bytes]:
    json_doc = (standards / EXAMPLES / "JSON/Capture/Documents/ObjectEvent.json").read_bytes()
    event = (standards / EXAMPLES / "JSON/Capture/Events/ObjectEvent.json").read_bytes()
    return {"document": json_doc, "event": event}


def test_what_the_server_answers_is_what_the_document_says(
    binding: dict[str, Any], standards: Path, bootstrap: str, tmp_path: Path, unique_name: str
) -> None:
    doc = openapi_document(CaptureConfig(max_events=2, max_bytes=4096))
    bodies = _bodies(standards)
    js = {"Content-Type": "application/ld+json"}
    big = b"{" + b" " * 5000 + b"}"
    three = json.loads(bodies["document"])
    three["epcisBody"]["eventList"] *= 2
    calls: list[tuple[str, str, str, bytes | None, dict[str, str]]] = [
        ("options", "/capture", "/capture", None, {}),
        ("post", "/capture", "/capture", bodies["document"], js),
        ("post", "/capture", "/capture", b"{", js),
        ("post", "/capture", "/capture", bodies["document"], {**js, "GS1-EPCIS-Version": "9"}),
        ("post", "/capture", "/capture", json.dumps(three).encode(), js),
        ("post", "/capture", "/capture", big, js),
        ("post", "/capture", "/capture", b"x", {"Content-Type": "text/plain"}),
        ("get", "/capture", "/capture", None, {}),
        ("get", "/capture", "/capture?perPage=1", None, {}),
        ("get", "/capture", "/capture", None, {"Accept": "text/html"}),
        ("get", "/capture/{captureID}", "/capture/nope", None, {}),
        ("get", "/capture/{captureID}", "{job}", None, {}),
        ("get", "/capture/{captureID}", "{job}", None, {"Accept": "application/xml"}),
        ("options", "/capture/{captureID}", "{job}", None, {}),
        ("options", "/capture/{captureID}", "/capture/nope", None, {}),
        ("options", "/events", "/events", None, {}),
        ("post", "/events", "/events", bodies["event"], js),
        ("post", "/events", "/events", bodies["event"], js),
        ("post", "/events", "/events", b"[]", js),
        ("post", "/events", "/events", bodies["event"], {**js, "Accept": "text/html"}),
        ("post", "/events", "/events", big, js),
        ("post", "/events", "/events", b"x", {"Content-Type": "text/csv"}),
    ]

    async def exercise() -> list[tuple[str, str, int, dict[str, str], Any]]:
        seen = []
        job = ""
        topics = make_topics(bootstrap, unique_name)
        async with capture_api(tmp_path, bootstrap, topics, max_events=2, max_bytes=4096) as http:
            for method, template, url, body, headers in calls:
                url = url.replace("{job}", job)
                async with http.request(method, url, data=body, headers=headers) as response:
                    text = await response.read()
                    payload = json.loads(text) if text else None
                    if response.status == 202:
                        job = response.headers["Location"]
                        await asyncio.sleep(0.5)
                    seen.append(
                        (template, method, response.status, dict(response.headers), payload)
                    )
        return seen

    seen = asyncio.run(exercise())
    capture_job = resolve(binding, binding["components"]["schemas"]["CaptureJob"])
    job_schema = {"components": binding["components"], **capture_job["allOf"][0]}
    problem_schema = {
        "components": binding["components"],
        "$ref": "#/components/schemas/RFC7807ProblemResponseBody",
    }
    statuses = set()
    for template, method, status, headers, payload in seen:
        op = doc["paths"][template][method]
        assert str(status) in op["responses"], (method, template, status, payload)
        statuses.add((method, template, status))
        documented = resolve(doc, op["responses"][str(status)])
        for name in headers:
            if name.lower().startswith(API_HEADERS):
                assert name in documented.get("headers", {}), (method, template, status, name)
        if status >= 400:
            assert headers["Content-Type"].startswith("application/problem+json")
            assert payload["type"] in problem_types(doc, documented)
            jsonschema.validate(payload, problem_schema)
        if template.startswith("/capture") and method == "get" and status == 200:
            for job in payload if isinstance(payload, list) else [payload]:
                jsonschema.validate(job, job_schema)
                for error in job["errors"]:
                    jsonschema.validate(error, problem_schema)
    produced = {code for _, _, code in statuses}
    assert {200, 201, 202, 204, 400, 404, 406, 409, 413, 415} <= produced


# What each official invalid example is wrong about: words its errors must mention.
INVALID = {
    "Combination_of_events_with_missing_mandatory_fields": ["action"],
    "Combination_of_multiple_invalid_fields": [
        "bizStep", "disposition", "sourceList", "ilmd", "eventTime",
    ],
    "Combination_of_non_standard_bizStep_and_disposition": ["bizStep", "disposition"],
    "EPCISDocument_without_context": ["@context"],
    "ObjectEvent_with_ilmd_field_without_namespace": ["ilmd", "namespace"],
    "ObjectEvent_with_invalid_action": ["action"],
    "ObjectEvent_with_invalid_certificationInfo": ["certificationInfo"],
    "ObjectEvent_with_invalid_eventTime_format": ["eventTime"],
    "ObjectEvent_with_non_standard_bizStep": ["bizStep"],
    "ObjectEvent_with_non_standard_bizStep_in_second_event": ["event 1", "bizStep"],
    "ObjectEvent_with_non_standard_disposition": ["disposition"],
    "ObjectEvent_with_quantity_as_text": ["quantity"],
    "ObjectEvent_with_unknown_field_in_quantityList": ["quantityList"],
    "ObjectEvent_without_action_and_eventTime": ["eventTime"],
    "ObjectEvent_without_identifier_list": ["epcList"],
    "ObjectEvent_bare_event_without_action": ["EPCISDocument"],  # an event is no document
    "ObjectEvent_with_near_miss_action": ["action", "OBSERVE"],
    "ObjectEvent_with_unknown_element": ["madeUpField"],
    "ObjectEvent_with_wrong_element_order": ["order"],
    "ObjectEvent_without_eventTime": ["eventTime"],
}  # fmt: skip
MEDIA = {".json": "application/ld+json", ".xml": "application/xml"}


def _invalid_examples(standards: Path) -> list[Path]:
    return sorted((standards / EXAMPLES).glob("*/Capture/Invalid/*"))


def _letters_by_source(bootstrap: str, topic: str, expect: int) -> dict[str, list[str]]:
    """Positions of the committed dead letters on ``topic``, per source."""
    out: dict[str, list[str]] = {}
    for msg in consume(bootstrap, topic, expect):
        source = msg.headers[HEADER_PREFIX + "source.name"].decode()
        out.setdefault(source, []).append(msg.headers[HEADER_PREFIX + "source.position"].decode())
    return out


def test_invalid_examples_fail_their_rollback_job_and_publish_nothing(
    standards: Path, bootstrap: str, tmp_path: Path, unique_name: str
) -> None:
    files = _invalid_examples(standards)
    assert len(files) >= 20
    missing = {f.stem for f in files} - set(INVALID)
    assert not missing, f"say what these new examples are wrong about: {missing}"
    topics = make_topics(bootstrap, unique_name)

    async def scenario() -> list[tuple[Path, Any]]:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return [(f, await capture(http, f.read_bytes(), MEDIA[f.suffix])) for f in files]

    jobs = asyncio.run(scenario())
    for path, job in jobs:
        assert job["running"] is False
        assert job["success"] is False, path.name
        assert job["captureErrorBehaviour"] == "rollback"
        assert job["publishedCount"] == 0
        assert job["errors"], path.name
        details = " | ".join(e["detail"] for e in job["errors"])
        for word in INVALID[path.stem]:
            assert word in details, f"{path.name}: {word!r} not in {details}"
    assert record_count(bootstrap, topics.events) == 0
    # one dead letter per error, at the event it names (an unreadable document: position 0)
    expected = {
        f"capture/{job['captureID']}": [str(e.get("eventIndex", 0)) for e in job["errors"]]
        for _, job in jobs
    }
    got = _letters_by_source(bootstrap, topics.dlq, sum(map(len, expected.values())))
    assert got == expected


def test_bare_xml_events_are_captured_one_by_one(
    standards: Path, bootstrap: str, tmp_path: Path, unique_name: str
) -> None:
    events = sorted((standards / EXAMPLES / "XML/Capture/Events").glob("*.xml"))
    bare_invalid = (
        standards / EXAMPLES / "XML/Capture/Invalid/ObjectEvent_bare_event_without_action.xml"
    )
    topics = make_topics(bootstrap, unique_name)

    async def scenario() -> list[tuple[int, Any]]:
        out = []
        async with capture_api(tmp_path, bootstrap, topics) as http:
            for path in [*events, bare_invalid]:
                async with http.post(
                    "/events", data=path.read_bytes(), headers={"Content-Type": "text/xml"}
                ) as response:
                    out.append((response.status, await response.json()))
        return out

    answers = asyncio.run(scenario())
    assert [status for status, _ in answers[:-1]] == [201] * len(events), answers
    status, problem = answers[-1]
    assert (status, problem["type"]) == (400, "epcisException:ValidationException")
    assert "action" in problem["detail"]
    assert _letters_by_source(bootstrap, topics.dlq, 1) == {"events": ["0"]}
    records = trace_events(bootstrap, topics.events, len(events))
    assert sorted(r["eventID"] for r in records) == sorted(b["eventID"] for _, b in answers[:-1])
    assert {r["origin"]["format"] for r in records} == {"epcis-xml-2.0"}


# Valid-looking examples the validation layer rightly refuses (wrong check digits in GS1
# keys, a non-CBV source/destination type, XML elements out of the schema's order).
REFUSED = {
    "Combination_of_different_event",
    "CurieString_document",
    "SensorData_with_combined_events",
    "JumbledFieldsOrder",
}


def _event_count(path: Path) -> int:
    if path.suffix == ".json":
        return len(json.loads(path.read_bytes())["epcisBody"]["eventList"])
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    lists = tree.xpath("//*[local-name()='EventList']")
    return sum(
        len(child) if etree.QName(child).localname == "extension" else 1
        for child in lists[0]
        if isinstance(child.tag, str)
    )


def test_valid_examples_give_successful_jobs_with_every_event_on_kafka(
    standards: Path, bootstrap: str, tmp_path: Path, unique_name: str
) -> None:
    files = sorted(
        f for f in (standards / EXAMPLES).glob("*/Capture/Documents/*") if f.stem not in REFUSED
    )
    assert len(files) >= 60
    topics = make_topics(bootstrap, unique_name)

    async def scenario() -> list[tuple[Path, Any]]:
        jobs = []
        for n, path in enumerate(files):
            # a home per document: the same events recur across examples (JSON and XML)
            async with capture_api(tmp_path / str(n), bootstrap, topics) as http:
                jobs.append((path, await capture(http, path.read_bytes(), MEDIA[path.suffix])))
        return jobs

    jobs = asyncio.run(scenario())
    expected_total = 0
    for path, job in jobs:
        assert job["success"] is True, (path.name, job["errors"][:3])
        assert job["eventCount"] == _event_count(path), path.name
        assert job["publishedCount"] + job["duplicateCount"] == job["eventCount"], path.name
        expected_total += job["publishedCount"]
    records = trace_events(bootstrap, topics.events, expected_total)
    per_job: dict[str, int] = {}
    for record in records:
        assert record["origin"]["connector"] == "epcis-capture"
        source = record["origin"]["source"]
        per_job[source] = per_job.get(source, 0) + 1
    for path, job in jobs:
        assert per_job.get(f"capture/{job['captureID']}", 0) == job["publishedCount"], path.name
    assert len(records) == expected_total
