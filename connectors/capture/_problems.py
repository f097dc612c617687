"""The HTTP vocabulary of the capture interface: versions, media types, headers, problems.

Pure functions, no I/O. Problem bodies are RFC 7807 objects whose ``type`` is the one the
GS1 EPCIS 2.0 REST binding gives for that status (``epcisException:...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from connectors.capture._jobs import BEHAVIOURS, Behaviour

EPCIS_VERSION = "2.0.0"
EPCIS_MIN = "1.2.0"  # EPCIS 1.2 XML documents are read as well
EPCIS_MAX = "2.0.0"
CBV_VERSION = "2.0.0"
CBV_MIN = "1.2.0"  # CBV 1.2 URN vocabulary values are normalised to CBV 2.0
CBV_MAX = "2.0.0"

BodyKind = Literal["json", "xml"]
MEDIA_TYPES: Mapping[str, BodyKind] = {
    "application/json": "json",
    "application/ld+json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
PROBLEM_JSON = "application/problem+json"

VALIDATION = "epcisException:ValidationException"
CAPTURE_LIMIT = "epcisException:CaptureLimitExceededException"
UNSUPPORTED_MEDIA = "epcisException:UnsupportedMediaTypeException"
NO_SUCH_NAME = "epcisException:NoSuchNameException"
ALREADY_EXISTS = "epcisException:ResourceAlreadyExistsException"
NOT_ACCEPTABLE = "epcisException:NotAcceptableException"
IMPLEMENTATION = "epcisException:ImplementationException"


def problem(kind: str, title: str, status: int | None, detail: str | None = None) -> dict[str, Any]:
    """An RFC 7807 problem object (``status`` is left out for errors listed inside a job)."""
    body: dict[str, Any] = {"type": kind, "title": title}
    if status is not None:
        body["status"] = status
    if detail:
        body["detail"] = detail
    return body


def event_problem(
    index: int | None, stage: str, message: str, event_id: str | None = None
) -> dict[str, Any]:
    """One entry of a capture job's ``errors``: which event, which step, what is wrong."""
    if stage == "deliver":
        body = problem(IMPLEMENTATION, "Kafka did not acknowledge the event", None, message)
    elif stage == "parse":
        where = "the document" if index is None else f"the document from event {index} on"
        body = problem(VALIDATION, "Unreadable EPCIS document", None, f"{where}: {message}")
    else:
        body = problem(VALIDATION, "Invalid EPCIS event", None, f"event {index}: {message}")
    body["stage"] = stage
    if index is not None:
        body["eventIndex"] = index
    if event_id is not None:
        body["eventID"] = event_id
    return body


def body_kind(content_type: str) -> BodyKind | None:
    """``json`` / ``xml`` for the media types we read; None otherwise (answer 415)."""
    return MEDIA_TYPES.get(content_type.split(";", 1)[0].strip().lower())


def behaviour_of(header: str | None) -> Behaviour:
    """The ``GS1-Capture-Error-Behaviour`` a client asked for; ValueError when unknown."""
    if header is None or not header.strip():
        return "rollback"
    value = header.strip().lower()
    for behaviour in BEHAVIOURS:
        if value == behaviour:
            return behaviour
    raise ValueError(
        f"GS1-Capture-Error-Behaviour {header!r} is not one of {', '.join(BEHAVIOURS)}"
    )


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 3:
        return None
    numbers = [int(p) for p in parts]
    return tuple(numbers + [0] * (3 - len(numbers)))


def version_supported(header: str | None, low: str, high: str) -> bool:
    """Whether a ``GS1-EPCIS-Version`` / ``GS1-CBV-Version`` a client sent is one we read."""
    if header is None or not header.strip():
        return True
    wanted = _version(header)
    bounds = _version(low), _version(high)
    return (
        wanted is not None
        and bounds[0] is not None
        and bounds[1] is not None
        and (bounds[0] <= wanted <= bounds[1])
    )


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def accepts(accept: str | None, *offered: str) -> bool:
    """Whether an ``Accept`` header admits one of the ``offered`` media types."""
    if accept is None or not accept.strip():
        return True
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if _quality(params) <= 0:
            continue
        main, _, sub = media.partition("/")
        for offer in offered:
            if media in ("*/*", offer) or (sub == "*" and offer.startswith(main + "/")):
                return True
    return False


def page_token(token: str | None) -> int | None:
    """The job sequence number an opaque ``nextPageToken`` stands for: 0 for the first page,
    None for a token this server never issued (whose page is empty)."""
    if token is None:
        return 0
    return int(token) if token.isdigit() else None


def per_page(value: str | None, default: int, most: int = 1000) -> int:
    if value is None or not value.strip().isdigit():
        return default
    return max(1, min(int(value), most))
