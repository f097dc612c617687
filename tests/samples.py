"""Sample records shared by tests that need a valid Avro record of a given schema."""

from __future__ import annotations

from datetime import UTC, datetime


def sensor_reading(i: int) -> dict[str, object]:
    return {
        "readingID": f"r-{i}",
        "deviceID": "urn:dev:furnace-7",
        "assetID": "https://id.gs1.org/414/0614141073467",
        "type": "gs1:Temperature",
        "time": datetime(2026, 11, 24, 12, 0, i, tzinfo=UTC),
        "value": 1250.0 + i,
        "stringValue": None,
        "uom": "CEL",
        "attributes": {"line": "kiln-2"},
        "origin": {
            "connector": "test",
            "source": "mqtt://plant/furnace",
            "position": str(i),
            "format": "mqtt-json",
            "receivedAt": datetime(2026, 11, 24, 12, 0, 59, tzinfo=UTC),
        },
    }
