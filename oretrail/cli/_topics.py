"""``oretrail topics create|list``: the project's topics, with explicit partition counts."""

from __future__ import annotations

import click
from confluent_kafka.admin import AdminClient

from oretrail.cli._context import kafka_bootstrap
from oretrail.kafka import TOPICS, ensure_topics


@click.group()
def topics() -> None:
    """Create and list the pipeline's topics."""


@topics.command()
def create() -> None:
    """Create the missing topics (existing ones are left as they are)."""
    for name in ensure_topics(kafka_bootstrap()):
        click.echo(f"created {name}")


@topics.command(name="list")
def list_() -> None:
    """List the pipeline's topics with their partition counts on the cluster."""
    md = AdminClient({"bootstrap.servers": kafka_bootstrap()}).list_topics(timeout=10)
    for spec in TOPICS:
        found = md.topics.get(spec.name)
        parts = len(found.partitions) if found else "missing"
        click.echo(f"{spec.name}\t{parts}\t{spec.doc}")
