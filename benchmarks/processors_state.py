"""Benchmark: the processors' pure path (no Kafka, no faust) as the state grows.

    .venv/bin/python benchmarks/processors_state.py --fill-events 10000   # 10^6 lots

Applies the chain of ``benchmarks/processors.py`` (``FactState`` over plain dicts: merge,
downstream, pending) and traces every due lot together (``trace_json_many``), once with a
few thousand lots in state and once after ``--fill-events`` commissioning events of 100 lots
each: CPU µs an event for apply and for trace. The worker adds faust's per-message cost and
RocksDB on top (``make bench-processors``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processors import encode_blocks, encode_fill

from oretrail.serde import SingleObjectSerde
from streams import ledger
from streams.processors import FactState, Forwarded, reduce_event


def measure(state: FactState, messages: list[tuple[bytes, bytes]], serde: SingleObjectSerde) -> str:
    forwarded = [reduce_event(serde, v, "events", 0, i) for i, (_, v) in enumerate(messages)]
    assert all(isinstance(f, Forwarded) for f in forwarded), "the benchmark's events are valid"
    t0 = time.process_time()
    state.apply_all(forwarded, 0)  # type: ignore[arg-type]  # all Forwarded (asserted)
    t1 = time.process_time()
    due = state.due(10**15, 1)
    with state.view.cached():
        ledger.trace_json_many([lot for lot, _ in due], state.view, state.config)
    for lot, _ in due:
        state.updated(lot)
    t2 = time.process_time()
    n = len(forwarded)
    return f"apply {1e6 * (t1 - t0) / n:,.0f} µs/event, trace {1e6 * (t2 - t1) / n:,.0f} µs/event"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=400, help="probe blocks (5 events each)")
    parser.add_argument("--fill-events", type=int, default=1000, help="100 lots each")
    args = parser.parse_args()
    serde = SingleObjectSerde()
    state = FactState({}, {}, {}, {})
    first = encode_blocks(1, args.blocks, serde)
    print(f"{args.blocks * 5:,} new lots into an empty state: probe", measure(state, first, serde))
    fill, lots = encode_fill(10_000, args.fill_events, 100, serde)
    print(f"fill of {len(lots):,} lots:", measure(state, fill, serde))
    probe = encode_blocks(args.blocks + 100, args.blocks, serde)
    print(f"{len(lots) + args.blocks * 5:,} lots in state: probe", measure(state, probe, serde))


if __name__ == "__main__":
    main()
