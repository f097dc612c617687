"""Benchmark: the stream processors (``oretrail worker``) against the embedded Kafka broker.

    .venv/bin/python benchmarks/processors.py --events 5000 --large 15000

On a generated supply chain (blocks of ore commissionings with ``ot:elementContent`` ILMD,
concentrate, refined and cathode transformations each consuming part of earlier lots; one
new lot per event), measures in one run:

1. the throughput of one worker (a real ``oretrail worker`` subprocess): events produced to
   a fresh events topic, timed until its consumer group committed the end offsets of the
   events and facts topics ("caught up"), and until every new lot had its first passport;
2. a bare confluent-kafka consume -> Avro decode -> encode -> produce loop over the same
   messages (the ceiling for Python);
3. end-to-end latency, produce time to the passport-update message timestamp of the lot,
   at about half the sustainable rate (dominated by the debounce interval, printed);
4. the per-event cost with the state holding ``--events`` vs ``--large`` lots, and the
   size of the worker's data directory per lot.

Worker CPU is read from /proc (user+system seconds of the worker process). Prints a table
and writes JSON to benchmarks/results/processors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

from oretrail import broker
from oretrail.cli._worker import wait_caught_up
from oretrail.config import Settings
from oretrail.epcis import DocumentEvent, to_trace_event
from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config
from oretrail.keys import lot_key
from oretrail.serde import SingleObjectSerde

OREtrail = str(Path(sys.executable).with_name("oretrail"))
ORE = "https://id.gs1.org/01/09506000134352/10/"
SULPHATE = "https://id.gs1.org/01/09506000134420/10/"
CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ot": "https://oretrail.dev/ns/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"},
]
NAMESPACES = {"ot": "https://oretrail.dev/ns/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"}
ORIGIN: dict[str, Any] = {
    "connector": "bench",
    "source": "bench",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
START = datetime(2026, 1, 1, tzinfo=UTC)
BLOCK = 5  # events (and new lots) per block of the chain


def _content(co: float, ni: float) -> list[dict[str, Any]]:
    return [
        {"ot:element": "Co", "ot:massFraction": co},
        {"ot:element": "Ni", "ot:massFraction": ni},
    ]


def _commission(lot: str, i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": (START + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": lot, "quantity": 20000, "uom": "KGM"}],
        "readPoint": {"id": "https://id.gs1.org/414/0950600012340"},
        "ilmd": {
            "cbvmda:countryOfOrigin": rng.choice(("CD", "ZM", "AU")),
            "ot:elementContent": _content(0.30, 0.05),
            "ot:carbonFootprint": {"ot:kgCO2ePerKg": 2.1, "ot:stage": "RawMaterialExtraction"},
        },
    }


def _transform(
    out: str, out_kg: float, inputs: list[tuple[str, float]], co: float, ni: float, i: int
) -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventTime": (START + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "bizStep": "commissioning",
        "disposition": "active",
        "inputQuantityList": [{"epcClass": e, "quantity": q, "uom": "KGM"} for e, q in inputs],
        "outputQuantityList": [{"epcClass": out, "quantity": out_kg, "uom": "KGM"}],
        "readPoint": {"id": "https://id.gs1.org/414/0950600022349"},
        "ot:chainOfCustody": "controlled_blending",
        "ot:processEmissions": {"ot:kgCO2e": 1000 + i % 500, "ot:stage": "MainProduction"},
        "ilmd": {"ot:elementContent": _content(co, ni)},
    }


def block_events(b: int, rng: random.Random) -> list[dict[str, Any]]:
    """Block ``b``: two ores, a concentrate of both, a refined lot of this concentrate and
    the previous block's, a cathode lot of the refined one. Mass balances hold throughout."""
    ore_a, ore_b = f"{ORE}ORE-{b}-A", f"{ORE}ORE-{b}-B"
    conc, prev = f"{ORE}CON-{b}", f"{ORE}CON-{max(b - 1, 0)}"
    refined, cathode = f"{SULPHATE}REF-{b}", f"{SULPHATE}CAT-{b}"
    i = b * BLOCK
    both = [(conc, 4000.0), (prev, 4000.0)] if b else [(conc, 8000.0)]
    return [
        _commission(ore_a, i, rng),
        _commission(ore_b, i + 1, rng),
        _transform(conc, 10000, [(ore_a, 8000), (ore_b, 8000)], 0.45, 0.07, i + 2),
        _transform(refined, 7000, both, 0.50, 0.07, i + 3),
        _transform(cathode, 20000, [(refined, 5000)], 0.12, 0.015, i + 4),
    ]


