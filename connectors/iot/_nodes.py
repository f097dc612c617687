"""What an OPC UA variable measures, and its data changes → readings. Pure: no I/O.

OPC UA variables carry a value, a status and timestamps but no EPCIS meaning, so each
subscribed node is configured with its measurement type, unit, device and asset. Values
with a Bad status are not measurements: they become errors for the dead-letter topic.
Uncertain values are kept, with the status in the ``opcuaStatus`` attribute.

OPC UA servers keep no history a subscriber could replay, so the position of this source
is a watermark per node: the SourceTimestamp of the last value published. After a restart
values at or before it (the server re-sends each variable's current value on subscribe)
are skipped rather than published twice; values that changed while the connector was
down are gone unless the server's monitored-item queue still held them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from connectors.iot._errors import ReadingError
from connectors.iot._readings import Reading, make_reading
from connectors.iot._units import check_unit_fits, is_uri, normalise_type, normalise_uom


class OpcUaNode(BaseModel):
    """One monitored variable, e.g. ``ns=2;s=Furnace3.TC1`` measuring gs1:Temperature in CEL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: str
    type: str
    uom: str | None = None
    device_id: str
    asset_id: str | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return normalise_type(value)

    @field_validator("uom")
    @classmethod
    def _uom(cls, value: str | None) -> str | None:
        return None if value is None else normalise_uom(value)

    @field_validator("device_id", "asset_id")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not is_uri(value):
            raise ValueError(f"{value!r} is not a URI")
        return value

    @model_validator(mode="after")
    def _fits(self) -> OpcUaNode:
        check_unit_fits(self.type, self.uom, numeric=False)
        return self


def utc(when: datetime) -> datetime:
    """asyncua hands out naive datetimes in UTC (or aware ones, depending on version)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def node_reading(
    node: OpcUaNode,
    value: Any,
    *,
    status: str,
    good: bool,
    uncertain: bool,
    source_time: datetime | None,
    server_time: datetime | None,
) -> Reading:
    """The reading for one data change; ReadingError for bad status or unusable values."""
    if not (good or uncertain):
        raise ReadingError(f"{node.node_id} reported status {status}")
    when = source_time or server_time
    if when is None:
        raise ReadingError(f"{node.node_id} sent a value without a timestamp")
    number: Any = None
    text: str | None = None
    if isinstance(value, bool):
        text = "true" if value else "false"  # EPCIS booleanValue has no field in the schema
    elif isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        text = value
    else:
        raise ReadingError(f"{node.node_id} value {value!r} is not a number or a string")
    return make_reading(
        device_id=node.device_id,
        type_=node.type,
        time=utc(when).isoformat(),
        value=number,
        string_value=text,
        uom=node.uom,
        asset_id=node.asset_id,
        attributes={"opcuaNodeId": node.node_id} | ({"opcuaStatus": status} if uncertain else {}),
    )


def load_watermarks(position: str | None) -> dict[str, datetime]:
    """The per-node watermarks saved by :func:`dump_watermarks` (empty when none)."""
    if not position:
        return {}
    try:
        raw = json.loads(position)
        if not isinstance(raw, Mapping):
            raise ValueError("not a JSON object")
        return {str(k): utc(datetime.fromisoformat(str(v))) for k, v in raw.items()}
    except ValueError as exc:
        raise ReadingError(
            f"saved OPC UA position {position[:200]!r} is unreadable: {exc}"
        ) from exc


def dump_watermarks(marks: Mapping[str, datetime]) -> str:
    return json.dumps(
        {k: v.isoformat(timespec="microseconds") for k, v in sorted(marks.items())},
        separators=(",", ":"),
    )
