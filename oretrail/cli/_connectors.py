"""``oretrail connectors list|run``: the connectors installed through entry points.

``run NAME`` builds the connector's own pydantic-settings model from ``ORETRAIL_<NAME>_*``
variables, then an optional YAML file, then ``--set key=value`` (each overriding the one
before), and runs it until its input ends or SIGINT/SIGTERM. Unknown keys are refused by
the model (``extra="forbid"``), so a typo fails before anything connects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError

from connectors.sdk import ConnectorLoadError, StateStore, installed, load
from oretrail.cli._run import run_source, state_path


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


def _overrides(config_file: Path | None, sets: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if config_file is not None:
        loaded = yaml.safe_load(config_file.read_text()) or {}
        if not isinstance(loaded, dict):
            raise click.BadParameter("must hold a mapping of settings", param_hint="--config")
        values.update(loaded)
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not key=value", param_hint="--set")
        values[key.strip()] = yaml.safe_load(value)
    return values


@connectors_group.command()
@click.argument("name")
@click.option("--config", "config_file", type=click.Path(exists=True, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="override one setting")
@click.option("--state", type=click.Path(path_type=Path), help="position file [home/state]")
def run(name: str, config_file: Path | None, sets: tuple[str, ...], state: Path | None) -> None:
    """Run the connector NAME until its input ends (or Ctrl-C); positions survive restarts."""
    try:
        cls = load(name)
    except ConnectorLoadError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        config = cls.config_model(**_overrides(config_file, sets))
    except ValidationError as exc:
        raise click.ClickException(f"{name} configuration: {exc}") from exc
    source = cls(config)
    counts = run_source(source, StateStore(state or state_path(name, "default")))
    click.echo(f"{name}: {counts.accepted} accepted, {counts.rejected} rejected")
