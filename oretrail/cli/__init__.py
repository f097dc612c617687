"""The ``oretrail`` command line: one group, sub-commands registered from small modules."""

from __future__ import annotations

from pathlib import Path

import click

from oretrail import telemetry
from oretrail.cli._broker import broker
from oretrail.cli._capture import capture, run
from oretrail.cli._connectors import connectors_group
from oretrail.cli._context import settings
from oretrail.cli._credentials import did, verify_command
from oretrail.cli._demo import demo
from oretrail.cli._dlq import dlq
from oretrail.cli._ingest import ingest
from oretrail.cli._resolver import passport, qr
from oretrail.cli._schemas import schemas
from oretrail.cli._simulate import simulate_command
from oretrail.cli._sink import revoke, sink
from oretrail.cli._topics import topics
from oretrail.cli._worker import trace, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="ORETRAIL_HOME",
    help="data directory [env ORETRAIL_HOME, default ./var]",
)
@click.option(
    "--bootstrap",
    envvar="ORETRAIL_BOOTSTRAP",
    help="Kafka bootstrap servers; default: the embedded broker",
)
@click.option(
    "--schema-registry",
    "schema_registry_url",
    envvar="ORETRAIL_SCHEMA_REGISTRY_URL",
    help="schema registry URL (http://, mock://); default: registry-less",
)
@click.version_option(package_name="oretrail")
@click.pass_context
def cli(
    ctx: click.Context, home: Path | None, bootstrap: str | None, schema_registry_url: str | None
) -> None:
    """oretrail: traceability of battery raw materials, from mine to pack."""
    options = {"home": home, "bootstrap": bootstrap, "schema_registry_url": schema_registry_url}
    ctx.obj = {k: v for k, v in options.items() if v is not None}
    # each role reports its own service.name (unless OTEL_SERVICE_NAME says otherwise)
    telemetry.configure(settings(), service=f"oretrail-{ctx.invoked_subcommand or 'cli'}")


cli.add_command(broker)
cli.add_command(topics)
cli.add_command(schemas)
cli.add_command(connectors_group)
cli.add_command(dlq)
cli.add_command(ingest)
cli.add_command(demo)
cli.add_command(capture)
cli.add_command(run)
cli.add_command(worker)
cli.add_command(trace)
cli.add_command(did)
cli.add_command(verify_command)
cli.add_command(qr)
cli.add_command(passport)
cli.add_command(sink)
cli.add_command(simulate_command)
passport.add_command(revoke)


def main() -> None:
    cli()
