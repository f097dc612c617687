"""Value and name canonicalisation for the CBV 2.0 event hash (see ``_hash``).

Each function turns one JSON value of an event into the text the pre-hash string carries:
times in UTC with exactly three fractional digits, numbers without trailing zeros, CBV values
and GS1 vocabulary terms as web URIs, GS1 keys as canonical Digital Link URIs. Names become
``{namespace}local`` (XML Clark notation), so a JSON-LD event and its XML form agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from oretrail import cbv
from oretrail.identifiers import IdentifierError, to_digital_link

#: prefixes the EPCIS 2.0 JSON-LD context (epcis-context.jsonld) defines itself
STANDARD_PREFIXES: Mapping[str, str] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
GS1_VOC = "https://gs1.org/voc/"
COMPONENT_BASE = f"{cbv.WEB_BASE}Comp-"

_CBV_URNS = {
    f"urn:epcglobal:cbv:{segment}:": f"{cbv.WEB_BASE}{vocab}-"
    for vocab, segment in cbv.URN_SEGMENTS.items()
}
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$",
    re.ASCII,
)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_MAX_EXPONENT = 100
_PREFIXED = re.compile(r"^([A-Za-z_][\w.\-]*):(.*)$", re.ASCII | re.DOTALL)


class Names:
    """Resolves ``prefix:local`` names and CURIE values through one event's namespaces."""

    def __init__(self, namespaces: Mapping[str, str] | None) -> None:
        self.prefixes = {**STANDARD_PREFIXES, **(namespaces or {})}

    def key(self, key: str) -> str:
        """``{namespace}local`` for an extension name; other names unchanged."""
        if key.startswith("@"):
            # an XML attribute kept as "@name" / "@prefix:local" (the parsers' convention)
            return self.key(key[1:])
        match = _PREFIXED.match(key)
        if match is None:
            return key
        prefix, local = match.groups()
        namespace = self.prefixes.get(prefix)
        if namespace is not None and not local.startswith("//"):
            return f"{{{namespace}}}{local}"
        if local.startswith("//"):
            # an absolute IRI as a name: split after its last '/' or '#', as XML would
            cut = max(key.rfind("/"), key.rfind("#")) + 1
            return f"{{{key[:cut]}}}{key[cut:]}"
        return key

    def expand(self, value: str) -> str:
        """Expand a CURIE value (``gs1:Temperature``) whose prefix is known."""
        match = _PREFIXED.match(value)
        if match is None or match.group(2).startswith("//"):
            return value
        prefix, rest = match.groups()
        namespace = self.prefixes.get(prefix)
        return value if namespace is None else namespace + rest


def text(value: Any) -> str:
    """A JSON scalar as text: booleans lowercase as in XML, null as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def number(raw: str) -> str | None:
    """``26.0`` → ``26``, ``0.3400`` → ``0.34``, ``+5`` → ``5``; None if not a decimal number."""
    if not _NUMBER.match(raw):
        return None
    value = Decimal(raw)
    if value.is_zero():
        return "0"
    if abs(value.adjusted()) > _MAX_EXPONENT:
        return raw  # written out in full it would be absurdly long (1e999999999)
    written = format(value, "f")  # every digit: Decimal.normalize() would round to 28
    return written.rstrip("0").rstrip(".") if "." in written else written


def timestamp(raw: str) -> str:
    """UTC with a ``Z`` and three fractional digits, the fourth rounding half up.

    A time without an offset is taken as UTC. Text that is no ISO 8601 date-time is kept.
    """
    match = _DATE_TIME.match(raw)
    if match is None:
        return raw
    day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    millis = int(Decimal(f"0.{fraction or 0}").quantize(Decimal("0.001"), ROUND_HALF_UP) * 1000)
    try:
        tz = UTC
        if sign is not None:
            delta = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-delta if sign == "-" else delta)
        parsed = datetime.fromisoformat(f"{day}T{hour}:{minute}:{second}").replace(tzinfo=tz)
        utc = (parsed + timedelta(milliseconds=millis)).astimezone(UTC)
    except (ValueError, OverflowError):
        return raw  # hour 25, month 13, an offset beyond ±24h, past the year 9999 ...
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def literal(value: Any, names: Names) -> str:
    """Any value that is not a GS1 key field (extensions, ILMD, free text, URIs).

    A CURIE with a known prefix is expanded wherever it stands, as the reference does (so
    ``ex:ambiance`` in an extension is the IRI it abbreviates). A value that is a valid GS1
    key becomes its Digital Link; one that only resembles a key is kept as written.
    """
    raw = _web_vocabulary(names.expand(text(value)))
    numeric = number(raw)
    if numeric is not None:
        return numeric
    try:
        return to_digital_link(raw)
    except IdentifierError:
        return raw


def identifier(value: Any, names: Names) -> str:
    """An EPC / location / party field: must be a valid GS1 key if it has the form of one.

    Raises IdentifierError, like the event mapping does for the same fields.
    """
    raw = _web_vocabulary(names.expand(text(value)))
    return number(raw) or to_digital_link(raw)


def vocabulary(value: Any, vocab: cbv.Vocabulary, names: Names) -> str:
    """A CBV-typed field: a standard term (in any of its forms) as its web URI."""
    raw = text(value)
    if cbv.is_standard(vocab, raw):
        return cbv.to_uri(vocab, raw)
    return literal(raw, names)


def gs1_term(value: Any, names: Names, base: str = GS1_VOC) -> str:
    """A term of the GS1 web vocabulary (measurement type, alert type): bare words expand."""
    raw = text(value)
    if raw and ":" not in raw:
        return base + raw
    return literal(raw, names)


def plain(value: Any, _: Names) -> str:
    """A code written as it is (action, uom, eventTimeZoneOffset, hexBinaryValue)."""
    return text(value)


def time(value: Any, _: Names) -> str:
    return timestamp(text(value))


def quantity(value: Any, _: Names) -> str:
    raw = text(value)
    return number(raw) or raw


def component(value: Any, names: Names) -> str:
    """A sensorReport component: a bare word is a CBV ``Comp-`` term."""
    return gs1_term(value, names, COMPONENT_BASE)


def _web_vocabulary(raw: str) -> str:
    """A CBV 1.x URN (``urn:epcglobal:cbv:bizstep:x``) as its CBV 2.0 web URI."""
    if raw.startswith("urn:epcglobal:cbv:"):
        for urn, web in _CBV_URNS.items():
            if raw.startswith(urn):
                return web + raw[len(urn) :]
    return raw
