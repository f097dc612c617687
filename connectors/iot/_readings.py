"""A validated sensor reading and its SensorReading Avro record (EPCIS sensorReport terms).

Pure: no I/O. Both IoT connectors build :class:`Reading` values through :func:`make_reading`,
which checks every field and raises :class:`ReadingError` with a clear message otherwise.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from connectors.iot._errors import ReadingError
from connectors.iot._units import check_unit_fits, is_uri, normalise_type, normalise_uom

EpochUnit = Literal["s", "ms"]

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # later is a clock or mapping error, not a reading
_EPOCH_SCALE = {"s": 1.0, "ms": 1000.0}
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class Reading:
    device_id: str
    type: str
    time: datetime
    value: float | None
    string_value: str | None
    uom: str | None
    asset_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def reading_id(self) -> str:
        return reading_id(self.device_id, self.type, self.time, self.value, self.string_value)


def reading_id(
    device_id: str, type_: str, time: datetime, value: float | None, string_value: str | None
) -> str:
    """Stable across re-deliveries: the same measurement always hashes to the same id."""
    shown = repr(float(value)) if value is not None else f"s:{string_value}"
    stamp = time.astimezone(UTC).isoformat(timespec="microseconds")
    digest = hashlib.sha256("\x1f".join((device_id, type_, stamp, shown)).encode()).hexdigest()
    return f"urn:uuid:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def parse_time(raw: Any, epoch_unit: EpochUnit = "ms") -> datetime:
    """RFC 3339 / ISO 8601 with a zone offset, or a number of seconds / ms since 1970."""
    if isinstance(raw, bool) or raw is None:
        raise ReadingError(f"time {raw!r} is not a date-time")
    if isinstance(raw, int | float):
        try:
            when = _EARLIEST + timedelta(seconds=float(raw) / _EPOCH_SCALE[epoch_unit])
        except (OverflowError, ValueError) as exc:
            raise ReadingError(f"time {raw!r} is out of range") from exc
    elif isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw.strip())
        except ValueError as exc:
            raise ReadingError(f"time {raw!r} is not an ISO 8601 date-time") from exc
        if when.tzinfo is None:
            raise ReadingError(f"time {raw!r} has no time zone offset")
    else:
        raise ReadingError(f"time {raw!r} is not a date-time string or epoch number")
    when = when.astimezone(UTC)
    if not _EARLIEST <= when < _LATEST:
        raise ReadingError(f"time {raw!r} is outside 1970..2200")
    return when


def parse_number(raw: Any) -> float:
    """A finite number from a JSON number or a decimal string (gateways send both)."""
    if isinstance(raw, bool):
        raise ReadingError(f"value {raw!r} is a boolean, not a number")
    if isinstance(raw, str) and _DECIMAL.match(raw.strip()):
        raw = raw.strip()
    elif not isinstance(raw, int | float):
        raise ReadingError(f"value {raw!r} is not a number")
    try:
        number = float(raw)
    except OverflowError as exc:
        raise ReadingError(f"value {raw!r} is too large") from exc
    if not math.isfinite(number):
        raise ReadingError(f"value {raw!r} is not finite")
    return number


def _uri(raw: Any, what: str) -> str:
    if not isinstance(raw, str) or not is_uri(raw.strip()):
        raise ReadingError(f"{what} {raw!r} is not a URI")
    return raw.strip()


def make_reading(
    *,
    device_id: Any,
    type_: Any,
    time: Any,
    value: Any = None,
    string_value: Any = None,
    uom: Any = None,
    asset_id: Any = None,
    attributes: Mapping[str, str] | None = None,
    epoch_unit: EpochUnit = "ms",
) -> Reading:
    """Check and normalise every field; ReadingError names the first that is wrong."""
    if not isinstance(type_, str):
        raise ReadingError(f"type {type_!r} is missing or not a string")
    kind = normalise_type(type_)
    number: float | None = None
    text: str | None = None
    if value is not None:
        number = parse_number(value)
    elif isinstance(string_value, str):
        text = string_value
    elif string_value is not None:
        raise ReadingError(f"stringValue {string_value!r} is not a string")
    else:
        raise ReadingError("missing value: neither value nor stringValue is present")
    if uom is not None and not isinstance(uom, str):
        raise ReadingError(f"uom {uom!r} is not a string")
    code = normalise_uom(uom) if uom is not None else None
    check_unit_fits(kind, code, numeric=number is not None)
    return Reading(
        device_id=_uri(device_id, "deviceID"),
        type=kind,
        time=parse_time(time, epoch_unit),
        value=number,
        string_value=text,
        uom=code,
        asset_id=None if asset_id is None else _uri(asset_id, "assetID"),
        attributes=dict(attributes or {}),
    )


def to_record(
    reading: Reading,
    *,
    connector: str,
    source: str,
    position: str,
    fmt: str,
    received_at: datetime,
) -> dict[str, Any]:
    """The SensorReading Avro value (schemas/sensor_reading.avsc)."""
    return {
        "readingID": reading.reading_id,
        "deviceID": reading.device_id,
        "assetID": reading.asset_id,
        "type": reading.type,
        "time": reading.time,
        "value": reading.value,
        "stringValue": reading.string_value,
        "uom": reading.uom,
        "attributes": dict(reading.attributes),
        "origin": {
            "connector": connector,
            "source": source,
            "position": position,
            "format": fmt,
            "receivedAt": received_at,
        },
    }
