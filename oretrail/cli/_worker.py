"""``oretrail worker`` (the stream processors alone) and ``oretrail trace ID``.

The worker is configured by ``ORETRAIL_WORKER_*`` (``streams.app.WorkerConfig``) and records
its web address in ``<home>/worker/<app id>.json``; ``trace`` reads that record and asks the
worker's ``GET /trace/{id}``. ``--wait-seconds N`` first waits (up to N s) until the worker's
consumer group has committed the end offsets the events topic had when the command started,
then the end offsets of the worker's internal facts topic: the answer then includes every
event produced before ``trace`` ran.

:class:`WorkerService` runs ``oretrail worker`` as a child process for ``oretrail run``:
faust owns its event loop, signals and logging, so it gets a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import click
from confluent_kafka import Consumer, TopicPartition
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from oretrail.cli._context import kafka_bootstrap, settings
from oretrail.config import Settings
from oretrail.kafka import TOPICS, TopicSpec, consumer_config, end_offsets, ensure_topics
from oretrail.serde import serde_for
from streams.app import WorkerConfig, create_app, record_path


@click.command()
@click.option("-l", "--loglevel", default="warning", show_default=True, help="faust log level")
def worker(loglevel: str) -> None:
    """Run the stream processors only (scale out: more workers, more partitions)."""
    import faust

    from streams import ledger
    from streams.processors import Processors
    from streams.web import register

    core = settings()
    bootstrap = kafka_bootstrap()
    cfg = WorkerConfig()
    known = {t.name for t in TOPICS}
    names = (cfg.events_topic, cfg.passports_topic, cfg.alerts_topic, cfg.dlq_topic)
    ensure_topics(bootstrap, [*TOPICS, *(TopicSpec(t, 3) for t in names if t not in known)])
    app = create_app(core, bootstrap, cfg)
    processors = Processors(app, cfg, serde_for(core), ledger.LedgerConfig())
    record = record_path(core.home, cfg.app_id)
    register(app, processors, record)
    try:
        runner = faust.Worker(app, loglevel=loglevel, quiet=True)
        # faust's progress spinner sets the root logger to DEBUG so it can spin on every
        # record: aiokafka then built ~28 debug records per event that nothing printed
        runner.spinner = None
        runner.execute_from_commandline()
    finally:
        # a stopped worker leaves no address behind (another worker may have replaced it)
        if record.exists() and json.loads(record.read_text()).get("pid") == os.getpid():
            record.unlink()


def _record(core: Settings, cfg: WorkerConfig, deadline: float) -> dict[str, Any]:
    path = record_path(core.home, cfg.app_id)
    while not path.exists():
        if time.monotonic() >= deadline:
            raise click.ClickException(
                f"no worker of app {cfg.app_id!r} recorded at {path}: start `oretrail worker`"
            )
        time.sleep(0.2)
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def _caught_up(consumer: Consumer, topic: str, ends: Mapping[int, int]) -> bool:
    wanted = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
    if not wanted:
        return True
    committed = consumer.committed(wanted, timeout=10)
    return all(tp.offset >= ends[tp.partition] for tp in committed)


def wait_caught_up(bootstrap: str, group: str, topics: list[str], deadline: float) -> None:
    """Until ``group`` committed, topic after topic, the end offsets each had when asked."""
    # Only committed() is called: a consumer that never subscribes does not join the group.
    consumer = Consumer(consumer_config(bootstrap, group))
    try:
        for topic in topics:
            ends = end_offsets(consumer, topic)
            while not _caught_up(consumer, topic, ends):
                if time.monotonic() >= deadline:
                    raise click.ClickException(
                        f"the worker ({group}) has not caught up with {topic} in time"
                    )
                time.sleep(0.3)
    finally:
        consumer.close()


def _fetch(core: Settings, cfg: WorkerConfig, lot: str, deadline: float) -> dict[str, Any]:
    while True:
        # read the record each time: a restarted worker records its new address
        url = f"{_record(core, cfg, deadline)['url']}/trace/{quote(lot, safe='')}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (http only)
                body: dict[str, Any] = json.loads(response.read())
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise click.ClickException(
                    json.loads(exc.read()).get("error", "not found")
                ) from exc
            raise click.ClickException(f"worker answered {exc.code} for {url}") from exc
        except (urllib.error.URLError, ConnectionError) as exc:
            if time.monotonic() >= deadline:
                raise click.ClickException(f"worker not reachable at {url}: {exc}") from exc
            time.sleep(0.3)


def _label(node: Mapping[str, Any]) -> str:
    carbon = node.get("carbonFootprint") or {}
    parts = [f"[bold]{escape(str(node.get('id')))}[/]", f"{node.get('massKg')} kg"]
    taken = node.get("quantityTakenKg")
    if taken is not None:
        parts.append(f"(taken {taken} kg)")
    if carbon:
        parts.append(
            f"{carbon.get('totalKgCO2e')} kg CO2e ({carbon.get('kgCO2ePerKg')} kg CO2e/kg)"
        )
    return "  ".join(parts)


def tree(node: Mapping[str, Any], into: Tree | None = None) -> Tree:
    """The trace as a readable tree: elements, alerts, then inputs recursively."""
    branch = Tree(_label(node)) if into is None else into.add(_label(node))
    for element, e in (node.get("elements") or {}).items():
        recycled = e.get("recycledShare") or {}
        origin = ", ".join(f"{c} {s:.1%}" for c, s in (e.get("primaryOrigin") or {}).items())
        branch.add(
            f"{element}: {e.get('massKg')} kg, recycled pre {recycled.get('preConsumer')} "
            f"post {recycled.get('postConsumer')}, origin {origin or '-'}"
        )
    for alert in node.get("alerts") or []:
        branch.add(f"[red]alert[/] {escape(json.dumps(alert, sort_keys=True))}")
    for child in node.get("inputs") or []:
        tree(child, branch)
    return branch


@click.command()
@click.argument("lot")
@click.option("--json", "as_json", is_flag=True, help="print the trace as one JSON object")
@click.option(
    "--wait-seconds",
    type=float,
    default=0.0,
    help="first wait up to N s for the worker to catch up with the events already produced",
)
def trace(lot: str, as_json: bool, wait_seconds: float) -> None:
    """A lot's element ledger, carbon footprint, alerts and inputs, from the running worker."""
    core = settings()
    cfg = WorkerConfig()
    deadline = time.monotonic() + wait_seconds
    info = _record(core, cfg, deadline)
    if wait_seconds > 0:
        topics = [info["eventsTopic"], info["factsTopic"]]
        wait_caught_up(kafka_bootstrap(), info["appId"], topics, deadline)
    result = _fetch(core, cfg, lot, deadline)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        Console().print(tree(result))


class WorkerService:
    """``oretrail worker`` as a child process, stopped with SIGTERM when ``stop`` is set."""

    name = "worker"

    def __init__(self, core: Settings, bootstrap: str) -> None:
        env = {**os.environ, "ORETRAIL_HOME": str(core.home), "ORETRAIL_BOOTSTRAP": bootstrap}
        if core.schema_registry_url:
            env["ORETRAIL_SCHEMA_REGISTRY_URL"] = core.schema_registry_url
        self._env = env

    async def run(self, stop: asyncio.Event) -> None:
        code = "from oretrail.cli import main; main()"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, "worker", env=self._env
        )
        stopping = asyncio.create_task(stop.wait())
        exited = asyncio.create_task(proc.wait())
        await asyncio.wait([stopping, exited], return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            stopping.cancel()
            raise RuntimeError(f"the worker exited with status {proc.returncode}")
        proc.terminate()
        try:
            await asyncio.wait_for(exited, 60)
        except TimeoutError:
            proc.kill()
            await exited
