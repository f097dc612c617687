"""Running a source connector from the command line: producer, serde, state, progress, signals.

The one place the CLI wires a :class:`connectors.sdk.Source` to Kafka, shared by
``ingest``, ``connectors run`` and ``demo``. SIGINT/SIGTERM ask the source to stop; the
runner then flushes and commits what was acknowledged, so Ctrl-C loses nothing.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from confluent_kafka import Producer

from connectors.sdk import Counts, DeliveryError, Source, SourceRunner, StateStore
from oretrail.cli._context import kafka_bootstrap, settings
from oretrail.kafka import ensure_topics, producer_config
from oretrail.serde import serde_for


@contextmanager
def _stop_on_signals(source: Source) -> Iterator[None]:
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        source.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def state_path(name: str, key: str) -> Path:
    return settings().home / "state" / f"{name}-{key}.json"


def run_source(
    source: Source, state: StateStore, progress: Callable[[Counts], None] | None = None
) -> Counts:
    """Deliver everything ``source`` yields; a click error if the broker fails to ack."""
    bootstrap = kafka_bootstrap()
    ensure_topics(bootstrap)
    producer = Producer(producer_config(bootstrap))
    runner = SourceRunner(producer, serde_for(settings()), progress=progress)
    with _stop_on_signals(source):
        try:
            return runner.run(source, state)
        except DeliveryError as exc:
            raise click.ClickException(f"Kafka did not acknowledge: {exc}") from exc


def interactive() -> bool:
    return sys.stderr.isatty()
