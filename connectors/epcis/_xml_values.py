"""Converters from XML text to the JSON-LD values the EPCIS JSON binding uses.

Each raises EventProblem with a message naming the field, the value and the rule, so the
event can be dead-lettered with a reason a person can act on.
"""

from __future__ import annotations

import calendar
import difflib
import math
import re

ACTIONS = ("ADD", "OBSERVE", "DELETE")

# xsd:dateTime as restricted by the EPCIS 2.0 XSD (DateTimeStamp): the time zone is required.
_DATE_TIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>1[0-2]|0[1-9])-(?P<d>3[01]|0[1-9]|[12][0-9])"
    r"T(2[0-3]|[01][0-9]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
_OFFSET = re.compile(r"[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class EventProblem(ValueError):
    """What makes one event unacceptable; the event becomes an InvalidEvent with this text."""


def date_time(field: str, text: str) -> str:
    """The timestamp as written, once it is a valid xsd:dateTime with a time zone."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise EventProblem(
            f"{field} {text!r} is not an xsd:dateTime with a time zone "
            "(e.g. 2026-07-22T06:45:00.000+02:00)"
        )
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if day > calendar.monthrange(year, month)[1]:
        raise EventProblem(f"{field} {text!r} is not a calendar date")
    return text


def time_zone_offset(text: str) -> str:
    if _OFFSET.fullmatch(text) is None:
        raise EventProblem(
            f"eventTimeZoneOffset {text!r} is not a time zone offset like +02:00 or -06:00"
        )
    return text


def action(text: str) -> str:
    if text in ACTIONS:
        return text
    near = difflib.get_close_matches(text.upper(), ACTIONS, n=1, cutoff=0.6)
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise EventProblem(f"action {text!r} is not one of ADD, OBSERVE, DELETE{hint}")


def number(field: str, text: str, *, exponent: bool = False) -> int | float:
    """An xsd:decimal (or xsd:double with ``exponent``) as a JSON number.

    Integers stay int so ``200`` reads as it does in the JSON twin; the rest are floats.
    NaN and infinities are refused: JSON has no way to write them.
    """
    pattern = _DOUBLE if exponent else _DECIMAL
    if pattern.fullmatch(text) is None:
        kind = "xsd:double" if exponent else "xsd:decimal"
        raise EventProblem(f"{field} {text!r} is not a number ({kind})")
    if _INTEGER.fullmatch(text):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise EventProblem(f"{field} {text!r} is out of range for a JSON number")
    return value


def boolean(field: str, text: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise EventProblem(f"{field} {text!r} is not an xsd:boolean (true, false, 1 or 0)")
