"""oretrail's own OpenAPI 3 description of the capture interface it serves (GET /openapi.json).

It describes exactly what ``connectors.capture._app`` implements — the capture subset of the
GS1 EPCIS 2.0 REST binding — with the binding's paths, status codes, header names and
``epcisException`` problem types (tests/conformance/test_capture_openapi.py checks that
against the standard file), plus a few extra counts in the CaptureJob object.
"""

from __future__ import annotations

from typing import Any

from connectors.capture import _problems as p
from connectors.capture._config import CaptureConfig


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "schema": schema}


_VERSION = {"type": "string", "pattern": r"^\d+(\.\d+)*$"}
_HEADERS: dict[str, Any] = {
    "GS1-EPCIS-Version": _header("The EPCIS version.", {**_VERSION, "example": p.EPCIS_VERSION}),
    "GS1-EPCIS-Min": _header(
        "The lowest EPCIS version read.", {**_VERSION, "example": p.EPCIS_MIN}
    ),
    "GS1-EPCIS-Max": _header(
        "The highest EPCIS version read.", {**_VERSION, "example": p.EPCIS_MAX}
    ),
    "GS1-CBV-Version": _header("The CBV version.", {**_VERSION, "example": p.CBV_VERSION}),
    "GS1-CBV-Min": _header("The lowest CBV version read.", {**_VERSION, "example": p.CBV_MIN}),
    "GS1-CBV-Max": _header("The highest CBV version read.", {**_VERSION, "example": p.CBV_MAX}),
    "GS1-EPCIS-Capture-Limit": _header(
        "The maximum number of EPCIS events that can be captured per call.",
        {"type": "integer", "minimum": 1},
    ),
    "GS1-EPCIS-Capture-File-Size-Limit": _header(
        "The maximum request body length in octets for capture operations.",
        {"type": "integer", "minimum": 1},
    ),
    "GS1-Capture-Error-Behaviour": _header(
        "Both `rollback` and `proceed` are supported, announced as `all`.",
        {"type": "string", "enum": ["rollback", "proceed", "all"]},
    ),
    "Location": _header(
        "Relative URL of the created resource.", {"type": "string", "minLength": 1}
    ),
    "Link": _header(
        'URL of the next page with `rel="next"`; absent on the last page.', {"type": "string"}
    ),
}


def _allow(methods: str) -> dict[str, Any]:
    return _header("The methods this resource supports.", {"type": "string", "example": methods})


