"""The whole pipeline for ``oretrail demo``: worker, credential sink and resolver over what was
ingested, until the passports settle, then a summary of what the pipeline made.

"Settled" is read from the broker, not guessed from a timer: the worker's consumer group has
committed the end of the events and facts topics, the passport-updates topic has stopped
growing for a few debounce intervals (a lot is updated once it was quiet that long), and the
sink's group has committed its end (the sink commits a passport update only once its
credential is stored).
"""

from __future__ import annotations

import asyncio
import functools
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click
from confluent_kafka import Consumer, TopicPartition

from oretrail.cli._capture import Service, ServiceFailed
from oretrail.cli._sink import sink_services, sink_topics
from oretrail.cli._worker import WorkerService
from oretrail.config import Settings
from oretrail.kafka import consumer_config, end_offsets
from sink.config import SinkSettings
from sink.storage import CredentialStore, open_storage
from streams.app import WorkerConfig

ALERTS, DLQ = "oretrail.alerts", "oretrail.dlq"


def topic_ends(bootstrap: str, topics: Sequence[str]) -> dict[str, dict[int, int]]:
    consumer = Consumer(consumer_config(bootstrap, "oretrail-demo-reader"))
    try:
        return {t: end_offsets(consumer, t) for t in topics}
    finally:
        consumer.close()


def _grown(before: dict[int, int], after: dict[int, int]) -> int:
    return sum(end - before.get(p, 0) for p, end in after.items())


def _committed_to(bootstrap: str, group: str, topic: str, ends: dict[int, int]) -> bool:
    wanted = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
    if not wanted:
        return True
    consumer = Consumer(consumer_config(bootstrap, group))
    try:
        committed = consumer.committed(wanted, timeout=10)
    finally:
        consumer.close()
    return all(tp.offset >= ends[tp.partition] for tp in committed)


class Cancelled(Exception):
    """The pipeline stopped (a service ended, or Ctrl-C) before it settled."""


def wait_settled(
    bootstrap: str,
    worker: WorkerConfig,
    sink: SinkSettings,
    timeout: float,
    cancelled: threading.Event,
) -> None:
    """Until the worker and the sink have handled everything ingested (see the module)."""
    deadline = time.monotonic() + timeout
    topics = sink_topics()

    def until(done: Callable[[], bool], what: str) -> None:
        while not done():
            if cancelled.is_set():
                raise Cancelled
            if time.monotonic() >= deadline:
                raise click.ClickException(f"{what} did not happen within {timeout:g} s")
            time.sleep(0.5)

    for topic in (worker.events_topic, worker.facts_topic):
        ends = topic_ends(bootstrap, [topic])[topic]
        caught_up = functools.partial(_committed_to, bootstrap, worker.app_id, topic, ends)
        until(caught_up, f"the worker catching up with {topic}")
    quiet_for = max(3 * worker.debounce_seconds, 2.0)
    seen: dict[str, Any] = {"ends": None, "since": time.monotonic()}

    def passports_done() -> bool:
        ends = topic_ends(bootstrap, [topics.passports_topic])[topics.passports_topic]
        if ends != seen["ends"]:
            seen.update(ends=ends, since=time.monotonic())
            return False
        quiet = time.monotonic() - seen["since"] >= quiet_for
        return quiet and _committed_to(bootstrap, topics.group_id, topics.passports_topic, ends)

    until(passports_done, "the passports settling and the sink signing them")


@dataclass(frozen=True)
class Made:
    """What the pipeline made of the ingested events."""

    dead_letters: int
    alerts: int
    products: list[str]
    passport_versions: int
    dtes: int
    facility_records: int


def made(
    core: Settings, sink: SinkSettings, bootstrap: str, before: dict[str, dict[int, int]]
) -> Made:
    after = topic_ends(bootstrap, list(before))
    store = CredentialStore(open_storage(sink.storage(core.home), sink))
    try:
        products = store.products()
        dtes = {s.sha256 for p in products for s in store.dtes(p)}
        return Made(
            dead_letters=_grown(before[DLQ], after[DLQ]),
            alerts=_grown(before[ALERTS], after[ALERTS]),
            products=products,
            passport_versions=sum(len(store.versions(p)) for p in products),
            dtes=len(dtes),
            facility_records=len(store.facilities()),
        )
    finally:
        store.close()


def showcase(products: Sequence[str]) -> str | None:
    """The product to show: a serialised item (a pack) if there is one, else the last lot."""
    items = [p for p in products if "/21/" in p]
    chosen = sorted(items or products)
    return chosen[-1] if chosen else None


async def run_pipeline(
    core: Settings,
    sink: SinkSettings,
    bootstrap: str,
    after_settled: Callable[[], Any],
    keep_serving: bool,
    timeout: float = 600.0,
) -> None:
    """Run worker, sink and resolver; call ``after_settled`` (in a thread) once the pipeline
    has handled what was ingested; then stop, or keep serving until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    services: list[Service] = [
        WorkerService(core, bootstrap),
        *sink_services(core, sink, bootstrap),
    ]
    tasks = [asyncio.create_task(s.run(stop), name=s.name) for s in services]
    cancelled = threading.Event()
    try:
        work = asyncio.create_task(
            asyncio.to_thread(_settle_then, bootstrap, sink, after_settled, timeout, cancelled)
        )
        await asyncio.wait([work, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            work.result()  # raises what settling raised
            if keep_serving:
                click.echo("serving until Ctrl-C ...", err=True)
                await asyncio.wait(
                    [asyncio.create_task(stop.wait()), *tasks],
                    return_when=asyncio.FIRST_COMPLETED,
                )
    finally:
        cancelled.set()
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    failures = [(s.name, r) for s, r in zip(services, results, strict=True) if r is not None]
    if failures:
        name, exc = failures[0]
        raise ServiceFailed(f"service {name} failed: {exc!r}") from exc


def _settle_then(
    bootstrap: str,
    sink: SinkSettings,
    after_settled: Callable[[], Any],
    timeout: float,
    cancelled: threading.Event,
) -> None:
    try:
        wait_settled(bootstrap, WorkerConfig(), sink, timeout, cancelled)
    except Cancelled:
        return
    after_settled()
