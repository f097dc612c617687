"""Avro serde for every topic, with drivers chosen by the registry URL's scheme.

- no URL: Avro single-object encoding with the schemas shipped in ``schemas/``;
- ``http://``, ``https://``: Confluent wire format through a Confluent-compatible registry;
- ``mock://``: the same wire format through confluent-kafka's in-process registry driver.

Errors: :class:`SerdeError` (bad record or bad bytes, a ValueError);
:class:`SchemaNotFoundError` (no such schema shipped, a LookupError).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oretrail.config import Settings
from oretrail.serde._base import Serde, SerdeError
from oretrail.serde._registry import RegistrySerde
from oretrail.serde._schemas import (
    SCHEMA_NAMES,
    SchemaNotFoundError,
    historic_schemas,
    parsed_schema,
    raw_schema,
    released_versions,
    schemas_dir,
)
from oretrail.serde._single_object import SingleObjectSerde

__all__ = [
    "SCHEMA_NAMES",
    "RegistrySerde",
    "SchemaNotFoundError",
    "Serde",
    "SerdeError",
    "SingleObjectSerde",
    "historic_schemas",
    "parsed_schema",
    "raw_schema",
    "released_versions",
    "schemas_dir",
    "serde_for",
]


def serde_for(settings: Settings) -> Serde:
    url = settings.schema_registry_url
    if not url:
        return SingleObjectSerde()
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https", "mock"):
        password = settings.schema_registry_password
        return RegistrySerde(
            url,
            settings.schema_registry_user,
            password.get_secret_value() if password else None,
        )
    raise ValueError(f"unsupported schema registry URL scheme {scheme!r} in {url!r}")