def encode_blocks(first: int, count: int, serde: SingleObjectSerde) -> list[tuple[bytes, bytes]]:
    """(key, Avro TraceEvent) of ``count`` blocks from block ``first`` (deterministic)."""
    rng = random.Random(first)  # noqa: S311 (test data, not secrets)
    out = []
    for b in range(first, first + count):
        for n, event in enumerate(block_events(b, rng)):
            doc = DocumentEvent(event, b * BLOCK + n, dict(NAMESPACES), list(CONTEXT))
            record = to_trace_event(doc, origin=ORIGIN)
            out.append((lot_key(record).encode(), serde.encode("trace_event", record, "b")))
    return out


def encode_fill(
    first: int, events: int, per_event: int, serde: SingleObjectSerde
) -> tuple[list[tuple[bytes, bytes]], set[bytes]]:
    """Commissioning events of ``per_event`` ore lots each (a mine registering a day's
    lots in one event): the state grows by ``per_event`` lots an event, so 10^6 lots are
    reached with 10^6 / per_event events. Also the lot keys whose passports to wait for."""
    rng = random.Random(first)  # noqa: S311 (test data, not secrets)
    out, lots = [], set()
    for e in range(first, first + events):
        event = _commission(f"{ORE}FILL-{e}-0", e, rng)
        names = [f"{ORE}FILL-{e}-{j}" for j in range(per_event)]
        event["quantityList"] = [{"epcClass": n, "quantity": 20000, "uom": "KGM"} for n in names]
        doc = DocumentEvent(event, e, dict(NAMESPACES), list(CONTEXT))
        record = to_trace_event(doc, origin=ORIGIN)
        out.append((lot_key(record).encode(), serde.encode("trace_event", record, "b")))
        lots.update(n.encode() for n in names)  # passport updates are keyed by lot
    return out, lots


