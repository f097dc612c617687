"""The HTTP answers the capture handlers share: problem responses and the binding's headers."""

from __future__ import annotations

from aiohttp import web

from connectors.capture import _problems as p
from connectors.capture._config import CaptureConfig


def problem_response(
    kind: str, title: str, status: int, detail: str | None = None, **headers: str
) -> web.Response:
    return web.json_response(
        p.problem(kind, title, status, detail),
        status=status,
        content_type=p.PROBLEM_JSON,
        headers=headers or None,
    )


def too_large(cfg: CaptureConfig, detail: str) -> web.Response:
    return problem_response(
        p.CAPTURE_LIMIT,
        "Capture payload too large",
        413,
        detail,
        **{
            "GS1-EPCIS-Capture-Limit": str(cfg.max_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(cfg.max_bytes),
        },
    )


def not_acceptable(detail: str) -> web.Response:
    return problem_response(p.NOT_ACCEPTABLE, "Not acceptable", 406, detail)


def versions_problem(request: web.Request) -> web.Response | None:
    headers = request.headers
    if not p.version_supported(headers.get("GS1-EPCIS-Version"), p.EPCIS_MIN, p.EPCIS_MAX):
        return not_acceptable(f"GS1-EPCIS-Version must be {p.EPCIS_MIN} to {p.EPCIS_MAX}")
    if not p.version_supported(headers.get("GS1-CBV-Version"), p.CBV_MIN, p.CBV_MAX):
        return not_acceptable(f"GS1-CBV-Version must be {p.CBV_MIN} to {p.CBV_MAX}")
    return None


def unsupported(request: web.Request) -> web.Response:
    return problem_response(
        p.UNSUPPORTED_MEDIA,
        "Unsupported Media Type",
        415,
        f"{request.content_type} is not one of {', '.join(p.MEDIA_TYPES)}",
    )


def versions() -> dict[str, str]:
    return {"GS1-EPCIS-Version": p.EPCIS_VERSION, "GS1-CBV-Version": p.CBV_VERSION}


def discovery(allow: str) -> dict[str, str]:
    return {
        "Allow": allow,
        **versions(),
        "GS1-EPCIS-Min": p.EPCIS_MIN,
        "GS1-EPCIS-Max": p.EPCIS_MAX,
        "GS1-CBV-Min": p.CBV_MIN,
        "GS1-CBV-Max": p.CBV_MAX,
    }
