"""MQTT telemetry the plants publish: reactor, kiln and furnace temperatures and energy
meters during runs, weighbridge masses when lots arrive, lab assays of the lots made.

Written as JSON Lines (``mqtt/telemetry.jsonl``), one message a line:
``{"topic": ..., "payload": "<the payload as published, UTF-8 text>", "qos": 1,
"retain": false, "publishedAt": ...}`` in publishing order, with the connector's
configuration (``mqtt/mqtt.yaml``) whose payload mappings read them. Publish the lines to
a broker (``mosquitto_pub -t TOPIC -m PAYLOAD -q 1``, or any client) and run
``oretrail connectors run mqtt --config mqtt/mqtt.yaml``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import yaml

from simulator import ids
from simulator.feeds import FeedFile
from simulator.model import Commission, Flow, Move, Transform

#: what each plant's runs are watched by: (asset, device, type, unit, low, high)
PROCESS: Final = {
    "au-mine": ("flotation-1", "tt-101", "temperature", "degC", 18.0, 28.0),
    "fi-cobalt": ("leach-tank-2", "tt-204", "temperature", "degC", 78.0, 92.0),
    "fi-nickel": ("crystallizer-1", "tt-310", "temperature", "degC", 55.0, 65.0),
    "fi-lithium": ("roaster-1", "tc-1", "temperature", "degC", 1040.0, 1080.0),
    "pl-pcam": ("reactor-3", "tt-3", "temperature", "degC", 50.0, 60.0),
    "pl-cam": ("kiln-2", "tc-7", "temperature", "degC", 760.0, 800.0),
    "se-anode": ("carboniser-1", "tc-2", "temperature", "degC", 1050.0, 1150.0),
    "de-cells": ("dry-room-4", "rh-1", "humidity", "%", 0.5, 1.5),
}
#: kWh a run uses per kg of output (electricity meter at the line)
ENERGY_KWH_PER_KG: Final = {
    "au-mine": 0.05, "fi-cobalt": 0.6, "fi-nickel": 0.5, "fi-lithium": 1.8, "pl-pcam": 2.0,
    "pl-cam": 4.5, "se-anode": 3.0, "de-cells": 12.0,
}  # fmt: skip
ASSAYED: Final = ("drc-mine", "au-mine", "fi-cobalt", "fi-nickel", "pl-cam")


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    published: datetime
    readings: int  # readings the payload holds
    key: str  # what it is about (an operation key), for the manifest's fault lists


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def _message(topic: str, payload: Any, when: datetime, readings: int, key: str) -> Message:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Message(topic, data, when, readings, key)


def _runs(op: Transform, rand: random.Random, per_run: int) -> Iterator[Message]:
    site = op.site
    asset, device, kind, unit, low, high = PROCESS[site]
    for i in range(per_run):
        when = op.time - timedelta(hours=per_run - i)
        value = round(rand.uniform(low, high), 1)
        payload = {"v": value, "ts": _ms(when), "unit": unit}
        yield _message(f"plant/{site}/{asset}/{device}/{kind}", payload, when, 1, op.key)
    made = sum(kg for o in op.outputs for _, kg in o.lots())
    energy = round(made * ENERGY_KWH_PER_KG[site] * rand.uniform(0.9, 1.1), 1)
    payload = {"v": energy, "ts": _ms(op.time), "unit": "kWh"}
    yield _message(f"plant/{site}/{asset}/em-1/energy", payload, op.time, 1, op.key)


def _weighings(flow: Flow, moves: list[Move], rand: random.Random) -> Iterator[Message]:
    """A site's weighbridge gateway sends each day's weighings in one batch."""
    days: dict[tuple[str, str], list[Move]] = {}
    for m in moves:
        days.setdefault((m.site, f"{m.time:%Y-%m-%d}"), []).append(m)
    for (site, _), arrived in sorted(days.items()):
        batch = [
            {
                "deviceID": f"urn:oretrail:device:{site}:weighbridge-1",
                "type": "Mass",
                "value": round(m.kg / 1000 * rand.uniform(0.999, 1.001), 3),
                "uom": "t",
                "time": _iso(m.time - timedelta(minutes=20)),
                "assetID": flow.sites[site].uri,
                "lot": m.lot,
                "despatchAdvice": m.document,
            }
            for m in arrived
        ]
        when = max(m.time for m in arrived)
        payload = {"gateway": f"wb-gw-{site}", "batch": batch}
        yield _message(f"gw/{site}/readings", payload, when, len(batch), arrived[-1].key)


def _assays(op: Commission | Transform, rand: random.Random) -> Iterator[Message]:
    made = [(op.lot, op.declaration)] if isinstance(op, Commission) else [
        (lot, o.declaration) for o in op.outputs for lot, _ in o.lots()
    ]  # fmt: skip
    when = op.time + timedelta(hours=4)
    for lot, decl in made:
        readings = [
            {
                "deviceID": f"urn:oretrail:device:{op.site}:icp-oes-1",
                "type": "Dimensionless",
                "value": round(fraction * 100 * rand.uniform(0.995, 1.005), 3),
                "uom": "%",
                "time": _iso(when),
                "assetID": f"urn:oretrail:asset:{op.site}:lab",
                "element": element,
                "lot": lot,
                "method": "ICP-OES",
            }
            for element, fraction in decl.fractions
        ]
        yield _message(f"lab/{op.site}/assay", readings, when, len(readings), op.key)


def messages(flow: Flow, seed: int, per_run: int) -> list[Message]:
    rand = ids.rng(seed, "telemetry")
    out: list[Message] = []
    arrivals: list[Move] = []
    for op in flow.operations:
        if isinstance(op, Transform) and op.site in PROCESS:
            out += _runs(op, rand, per_run)
        if isinstance(op, Move) and op.step == "receiving":
            arrivals.append(op)
        if isinstance(op, Commission | Transform) and op.site in ASSAYED:
            out += _assays(op, rand)
    out += _weighings(flow, arrivals, rand)
    return sorted(out, key=lambda m: (m.published, m.topic, m.payload))


def line(message: Message) -> bytes:
    record = {
        "topic": message.topic,
        "payload": message.payload.decode(),
        "qos": 1,
        "retain": False,
        "publishedAt": _iso(message.published),
    }
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


#: the mqtt connector's payload mappings for these topics (connectors.iot.PayloadMapping)
MAPPINGS: Final = [
    {
        "topic": "plant/{site}/{asset}/{device}/{type}",
        "device_id": "urn:oretrail:device:{site}:{device}",
        "asset_id": "urn:oretrail:asset:{site}:{asset}",
        "type": "{type}",
        "value": "/v",
        "time": "/ts",
        "uom": "/unit",
        "epoch_unit": "ms",
    },
    {"topic": "gw/+/readings", "readings": "/batch"},
    # lab/{site}/assay: a list of readings in the default layout
]


def config() -> bytes:
    data = {
        "host": "127.0.0.1",
        "port": 1883,
        "client_id": "oretrail-simulated-chain",
        "topics": ["plant/#", "gw/+/readings", "lab/+/assay"],
        "mappings": MAPPINGS,
    }
    head = "# oretrail connectors run mqtt --config mqtt/mqtt.yaml (written by oretrail simulate)\n"
    return (head + yaml.safe_dump(data, sort_keys=False)).encode()


TELEMETRY = "mqtt/telemetry.jsonl"
CONFIG = "mqtt/mqtt.yaml"


def feed(found: list[Message], rejected: tuple[Any, ...] = (), duplicates: int = 0) -> FeedFile:
    return FeedFile(
        TELEMETRY,
        b"".join(line(m) for m in found),
        "mqtt-jsonl",
        "mqtt",
        None,
        max(m.published for m in found),
        events=sum(m.readings for m in found),
        duplicates=duplicates,
        rejected=rejected,
        notes={"messages": len(found), "config": CONFIG},
    )


def config_file(found: list[Message]) -> FeedFile:
    first = min(m.published for m in found)
    return FeedFile(CONFIG, config(), "mqtt-config", None, None, first)
