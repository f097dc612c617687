"""sensorElementList ↔ the Avro SensorElement records (EPCIS 2.0 §7.3.8)."""

from __future__ import annotations

import json
from typing import Any

from oretrail.epcis._errors import EpcisValidationError
from oretrail.epcis._values import (
    as_list,
    as_object,
    format_time,
    is_extension_key,
    optional_number,
    optional_str,
    parse_time,
    uom,
)
from oretrail.identifiers import IdentifierError, to_digital_link

_TIMES = ("time", "startTime", "endTime")
_METADATA_STR = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules")
_REPORT_STR = (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
    "bizRules", "microorganism", "chemicalSubstance", "component", "stringValue", "hexBinaryValue",
    "uriValue", "coordinateReferenceSystem",
)  # fmt: skip
_REPORT_NUM = ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue")


def _device(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return to_digital_link(value)
    except IdentifierError as exc:
        raise EpcisValidationError(f"{field}: {exc}") from exc


def _extras(obj: dict[str, Any], known: set[str], field: str) -> str:
    extra = {k: v for k, v in obj.items() if k not in known}
    for key in extra:
        if not is_extension_key(key):
            raise EpcisValidationError(f"{field} has an unknown field {key!r}")
    return json.dumps(extra, ensure_ascii=False, separators=(",", ":"))


def _metadata(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = as_object(value, field)
    out: dict[str, Any] = {
        t: None if obj.get(t) is None else parse_time(obj[t], f"{field}.{t}") for t in _TIMES
    }
    for key in _METADATA_STR:
        out[key] = optional_str(obj.get(key), f"{field}.{key}")
    out["deviceID"] = _device(out["deviceID"], f"{field}.deviceID")
    out["extensions"] = _extras(obj, set(_TIMES) | set(_METADATA_STR), field)
    return out


def _report(value: Any, field: str) -> dict[str, Any]:
    obj = as_object(value, field)
    out: dict[str, Any] = {k: optional_str(obj.get(k), f"{field}.{k}") for k in _REPORT_STR}
    out.update({k: optional_number(obj.get(k), f"{field}.{k}") for k in _REPORT_NUM})
    out["deviceID"] = _device(out["deviceID"], f"{field}.deviceID")
    out["time"] = None if obj.get("time") is None else parse_time(obj["time"], f"{field}.time")
    boolean = obj.get("booleanValue")
    if boolean is not None and not isinstance(boolean, bool):
        raise EpcisValidationError(f"{field}.booleanValue must be true or false")
    out["booleanValue"] = boolean
    out["uom"] = uom(obj.get("uom"), f"{field}.uom")
    known = set(_REPORT_STR) | set(_REPORT_NUM) | {"time", "booleanValue", "uom"}
    out["extensions"] = _extras(obj, known, field)
    return out


def sensor_elements(value: Any) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(as_list(value, "sensorElementList")):
        field = f"sensorElementList[{i}]"
        obj = as_object(item, field)
        reports = as_list(obj.get("sensorReport"), f"{field}.sensorReport")
        out.append(
            {
                "sensorMetadata": _metadata(obj.get("sensorMetadata"), f"{field}.sensorMetadata"),
                "sensorReport": [
                    _report(r, f"{field}.sensorReport[{j}]") for j, r in enumerate(reports)
                ],
                "extensions": _extras(obj, {"sensorMetadata", "sensorReport"}, field),
            }
        )
    return out


def _compact(record: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in skip or value is None:
            continue
        out[key] = format_time(value) if key in _TIMES else value
    out.update(json.loads(record.get("extensions") or "{}"))
    return out


def sensor_elements_json(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The inverse of :func:`sensor_elements`: Avro records → JSON-LD sensorElement objects."""
    out = []
    for element in elements:
        obj: dict[str, Any] = {}
        if element.get("sensorMetadata") is not None:
            obj["sensorMetadata"] = _compact(element["sensorMetadata"], ("extensions",))
        if element.get("sensorReport"):
            obj["sensorReport"] = [_compact(r, ("extensions",)) for r in element["sensorReport"]]
        obj.update(json.loads(element.get("extensions") or "{}"))
        out.append(obj)
    return out