class Passports(threading.Thread):
    """Collects the first passport-update timestamp (s) of every lot, in the background."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.consumer = Consumer(consumer_config(bootstrap, f"bench.{topic}"))
        self.consumer.subscribe([topic])
        self.first: dict[bytes, float] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error() is not None:
                continue
            key = msg.key() or b""
            with self.lock:
                self.first.setdefault(key, msg.timestamp()[1] / 1000)
        self.consumer.close()

    def wait_for(self, keys: set[bytes], timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if keys <= self.first.keys():
                    return time.perf_counter()
            time.sleep(0.05)
        raise TimeoutError(f"passports of {len(keys - self.first.keys())} lots never came")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, timeout: float = 600.0) -> float:
    """Until the worker is idle (< 5 % of a core over 2 s): after a large fill RocksDB
    compacts in background threads of the worker process for a while, and a probe started
    before that ends would count the compaction as per-event cost. Returns seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        before = cpu_seconds(pid)
        time.sleep(2.0)
        if cpu_seconds(pid) - before < 0.1:
            break
    return time.monotonic() - t0


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Bench:
    def __init__(self, bootstrap: str, tmp: Path, debounce: float) -> None:
        self.bootstrap, self.tmp = bootstrap, tmp
        self.name = f"bench.proc.{time.time_ns()}"
        self.events = f"{self.name}.events"
        self.passports = f"{self.name}.passports"
        self.data = tmp / "state"
        ensure_topics(
            bootstrap,
            [TopicSpec(f"{self.name}.{t}", 6) for t in ("events", "passports", "alerts", "dlq")],
        )
        env = {
            **os.environ,
            "ORETRAIL_HOME": str(tmp / "home"),
            "ORETRAIL_BOOTSTRAP": bootstrap,
            "ORETRAIL_WORKER_APP_ID": self.name,
            "ORETRAIL_WORKER_EVENTS_TOPIC": self.events,
            "ORETRAIL_WORKER_PASSPORTS_TOPIC": self.passports,
            "ORETRAIL_WORKER_ALERTS_TOPIC": f"{self.name}.alerts",
            "ORETRAIL_WORKER_DLQ_TOPIC": f"{self.name}.dlq",
            "ORETRAIL_WORKER_DEBOUNCE_SECONDS": str(debounce),
            "ORETRAIL_WORKER_DATA_DIR": str(self.data),
        }
        self.log = tmp / "worker.log"
        with self.log.open("w") as out:
            # BENCH_WORKER_PROFILE=<file>: run the worker under cProfile, stats written on stop
            profile = os.environ.get("BENCH_WORKER_PROFILE")
            prefix = [sys.executable, "-m", "cProfile", "-o", profile] if profile else []
            self.worker = subprocess.Popen(
                [*prefix, OREtrail, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.collector = Passports(bootstrap, self.passports)
        self.collector.start()
        self.producer = Producer(producer_config(bootstrap))
        self.lots = 0

    def produce(
        self, messages: list[tuple[bytes, bytes]], rate: float | None = None
    ) -> dict[bytes, float]:
        """Produce (paced at ``rate``/s when given); the wall time of each produce call."""
        sent: dict[bytes, float] = {}
        t0 = time.perf_counter()
        for n, (key, value) in enumerate(messages):
            if rate is not None:
                ahead = t0 + n / rate - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
            while True:
                try:
                    self.producer.produce(self.events, value=value, key=key)
                    break
                except BufferError:
                    self.producer.poll(0.05)
            sent[key] = time.time()
            self.producer.poll(0)
        assert self.producer.flush(120) == 0
        return sent

    def timed(
        self, messages: list[tuple[bytes, bytes]], lots: set[bytes] | None = None
    ) -> dict[str, float]:
        """Produce a batch as fast as possible, time the worker through it (until every
        lot in ``lots``, default one per message, had its first passport)."""
        if self.worker.poll() is not None:
            raise RuntimeError(f"worker exited:\n{self.log.read_text()[-3000:]}")
        cpu0, t0 = cpu_seconds(self.worker.pid), time.perf_counter()
        self.produce(messages)
        deadline = time.monotonic() + 1800
        wait_caught_up(self.bootstrap, self.name, [self.events, f"{self.name}-facts"], deadline)
        t_caught, cpu_caught = time.perf_counter(), cpu_seconds(self.worker.pid)
        wanted = lots if lots is not None else {k for k, _ in messages}
        t_pass = self.collector.wait_for(wanted, 7200)
        self.lots += len(wanted)
        n = len(messages)
        return {
            "events": n,
            "caught_up_s": t_caught - t0,
            "caught_up_events_per_s": n / (t_caught - t0),
            "worker_cpu_s_to_caught_up": cpu_caught - cpu0,
            "all_passports_s": t_pass - t0,
            "passports_events_per_s": n / (t_pass - t0),
            "worker_cpu_s_to_passports": cpu_seconds(self.worker.pid) - cpu0,
            "state_bytes_per_lot": du(self.data) / self.lots,
            "lots_in_state": self.lots,
        }

    def latency(self, messages: list[tuple[bytes, bytes]], rate: float) -> dict[str, float]:
        sent = self.produce(messages, rate)
        self.collector.wait_for(set(sent), 600)
        self.lots += len(messages)
        with self.collector.lock:
            lat = sorted(self.collector.first[k] - t for k, t in sent.items())
        return {
            "events": len(lat),
            "rate_events_per_s": rate,
            "p50_s": lat[len(lat) // 2],
            "p99_s": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "max_s": lat[-1],
        }

    def close(self) -> None:
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(60)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()
        self.collector.stop.set()
        self.collector.join(10)


def bare_loop(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> dict[str, float]:
    """consume -> decode -> encode -> produce with confluent-kafka, one thread."""
    serde = SingleObjectSerde()
    name = f"bench.bare.{time.time_ns()}"
    ensure_topics(bootstrap, [TopicSpec(f"{name}.in", 6), TopicSpec(f"{name}.out", 6)])
    producer = Producer(producer_config(bootstrap))
    for key, value in messages:
        while True:
            try:
                producer.produce(f"{name}.in", value=value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(120) == 0
    consumer = Consumer(consumer_config(bootstrap, name))
    consumer.subscribe([f"{name}.in"])
    done, n = 0, len(messages)
    wall, cpu = time.perf_counter(), time.process_time()
    while done < n:
        for msg in consumer.consume(500, 1.0):
            if msg.error() is not None:
                continue
            record = serde.decode("trace_event", msg.value() or b"", f"{name}.in")
            value = serde.encode("trace_event", record, f"{name}.out")
            while True:
                try:
                    producer.produce(f"{name}.out", value=value, key=msg.key())
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
            done += 1
    assert producer.flush(120) == 0
    consumer.commit(asynchronous=False)
    consumer.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"events": n, "wall_s": wall, "events_per_s": n / wall, "cpu_s": cpu}


def run(args: argparse.Namespace, bootstrap: str, tmp: Path) -> dict[str, Any]:
    serde = SingleObjectSerde()
    blocks = args.events // BLOCK
    probe_blocks = max(args.probe // BLOCK, 1)
    bench = Bench(bootstrap, tmp, args.debounce)
    results: dict[str, Any] = {}
    try:
        next_block = 1
        bench.timed(encode_blocks(0, 1, serde))  # warm-up: worker up, partitions assigned
        main = encode_blocks(next_block, blocks, serde)
        next_block += blocks
        results["throughput"] = bench.timed(main)
        results["bare"] = bare_loop(bootstrap, main)
        t = results["throughput"]
        rate = min(t["caught_up_events_per_s"], t["passports_events_per_s"]) / 2
        lat_n = max(min(int(rate * args.latency_seconds), 5000), BLOCK)
        results["latency"] = bench.latency(encode_blocks(next_block, lat_n // BLOCK, serde), rate)
        next_block += lat_n // BLOCK
        wait_idle(bench.worker.pid)  # both probes start from an idle worker
        results["probe_small"] = bench.timed(encode_blocks(next_block, probe_blocks, serde))
        next_block += probe_blocks
        fill = max(args.large - bench.lots, 0)
        if fill and args.fill_lots_per_event > 1:
            k = args.fill_lots_per_event
            messages, lots = encode_fill(next_block * BLOCK, fill // k, k, serde)
            results["fill"] = bench.timed(messages, lots)
        elif fill:
            results["fill"] = bench.timed(encode_blocks(next_block, fill // BLOCK, serde))
            next_block += fill // BLOCK
        results["settle_s"] = wait_idle(bench.worker.pid)
        results["probe_large"] = bench.timed(encode_blocks(next_block, probe_blocks, serde))
    finally:
        bench.close()
    results["debounce_s"] = args.debounce
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="throughput batch")
    parser.add_argument("--large", type=int, default=50_000, help="lots in state, last probe")
    parser.add_argument("--probe", type=int, default=2_000, help="events per cost probe")
    parser.add_argument(
        "--fill-lots-per-event",
        type=int,
        default=1,
        help="lots each fill event commissions (e.g. 100 reaches --large 1000000 in 10^4 events)",
    )
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--debounce", type=float, default=0.5, help="worker debounce (s)")
    parser.add_argument("--bootstrap", help="existing cluster; default: start the embedded broker")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/processors.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "broker")
        bootstrap = args.bootstrap or broker.start(settings).bootstrap
        try:
            results = run(args, bootstrap, Path(tmp))
            version = None if args.bootstrap else broker.kafka_version_from_log(settings)
        finally:
            if not args.bootstrap:
                broker.stop(settings)
    results.update(kafka=version, measuredAt=datetime.now(UTC).isoformat())
    print(f"\nstream processors, one worker, Kafka {version or args.bootstrap}")
    print(f"{'measure':<46}{'events':>8}{'events/s':>12}{'worker cpu s':>14}{'B/lot':>10}")
    for name in ("throughput", "probe_small", "fill", "probe_large"):
        r = results.get(name)
        if r is None:
            continue
        for label, s, c in (
            ("caught up", "caught_up_events_per_s", "worker_cpu_s_to_caught_up"),
            ("all passports out", "passports_events_per_s", "worker_cpu_s_to_passports"),
        ):
            print(
                f"{name + ' @' + str(r['lots_in_state']) + ' lots, ' + label:<46}"
                f"{r['events']:>8}{r[s]:>12,.0f}{r[c]:>14.1f}{r['state_bytes_per_lot']:>10,.0f}"
            )
    b = results["bare"]
    print(f"{'bare consume-decode-encode-produce':<46}{b['events']:>8}{b['events_per_s']:>12,.0f}")
    lat = results["latency"]
    print(
        f"latency at {lat['rate_events_per_s']:.0f} events/s (debounce {args.debounce} s): "
        f"p50 {lat['p50_s'] * 1000:.0f} ms, p99 {lat['p99_s'] * 1000:.0f} ms, "
        f"max {lat['max_s'] * 1000:.0f} ms over {lat['events']} events"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