def _problem(kind: str, status: int, description: str, **headers: Any) -> dict[str, Any]:
    schema = {
        "allOf": [
            {
                "properties": {
                    "type": {"type": "string", "enum": [kind]},
                    "status": {"type": "integer", "enum": [status]},
                }
            },
            _ref("schemas", "Problem"),
        ]
    }
    response: dict[str, Any] = {
        "description": description,
        "content": {p.PROBLEM_JSON: {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


_RESPONSES = {
    "400Validation": _problem(
        p.VALIDATION,
        400,
        "The body is not well-formed or not valid (it is dead-lettered), or a header is invalid.",
    ),
    "404NotFound": _problem(p.NO_SUCH_NAME, 404, "No capture job with this id."),
    "406NotAcceptable": _problem(
        p.NOT_ACCEPTABLE, 406, "An Accept or GS1-*-Version header asks for what is not served."
    ),
    "409AlreadyExists": _problem(p.ALREADY_EXISTS, 409, "An event with this eventID was captured."),
    "413TooLarge": _problem(
        p.CAPTURE_LIMIT,
        413,
        "More events or more bytes than the advertised limits.",
        **{
            "GS1-EPCIS-Capture-Limit": _ref("headers", "GS1-EPCIS-Capture-Limit"),
            "GS1-EPCIS-Capture-File-Size-Limit": _ref(
                "headers", "GS1-EPCIS-Capture-File-Size-Limit"
            ),
        },
    ),
    "415UnsupportedMediaType": _problem(
        p.UNSUPPORTED_MEDIA, 415, "Bodies are application/ld+json, application/json or XML."
    ),
    "500Implementation": _problem(p.IMPLEMENTATION, 500, "A server-side error occurred."),
}


def _responses(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    names = {
        "400": "400Validation",
        "404": "404NotFound",
        "406": "406NotAcceptable",
        "409": "409AlreadyExists",
        "413": "413TooLarge",
        "415": "415UnsupportedMediaType",
        "500": "500Implementation",
    }
    return {**ok, **{code: _ref("responses", names[code]) for code in (*errors, "500")}}


def _discovery(methods: str, *, capture: bool) -> dict[str, Any]:
    names = [
        "GS1-EPCIS-Version",
        "GS1-EPCIS-Min",
        "GS1-EPCIS-Max",
        "GS1-CBV-Version",
        "GS1-CBV-Min",
        "GS1-CBV-Max",
    ]
    if capture:
        names += [
            "GS1-EPCIS-Capture-Limit",
            "GS1-EPCIS-Capture-File-Size-Limit",
            "GS1-Capture-Error-Behaviour",
        ]
    return {
        "description": "Discovery: supported versions"
        + (" and capture limits." if capture else "."),
        "headers": {"Allow": _allow(methods), **{n: _ref("headers", n) for n in names}},
    }


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": False,
        "schema": schema,
        "description": description,
    }


_VERSION_PARAMS = [
    _param("GS1-EPCIS-Version", "header", _VERSION, "EPCIS version of the body (1.2 or 2.0)."),
    _param("GS1-CBV-Version", "header", _VERSION, "CBV version of the body (1.2 or 2.0)."),
]
_BODY_TYPES = ("application/ld+json", "application/json", "application/xml", "text/xml")


def _body(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {media: {"schema": schema} for media in _BODY_TYPES},
    }


def _created(code: str, description: str, headers: list[str]) -> dict[str, Any]:
    return {code: {"description": description, "headers": {h: _ref("headers", h) for h in headers}}}


def openapi_document(cfg: CaptureConfig) -> dict[str, Any]:
    job_id = {
        "name": "captureID",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The capture job id returned in Location.",
    }
    job_schema = {"content": {"application/json": {"schema": _ref("schemas", "CaptureJob")}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "oretrail EPCIS 2.0 capture interface",
            "version": "1.0.0",
            "description": (
                "The capture subset of the GS1 EPCIS 2.0 REST binding. Captured events are "
                "validated, normalised and published to Kafka once acknowledged. "
                f"Limits: {cfg.max_events} events, {cfg.max_bytes} bytes per request."
            ),
        },
        "paths": {
            "/capture": {
                "options": {
                    "summary": "Capture settings: versions, limits, error behaviours.",
                    "responses": {"204": _discovery("OPTIONS, POST, GET", capture=True)},
                },
                "post": {
                    "summary": "Asynchronous capture of an EPCISDocument (JSON-LD, XML 2.0/1.2).",
                    "parameters": [
                        *_VERSION_PARAMS,
                        _param(
                            "GS1-Capture-Error-Behaviour",
                            "header",
                            {
                                "type": "string",
                                "enum": ["rollback", "proceed"],
                                "default": "rollback",
                            },
                            "rollback: nothing is published if any event is invalid; "
                            "proceed: the valid events are published. Either way the invalid "
                            "events are dead-lettered.",
                        ),
                    ],
                    "requestBody": _body("An EPCISDocument or EPCISQueryDocument.", {}),
                    "responses": _responses(
                        _created(
                            "202",
                            "Accepted; the job is at Location.",
                            ["Location", "GS1-EPCIS-Version", "GS1-CBV-Version"],
                        ),
                        "400",
                        "406",
                        "413",
                        "415",
                    ),
                },
                "get": {
                    "summary": "The capture jobs, oldest first, paginated.",
                    "parameters": [
                        _param(
                            "perPage",
                            "query",
                            {"type": "integer", "default": cfg.page_size, "maximum": 1000},
                            "Jobs per page.",
                        ),
                        _param(
                            "nextPageToken",
                            "query",
                            {"type": "string"},
                            "From the previous page's Link header.",
                        ),
                    ],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "A page of capture jobs.",
                                "headers": {
                                    "GS1-EPCIS-Version": _ref("headers", "GS1-EPCIS-Version"),
                                    "Link": _ref("headers", "Link"),
                                },
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "array",
                                            "items": _ref("schemas", "CaptureJob"),
                                        }
                                    }
                                },
                            }
                        },
                        "406",
                    ),
                },
            },
            "/capture/{captureID}": {
                "parameters": [job_id],
                "options": {
                    "summary": "Discovery for a capture job.",
                    "responses": _responses(
                        {"204": _discovery("OPTIONS, GET", capture=False)}, "404"
                    ),
                },
                "get": {
                    "summary": "A capture job: state, counts, and every error.",
                    "responses": _responses(
                        {
                            "200": {
                                "description": "The capture job.",
                                "headers": {
                                    "GS1-EPCIS-Version": _ref("headers", "GS1-EPCIS-Version")
                                },
                                **job_schema,
                            }
                        },
                        "404",
                        "406",
                    ),
                },
            },
            "/events": {
                "options": {
                    "summary": "Discovery for single-event capture.",
                    "responses": {"204": _discovery("OPTIONS, POST", capture=False)},
                },
                "post": {
                    "summary": "Synchronous capture of one event; 201 once Kafka acknowledged.",
                    "parameters": _VERSION_PARAMS,
                    "requestBody": _body("One EPCIS event (JSON-LD or XML).", {"type": "object"}),
                    "responses": _responses(
                        {
                            **_created(
                                "201",
                                "Captured; Location is /events/{eventID}.",
                                ["Location", "GS1-EPCIS-Version", "GS1-CBV-Version"],
                            ),
                        },
                        "400",
                        "406",
                        "409",
                        "413",
                        "415",
                    ),
                },
            },
        },
        "components": {
            "headers": _HEADERS,
            "responses": _RESPONSES,
            "schemas": {"Problem": _PROBLEM_SCHEMA, "CaptureJob": _CAPTURE_JOB_SCHEMA},
        },
    }


_PROBLEM_SCHEMA = {
    "description": "An RFC 7807 problem; job errors add stage, eventIndex and eventID.",
    "type": "object",
    "required": ["type", "title"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "stage": {"type": "string", "enum": ["parse", "validate", "serialise", "deliver"]},
        "eventIndex": {"type": "integer", "description": "0-based position in the document"},
        "eventID": {"type": "string"},
    },
}
_CAPTURE_JOB_SCHEMA = {
    "type": "object",
    "required": ["captureID", "createdAt", "running", "success", "captureErrorBehaviour"],
    "properties": {
        "captureID": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "finishedAt": {"type": "string", "format": "date-time"},
        "running": {"type": "boolean"},
        "success": {"type": "boolean", "description": "false when any error occurred"},
        "captureErrorBehaviour": {"type": "string", "enum": ["rollback", "proceed"]},
        "errors": {"type": "array", "items": _ref("schemas", "Problem")},
        "eventCount": {"type": "integer", "description": "events in the document"},
        "publishedCount": {"type": "integer", "description": "acknowledged by Kafka"},
        "rejectedCount": {"type": "integer", "description": "not published (see errors)"},
        "duplicateCount": {"type": "integer", "description": "captured before: not republished"},
        "duplicates": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"eventIndex": {"type": "integer"}, "eventID": {"type": "string"}},
            },
        },
    },
}
