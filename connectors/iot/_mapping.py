"""Declarative JSON payload → readings mapping for MQTT messages.

A :class:`PayloadMapping` says where each reading field comes from. A field spec is either

- a JSON pointer (RFC 6901), starting with ``/``, into the reading object: ``/data/temp``;
- a template with ``{name}`` topic variables and ``{/pointer}`` payload values, everything
  else literal: ``urn:dev:{site}:{device}``, ``gs1:Temperature``, ``{type}``.

Topic variables come from ``topic``, a pattern such as ``plant/{site}/{asset}/{device}/{type}``
(``+`` matches one segment unnamed, a trailing ``#`` the rest). A message may hold one reading
object or a list of them; ``readings`` points at that list inside a bigger document.

The default mapping reads ``{"deviceID", "type", "value" | "stringValue", "uom", "time",
"assetID"}``; every other member of the reading object is kept as an attribute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, model_validator

from connectors.iot._errors import ReadingError
from connectors.iot._readings import EpochUnit, Reading, make_reading

_MISSING: Any = object()
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_MAX_ATTRIBUTE = 1024  # an attribute is context, not a second payload


class PayloadMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str = "#"
    readings: str = ""
    device_id: str = "/deviceID"
    type: str = "/type"
    value: str = "/value"
    string_value: str = "/stringValue"
    uom: str | None = "/uom"
    time: str = "/time"
    asset_id: str | None = "/assetID"
    epoch_unit: EpochUnit = "ms"

    @model_validator(mode="after")
    def _check(self) -> PayloadMapping:
        names = set(topic_names(self.topic))
        for spec in (self.device_id, self.type, self.uom, self.asset_id):
            for ref in _PLACEHOLDER.findall(spec or ""):
                if not ref.startswith("/") and ref not in names:
                    raise ValueError(f"{spec!r} uses {{{ref}}}, which topic {self.topic!r} lacks")
        for name, spec in (("value", self.value), ("string_value", self.string_value)):
            if not spec.startswith("/"):
                raise ValueError(f"{name} must be a JSON pointer (starting with /), got {spec!r}")
        if self.readings and not self.readings.startswith("/"):
            raise ValueError(f"readings must be a JSON pointer, got {self.readings!r}")
        return self


def topic_names(pattern: str) -> list[str]:
    return [seg[1:-1] for seg in pattern.split("/") if seg.startswith("{") and seg.endswith("}")]


def match_topic(pattern: str, topic: str) -> dict[str, str] | None:
    """The topic variables when ``topic`` matches ``pattern``, else None."""
    wanted, parts = pattern.split("/"), topic.split("/")
    found: dict[str, str] = {}
    for i, seg in enumerate(wanted):
        if seg == "#" and i == len(wanted) - 1:
            return found
        if i >= len(parts):
            return None
        if seg.startswith("{") and seg.endswith("}"):
            found[seg[1:-1]] = parts[i]
        elif seg != "+" and seg != parts[i]:
            return None
    return found if len(parts) == len(wanted) else None


def pointer(doc: Any, ptr: str) -> Any:
    """RFC 6901 lookup; ``_MISSING`` when the path does not exist."""
    if ptr == "":
        return doc
    for raw in ptr[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, Mapping):
            doc = doc.get(token, _MISSING)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return _MISSING
        if doc is _MISSING:
            return _MISSING
    return doc


def _scalar_text(value: Any, ref: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    raise ReadingError(f"{{{ref}}} is {'missing' if value is _MISSING else repr(value)}")


def _field(spec: str | None, obj: Any, variables: Mapping[str, str]) -> Any:
    if spec is None:
        return None
    if spec.startswith("/"):
        found = pointer(obj, spec)
        return None if found is _MISSING else found

    def fill(match: re.Match[str]) -> str:
        ref = match.group(1)
        text = _scalar_text(pointer(obj, ref), ref) if ref.startswith("/") else variables[ref]
        # Segments become parts of URIs: keep them free of spaces and reserved characters.
        return quote(text, safe="-._~")

    return _PLACEHOLDER.sub(fill, spec) or None


def _attributes(obj: Any, mapping: PayloadMapping) -> dict[str, str]:
    if not isinstance(obj, Mapping):
        return {}
    specs = (mapping.device_id, mapping.type, mapping.value, mapping.string_value,
             mapping.uom, mapping.time, mapping.asset_id)  # fmt: skip
    used = {s[1:].split("/")[0].replace("~1", "/").replace("~0", "~")
            for s in specs if s and s.startswith("/")}  # fmt: skip
    out = {}
    for key, value in obj.items():
        if key in used:
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out[str(key)] = text[:_MAX_ATTRIBUTE]
    return out


def _reading(
    obj: Any, mapping: PayloadMapping, variables: Mapping[str, str], assets: Mapping[str, str]
) -> Reading:
    if not isinstance(obj, Mapping):
        raise ReadingError(f"a reading must be a JSON object, got {type(obj).__name__}")
    device = _field(mapping.device_id, obj, variables)
    asset = _field(mapping.asset_id, obj, variables)
    if asset is None and isinstance(device, str):
        asset = assets.get(device)
    return make_reading(
        device_id=device,
        type_=_field(mapping.type, obj, variables),
        time=_field(mapping.time, obj, variables),
        value=_field(mapping.value, obj, variables),
        string_value=_field(mapping.string_value, obj, variables),
        uom=_field(mapping.uom, obj, variables),
        asset_id=asset,
        attributes=_attributes(obj, mapping),
        epoch_unit=mapping.epoch_unit,
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_payload(payload: bytes) -> Any:
    try:
        return json.loads(payload, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ReadingError("payload nests too deeply", "parse") from exc
    except ValueError as exc:
        raise ReadingError(f"payload is not JSON: {exc}", "parse") from exc


def choose(mappings: Sequence[PayloadMapping], topic: str) -> tuple[PayloadMapping, dict[str, str]]:
    """The first mapping whose topic pattern matches, else the default mapping."""
    for mapping in mappings:
        variables = match_topic(mapping.topic, topic)
        if variables is not None:
            return mapping, variables
    return DEFAULT_MAPPING, {}


def readings_from_payload(
    payload: bytes,
    topic: str,
    mappings: Sequence[PayloadMapping] = (),
    assets: Mapping[str, str] | None = None,
) -> Iterator[Reading | ReadingError]:
    """Each reading of one message, or the error that keeps it from being one.

    A message that cannot be read at all yields a single error; in a list, every element
    is judged on its own so one bad sensor does not hold back the others.
    """
    try:
        doc = decode_payload(payload)
        mapping, variables = choose(mappings, topic)
        items = pointer(doc, mapping.readings)
        if items is _MISSING:
            raise ReadingError(f"no readings at {mapping.readings!r}", "parse")
        batch = items if isinstance(items, list) else [items]
        if not batch:
            raise ReadingError("payload holds an empty list of readings", "parse")
    except ReadingError as exc:
        yield exc
        return
    for i, obj in enumerate(batch):
        try:
            yield _reading(obj, mapping, variables, assets or {})
        except ReadingError as exc:
            where = f"reading [{i}]: " if len(batch) > 1 else ""
            yield ReadingError(f"{where}{exc}", exc.stage)


DEFAULT_MAPPING = PayloadMapping()
