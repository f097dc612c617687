"""``oretrail broker start|stop|status``: the embedded single-node KRaft broker."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from oretrail import broker as embedded
from oretrail.cli._context import settings


@click.group()
def broker() -> None:
    """Control the embedded Apache Kafka broker (KRaft, loopback only)."""


@broker.command()
@click.option("--port", type=int, help="broker port (default: kept from last start, else free)")
@click.option("--controller-port", type=int, help="KRaft controller port")
def start(port: int | None, controller_port: int | None) -> None:
    """Start the broker (harmless if it already runs) and print its bootstrap address."""
    s = settings()
    try:
        info = embedded.start(s, port, controller_port)
    except (embedded.BrokerError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(info.bootstrap)


@broker.command()
def stop() -> None:
    """Stop the broker cleanly (SIGTERM, then SIGKILL after 30 s)."""
    if embedded.stop(settings()):
        click.echo("stopped", err=True)
    else:
        click.echo("not running", err=True)


@broker.command()
@click.option("--json", "as_json", is_flag=True, help="print a JSON object")
def status(as_json: bool) -> None:
    """Print the bootstrap address; exit 1 when the broker is not running."""
    info = embedded.status(settings())
    running = info is not None and info.running
    if as_json:
        click.echo(json.dumps({**(asdict(info) if info else {}), "running": running}))
    elif running and info is not None:
        click.echo(info.bootstrap)
    else:
        click.echo("not running", err=True)
    if not running:
        raise SystemExit(1)
