"""The local registry's error type and the record of a started registry (``registry.json``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

CCOMPAT_PATH = "/apis/ccompat/v7"
"""Apicurio's Confluent-compatible API: what confluent-kafka's registry client talks to."""

INFO_FILE = "registry.json"


class RegistryError(RuntimeError):
    """The local schema registry could not be fetched, started, reached or stopped."""


@dataclass(frozen=True)
class RegistryInfo:
    url: str
    port: int
    management_port: int
    pid: int | None
    version: str
    home: str

    @property
    def ccompat_url(self) -> str:
        """The URL to give ``RegistrySerde`` / ``ORETRAIL_SCHEMA_REGISTRY_URL``."""
        return self.url + CCOMPAT_PATH


def read_info(directory: Path) -> RegistryInfo | None:
    path = directory / INFO_FILE
    if not path.exists():
        return None
    return RegistryInfo(**json.loads(path.read_text()))


def write_info(directory: Path, info: RegistryInfo) -> None:
    # Written then renamed, so a reader never sees half a file.
    tmp = directory / (INFO_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(info), indent=2) + "\n")
    tmp.replace(directory / INFO_FILE)
