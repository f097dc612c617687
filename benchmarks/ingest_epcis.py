"""Benchmark: EPCIS JSON ingest, events/s per core, against the embedded Kafka broker.

    make bench            (or: .venv/bin/python benchmarks/ingest_epcis.py --events 100000)

Measures, on one generated document of refinery events (URN identifiers, ILMD, extensions):

* stage rates in-process: parse; parse+validate+normalise+hash (to_trace_event); + Avro encode
* the full path of `oretrail ingest epcis` (parse, validate, normalise, hash, encode, produce,
  acknowledged with acks=all), through EpcisFileSource and SourceRunner
* the bare rate of producing the same Avro bytes with confluent-kafka (the ceiling)

"Per core" divides by the process's CPU seconds (all threads, librdkafka's included), so it
does not depend on how many cores the machine has. Prints a table and writes JSON results.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from connectors.epcis import EpcisFileConfig, EpcisFileSource, iter_json_events
from connectors.sdk import SourceRunner, StateStore
from oretrail import broker
from oretrail.config import Settings
from oretrail.epcis import to_trace_event
from oretrail.kafka import TopicSpec, ensure_topics, producer_config
from oretrail.keys import lot_key
from oretrail.serde import SingleObjectSerde

LGTIN = "urn:epc:class:lgtin:9506000"
BT = "urn:epcglobal:cbv:bt:9506000000008"
ORIGIN: dict[str, Any] = {
    "connector": "bench",
    "source": "bench",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}


def _event(i: int) -> dict[str, Any]:
    if i % 3 == 0:
        return {
            "type": "TransformationEvent",
            "eventTime": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000+01:00",
            "eventTimeZoneOffset": "+01:00",
            "inputQuantityList": [
                {
                    "epcClass": f"urn:epc:class:lgtin:9506000.013442.HYD-{i}",
                    "quantity": 20.0,
                    "uom": "TNE",
                }
            ],
            "outputQuantityList": [
                {
                    "epcClass": f"urn:epc:class:lgtin:9506000.013435.CO-{i}",
                    "quantity": 4.1,
                    "uom": "TNE",
                }
            ],
            "bizStep": "commissioning",
            "readPoint": {"id": "urn:epc:id:sgln:9506000.01234.0"},
            "ilmd": {"ot:elementMass": {"Co": 3.9, "Ni": 0.05}, "cbvmda:lotNumber": f"CO-{i}"},
            "ot:chainOfCustody": "controlled_blending",
        }
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:30.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": f"{LGTIN}.013435.CO-{i - 1}", "quantity": 4.1, "uom": "TNE"}],
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:9506000.02234.0"},
        "bizTransactionList": [{"type": "po", "bizTransaction": f"{BT}:{i}"}],
    }


def write_document(path: Path, n: int) -> None:
    context = [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"ot": "https://oretrail.dev/ns/epcis/"},
    ]
    with path.open("w") as fh:
        fh.write('{"@context": ' + json.dumps(context))
        fh.write(', "type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": [')
        for i in range(n):
            fh.write(("," if i else "") + json.dumps(_event(i)))
        fh.write("]}}")


@dataclass
class Result:
    name: str
    events: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.events / self.wall_s

    @property
    def per_core_s(self) -> float:
        return self.events / self.cpu_s


def _timed(name: str, n: int, work: Callable[[], int]) -> Result:
    wall, cpu = time.perf_counter(), time.process_time()
    done = work()
    result = Result(name, done, time.perf_counter() - wall, time.process_time() - cpu)
    assert done == n, f"{name}: {done} of {n}"
    return result


def run(n: int, bootstrap: str, doc: Path) -> list[Result]:
    serde = SingleObjectSerde()
    results = []

    def parse() -> int:
        with doc.open("rb") as fh:
            return sum(1 for _ in iter_json_events(fh))

    def normalise() -> int:
        with doc.open("rb") as fh:
            return sum(1 for e in iter_json_events(fh) if to_trace_event(e, origin=ORIGIN))

    encoded: list[tuple[bytes, bytes]] = []

    def encode() -> int:
        encoded.clear()
        with doc.open("rb") as fh:
            for e in iter_json_events(fh):
                record = to_trace_event(e, origin=ORIGIN)
                encoded.append((lot_key(record).encode(), serde.encode("trace_event", record, "b")))
        return len(encoded)

    results.append(_timed("parse", n, parse))
    results.append(_timed("parse+validate+normalise+hash", n, normalise))
    results.append(_timed("... + avro encode", n, encode))

    topic = f"bench.events.{time.time_ns()}"
    ensure_topics(bootstrap, [TopicSpec(topic, 6), TopicSpec("oretrail.dlq", 3)])

    def full() -> int:
        source = EpcisFileSource(EpcisFileConfig(paths=(doc,), topic=topic))
        runner = SourceRunner(Producer(producer_config(bootstrap)), serde)
        with tempfile.TemporaryDirectory() as tmp:
            counts = runner.run(source, StateStore(Path(tmp) / "state.json"))
        return counts.accepted

    results.append(_timed("ingest, produced and acked (oretrail)", n, full))

    bare_topic = f"bench.bare.{time.time_ns()}"
    ensure_topics(bootstrap, [TopicSpec(bare_topic, 6)])

    def bare() -> int:
        producer = Producer(producer_config(bootstrap))
        acked = 0

        def on_delivery(err: Any, msg: Any) -> None:
            nonlocal acked
            acked += err is None

        for key, value in encoded:
            while True:
                try:
                    producer.produce(bare_topic, value=value, key=key, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
        producer.flush(120)
        return acked

    results.append(_timed("bare confluent-kafka produce, acked", n, bare))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--bootstrap", help="existing cluster; default: start the embedded broker")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ingest_epcis.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "bench.jsonld"
        write_document(doc, args.events)
        settings = Settings(home=Path(tmp) / "home")
        bootstrap = args.bootstrap or broker.start(settings).bootstrap
        try:
            results = run(args.events, bootstrap, doc)
            version = None if args.bootstrap else broker.kafka_version_from_log(settings)
        finally:
            if not args.bootstrap:
                broker.stop(settings)
    print(f"\nEPCIS JSON ingest, {args.events} events, Kafka {version or args.bootstrap}")
    print(f"{'stage':<42}{'events/s':>12}{'events/s per core':>20}")
    for r in results:
        print(f"{r.name:<42}{r.per_s:>12,.0f}{r.per_core_s:>20,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "events": args.events,
                "kafka": version,
                "measuredAt": datetime.now(UTC).isoformat(),
                "results": [
                    {
                        "stage": r.name,
                        "wall_s": r.wall_s,
                        "cpu_s": r.cpu_s,
                        "events_per_s": r.per_s,
                        "events_per_core_s": r.per_core_s,
                    }
                    for r in results
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
