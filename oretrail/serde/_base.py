"""The serde interface every driver implements, and its errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class SerdeError(ValueError):
    """A record could not be encoded, or bytes could not be decoded.

    Subclass of ValueError so callers can treat it as bad data and dead-letter it.
    """


class Serde(Protocol):
    """Encodes records of a named schema to message bytes and back.

    ``topic`` is passed because registry drivers derive the subject from it
    (``<topic>-value``); the registry-less driver ignores it.
    """

    def encode(self, schema: str, record: Mapping[str, Any], topic: str) -> bytes: ...

    def decode(self, schema: str, data: bytes, topic: str) -> dict[str, Any]: ...
