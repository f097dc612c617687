"""How the global options become one frozen :class:`Settings` for every sub-command."""

from __future__ import annotations

import click

from oretrail.config import Settings
from oretrail.kafka import BootstrapError, bootstrap


def settings() -> Settings:
    """Settings from the root command's options (which win) and ``ORETRAIL_*`` variables."""
    root = click.get_current_context().find_root()
    cached = root.meta.get("oretrail.settings")
    if not isinstance(cached, Settings):
        cached = Settings(**(root.obj or {}))
        root.meta["oretrail.settings"] = cached
    return cached


def kafka_bootstrap() -> str:
    """The configured cluster or the running embedded broker, as a usage error otherwise."""
    try:
        return bootstrap(settings())
    except BootstrapError as exc:
        raise click.ClickException(str(exc)) from exc
