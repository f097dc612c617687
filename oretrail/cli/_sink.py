"""``oretrail sink`` (the credential sink and the resolver in one process) and the
``revoke ID`` command (attached under ``oretrail passport``).

The sink reads ``oretrail.events`` and ``oretrail.passport-updates``, publishes signed UNTP
credentials to the store (``ORETRAIL_SINK_STORAGE_URL``, default ``<home>/credentials``) and
announces them on ``oretrail.credentials``; the resolver answers product links from the same
store on ``ORETRAIL_SINK_RESOLVER_HOST``/``PORT``. Both stop cleanly on SIGINT/SIGTERM: the
sink publishes its open windows and commits before leaving.

:class:`SinkService` and :class:`ResolverService` follow the service protocol of
``oretrail run`` (``name``, ``async run(stop)``).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

import click
from aiohttp import web
from pydantic import ValidationError

from oretrail import telemetry
from oretrail.cli._capture import Service, ServiceFailed, run_services
from oretrail.cli._context import kafka_bootstrap, settings
from oretrail.config import Settings
from oretrail.kafka import TOPICS, TopicSpec, ensure_topics
from oretrail.serde import serde_for
from sink.config import SinkSettings
from sink.jose import KeyRingError
from sink.pipeline import PipelineError, Publisher, SinkRunner, SinkTopics
from sink.resolver import ProductIdError, create_resolver, from_text
from sink.storage import CredentialStore, StorageError
from sink.untp import FacilityError


def sink_settings() -> SinkSettings:
    try:
        return SinkSettings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid ORETRAIL_SINK_* settings: {exc}") from exc


def sink_topics() -> SinkTopics:
    return SinkTopics.of(sink_settings())


def make_publisher(cfg: SinkSettings, core: Settings) -> Publisher:
    """The publisher over the configured store, keys and facility master data."""
    try:
        return Publisher(cfg, core.home)
    except (KeyRingError, FacilityError, StorageError) as exc:
        raise click.ClickException(str(exc)) from exc


class SinkService:
    """The :class:`SinkRunner` in a thread of its own (confluent-kafka blocks)."""

    name = "sink"

    def __init__(self, runner: SinkRunner) -> None:
        self.runner = runner
        self._error: BaseException | None = None

    def _target(self, loop: asyncio.AbstractEventLoop, done: asyncio.Event) -> None:
        try:
            self.runner.run()
        except BaseException as exc:
            self._error = exc
        finally:
            loop.call_soon_threadsafe(done.set)

    async def run(self, stop: asyncio.Event) -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        thread = threading.Thread(target=self._target, args=(loop, done), name="oretrail-sink")
        thread.start()
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(done.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            self.runner.stop()
            await asyncio.to_thread(thread.join)
        if self._error is not None:
            raise self._error


class ResolverService:
    """The GS1 Digital Link resolver over the sink's store (aiohttp)."""

    name = "resolver"

    def __init__(
        self,
        store: CredentialStore,
        cfg: SinkSettings,
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._cfg = cfg
        self._on_ready = on_ready

    async def run(self, stop: asyncio.Event) -> None:
        app = create_resolver(self._store, base_url=self._cfg.public_base_url)
        telemetry.add_metrics_route(app)  # /metrics beside the resolver's routes
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._cfg.resolver_host, self._cfg.resolver_port)
            await site.start()
            host, port = runner.addresses[0][:2]
            if self._on_ready is not None:
                self._on_ready(f"http://{host}:{port}")
            await stop.wait()
        finally:
            await runner.cleanup()


def _announce(cfg: SinkSettings) -> Callable[[str], None]:
    def announce(url: str) -> None:
        click.echo(
            f"resolver on {url} (links under {cfg.public_base_url}, issuer {cfg.did()})",
            err=True,
        )

    return announce


def sink_services(
    core: Settings, cfg: SinkSettings, bootstrap: str, topics: SinkTopics | None = None
) -> list[Service]:
    """The sink and the resolver, for ``oretrail sink`` and ``oretrail run``."""
    topics = topics or sink_topics()
    known = {t.name for t in TOPICS}
    names = (
        topics.events_topic,
        topics.passports_topic,
        topics.credentials_topic,
        topics.dlq_topic,
    )
    ensure_topics(bootstrap, [*TOPICS, *(TopicSpec(n, 3) for n in names if n not in known)])
    publisher = make_publisher(cfg, core)
    runner = SinkRunner(publisher, bootstrap, serde_for(core), topics)
    return [SinkService(runner), ResolverService(publisher.store, cfg, _announce(cfg))]


@click.command("sink")
def sink() -> None:
    """Publish UNTP credentials from the pipeline's topics and serve the resolver, until
    SIGINT/SIGTERM."""
    core, cfg = settings(), sink_settings()
    services = sink_services(core, cfg, kafka_bootstrap())
    sink_service = services[0]
    assert isinstance(sink_service, SinkService)
    try:
        asyncio.run(run_services(services))
    except ServiceFailed as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sink_service.runner.publisher.close()


@click.command("revoke")
@click.argument("product", metavar="ID")
@click.option("--lot", help="the lot (batch) number, when ID is a bare GTIN")
@click.option("--serial", help="the serial number, when ID is a bare GTIN")
@click.option("--version", "version", type=click.IntRange(min=1), help="default: the latest")
def revoke(product: str, lot: str | None, serial: str | None, version: int | None) -> None:
    """Revoke a published passport version (the latest by default) in the issuer's status
    list; `oretrail verify` then reports it as revoked.

    ID is the product's GS1 Digital Link URI (on any host), an EPC URN, or a bare GTIN
    with --lot or --serial.
    """
    try:
        ref = from_text(product, lot=lot, serial=serial)
    except ProductIdError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from exc
    publisher = make_publisher(sink_settings(), settings())
    try:
        done = publisher.revoke(ref.product_id, version)
    except (PipelineError, StorageError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        publisher.close()
    result = {
        "productID": done.product_id,
        "version": done.version,
        "statusListCredential": done.list_url,
        "statusListIndex": done.index,
        "alreadyRevoked": not done.outcome.published,
    }
    click.echo(json.dumps(result, indent=2))
