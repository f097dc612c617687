"""``oretrail capture`` (the EPCIS capture interface alone) and ``oretrail run`` (every
long-running service of the pipeline, started together).

A service is anything with a ``name`` and ``async run(stop)`` that returns once ``stop`` is
set. SIGINT/SIGTERM set it; so does any service ending or failing, so the pipeline never
half-runs. Later processors join the list in :func:`pipeline_services`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Protocol

import click

from connectors.capture import CaptureConfig, CaptureService
from oretrail.cli._context import kafka_bootstrap, settings
from oretrail.kafka import TOPICS, TopicSpec, ensure_topics
from oretrail.serde import serde_for


class Service(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None: ...


class ServiceFailed(RuntimeError):
    """A service raised; the others were stopped."""


async def run_services(services: Sequence[Service], stop: asyncio.Event | None = None) -> None:
    """Run ``services`` until SIGINT/SIGTERM (or ``stop``), or until one of them ends."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(s.run(stop), name=s.name) for s in services]
    try:
        await asyncio.wait(
            [*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    failures = [(s.name, r) for s, r in zip(services, results, strict=True) if r is not None]
    if failures:
        name, exc = failures[0]
        raise ServiceFailed(f"service {name} failed: {exc!r}") from exc


def _announce(url: str) -> None:
    click.echo(f"EPCIS capture interface on {url} (POST /capture, GET /openapi.json)", err=True)


def capture_service(host: str | None = None, port: int | None = None) -> CaptureService:
    """The capture interface from ORETRAIL_CAPTURE_* (options given here win), topics ensured."""
    cfg = CaptureConfig() if host is None and port is None else _with(CaptureConfig(), host, port)
    bootstrap = kafka_bootstrap()
    known = {t.name for t in TOPICS}
    extra = [TopicSpec(t, 3) for t in (cfg.topic, cfg.dlq_topic) if t not in known]
    ensure_topics(bootstrap, [*TOPICS, *extra])
    core = settings()
    return CaptureService(
        cfg, home=core.home, bootstrap=bootstrap, serde=serde_for(core), on_ready=_announce
    )


def _with(cfg: CaptureConfig, host: str | None, port: int | None) -> CaptureConfig:
    # validate again so an option is checked like the environment variable it overrides
    values = cfg.model_dump()
    values.update({k: v for k, v in (("host", host), ("port", port)) if v is not None})
    return CaptureConfig.model_validate(values)


def pipeline_services() -> list[Service]:
    from oretrail.cli._sink import sink_services, sink_settings
    from oretrail.cli._worker import WorkerService  # the processors, in a child process

    core, bootstrap = settings(), kafka_bootstrap()
    return [
        capture_service(),
        WorkerService(core, bootstrap),
        *sink_services(core, sink_settings(), bootstrap),
    ]


def _serve(services: Sequence[Service]) -> None:
    try:
        asyncio.run(run_services(services))
    except ServiceFailed as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.option("--host", help="address to bind [env ORETRAIL_CAPTURE_HOST, default 127.0.0.1]")
@click.option("--port", type=int, help="TCP port [env ORETRAIL_CAPTURE_PORT, default 8080]")
def capture(host: str | None, port: int | None) -> None:
    """Serve the EPCIS 2.0 capture interface (GS1 REST binding) until SIGINT/SIGTERM."""
    _serve([capture_service(host=host, port=port)])


@click.command("run")
def run() -> None:
    """Run the pipeline in the foreground: capture interface, stream processors, credential
    sink and resolver.

    Every service stops cleanly on SIGINT/SIGTERM.
    """
    _serve(pipeline_services())
