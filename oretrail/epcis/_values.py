"""Small value checks and converters shared by the EPCIS mapping in both directions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from oretrail.epcis._errors import EpcisValidationError

#: prefixes the EPCIS 2.0 JSON-LD context defines itself (epcis-context.jsonld)
BUILTIN_NAMESPACES = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
}

# RFC 3339 date-time with a mandatory offset; fractions beyond microseconds are cut
# (Avro keeps microseconds, and EPCIS only asks for millisecond significance).
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)
_OFFSET = re.compile(r"^[+-](?:0\d|1[0-4]):[0-5]\d$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_UOM = re.compile(r"^[A-Z0-9]{2,3}$")


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise EpcisValidationError(f"{field} must be a date-time string, got {value!r}")
    match = _DATE_TIME.match(value)
    if match is None:
        raise EpcisValidationError(
            f"{field} {value!r} is not an RFC 3339 date-time with a time zone offset"
        )
    day, clock, fraction, offset = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    tz = UTC if offset in ("Z", "z") else _tz(offset)
    try:
        parsed = datetime.fromisoformat(f"{day}T{clock}.{micros}").replace(tzinfo=tz)
    except ValueError as exc:
        raise EpcisValidationError(f"{field} {value!r} is not a valid date-time: {exc}") from exc
    return parsed.astimezone(UTC)


def _tz(offset: str) -> timezone:
    if not _OFFSET.match(offset):
        raise EpcisValidationError(f"time zone offset {offset!r} is out of range")
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


def offset_of(value: str) -> str:
    """The ``±hh:mm`` offset written in a date-time string (``Z`` is ``+00:00``)."""
    match = _DATE_TIME.match(value)
    offset = match.group(4) if match else "Z"
    return "+00:00" if offset in ("Z", "z") else offset


def check_offset(value: Any) -> str:
    if not isinstance(value, str) or not _OFFSET.match(value):
        raise EpcisValidationError(f"eventTimeZoneOffset {value!r} is not ±hh:mm")
    return value


def format_time(value: datetime) -> str:
    """UTC, millisecond digits only when they carry information (round-trips parse_time)."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def uri(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _URI.match(value):
        raise EpcisValidationError(f"{field} must be a URI, got {value!r}")
    return value


def number(value: Any, field: str) -> float:
    # bool is an int in Python but never a quantity in EPCIS JSON
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EpcisValidationError(f"{field} must be a number, got {value!r}")
    return float(value)


def optional_number(value: Any, field: str) -> float | None:
    return None if value is None else number(value, field)


def optional_str(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise EpcisValidationError(f"{field} must be a string, got {value!r}")


def uom(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _UOM.match(value):
        raise EpcisValidationError(f"{field} {value!r} is not a UN/CEFACT Rec 20 unit code")
    return value


def is_extension_key(key: str) -> bool:
    """A user extension: ``prefix:local`` or an absolute IRI; never a bare word."""
    return ":" in key and not key.startswith(":")


def as_list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EpcisValidationError(f"{field} must be a list, got {type(value).__name__}")
    return value


def as_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EpcisValidationError(f"{field} must be an object, got {type(value).__name__}")
    return value
