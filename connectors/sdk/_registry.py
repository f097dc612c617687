"""Connectors are found through the entry-point group ``oretrail.connectors``.

An integrator's own distribution declares, in its pyproject.toml::

    [project.entry-points."oretrail.connectors"]
    my-erp = "my_package.connector:MyErpSource"

and appears in ``oretrail connectors list`` once installed, without touching this repo.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from connectors.sdk._source import Source

ENTRY_POINT_GROUP = "oretrail.connectors"


class ConnectorLoadError(LookupError):
    """No connector of that name is installed, or it is not a Source subclass."""


@dataclass(frozen=True)
class Installed:
    name: str
    target: str
    distribution: str


def installed() -> list[Installed]:
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        found.append(Installed(ep.name, ep.value, dist))
    return sorted(found, key=lambda i: i.name)


def load(name: str) -> type[Source]:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        names = ", ".join(i.name for i in installed()) or "none"
        raise ConnectorLoadError(f"no connector {name!r} installed (installed: {names})")
    cls = matches[0].load()
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise ConnectorLoadError(f"entry point {name!r} -> {matches[0].value} is not a Source")
    return cls
