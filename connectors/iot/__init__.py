"""IoT connectors: MQTT (JSON payloads) and OPC UA data changes → SensorReading records.

Public API::

    MqttSource(MqttConfig)       name "mqtt",  env ORETRAIL_MQTT_*
    OpcUaSource(OpcUaConfig)     name "opcua", env ORETRAIL_OPCUA_*
    PayloadMapping               where a JSON payload keeps each reading field
    OpcUaNode                    what one OPC UA variable measures
    Reading, make_reading, to_record, reading_id, readings_from_payload   pure mapping
    normalise_uom, normalise_type                                         units and types

Errors: ReadingError (a ValueError with ``stage``) for input that cannot be a reading;
MqttError when the broker refuses us for good.
"""

from connectors.iot._errors import ReadingError
from connectors.iot._mapping import DEFAULT_MAPPING, PayloadMapping, readings_from_payload
from connectors.iot._mqtt import MqttConfig, MqttError, MqttSource
from connectors.iot._nodes import OpcUaNode
from connectors.iot._opcua import OpcUaConfig, OpcUaSource
from connectors.iot._readings import Reading, make_reading, reading_id, to_record
from connectors.iot._units import normalise_type, normalise_uom

__all__ = [
    "DEFAULT_MAPPING",
    "MqttConfig",
    "MqttError",
    "MqttSource",
    "OpcUaConfig",
    "OpcUaNode",
    "OpcUaSource",
    "PayloadMapping",
    "Reading",
    "ReadingError",
    "make_reading",
    "normalise_type",
    "normalise_uom",
    "reading_id",
    "readings_from_payload",
    "to_record",
]
