"""``oretrail connectors list``: the connectors installed through entry points."""

from __future__ import annotations

import click

from connectors.sdk import ConnectorLoadError, installed, load


@click.group(name="connectors")
def connectors_group() -> None:
    """Installed source connectors (entry-point group oretrail.connectors)."""


@connectors_group.command(name="list")
def list_() -> None:
    """Name, summary and providing distribution of every installed connector."""
    for item in installed():
        try:
            summary = load(item.name).summary
        except (ConnectorLoadError, ImportError) as exc:
            summary = f"(cannot load: {exc})"
        click.echo(f"{item.name:<16} {summary}  [{item.distribution}: {item.target}]")
