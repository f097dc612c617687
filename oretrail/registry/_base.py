"""The local registry's error type and the record of a started registry (``registry.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oretrail._process import read_record, write_record

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
    return read_record(directory / INFO_FILE, RegistryInfo)


def write_info(directory: Path, info: RegistryInfo) -> None:
    write_record(directory / INFO_FILE, info)
