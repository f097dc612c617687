"""How the global options become one frozen :class:`Settings` for every sub-command."""

from __future__ import annotations

import click

from oretrail.config import Settings


def settings() -> Settings:
    """Settings from the root command's options (which win) and ``ORETRAIL_*`` variables."""
    root = click.get_current_context().find_root()
    cached = root.meta.get("oretrail.settings")
    if not isinstance(cached, Settings):
        cached = Settings(**(root.obj or {}))
        root.meta["oretrail.settings"] = cached
    return cached
