"""The object storage contract every backend meets, its errors, and the key rules.

Keys are relative, ``/``-separated paths of plain segments (letters, digits, ``.``, ``_``,
``-``; no segment starting with a dot, no empty segment). The same key is then safe as a
file path under a root folder (no ``..``, nothing absolute, no hidden files that could
collide with a backend's own temporary files) and as an S3 object key under a prefix.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

MAX_KEY_LENGTH = 512
MAX_SEGMENT_LENGTH = 200

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class StorageError(RuntimeError):
    """A storage operation failed; the message names the key and the reason (never a secret)."""


class StorageConflict(StorageError):
    """An immutable key already holds other bytes than the ones being written."""

    def __init__(self, key: str, reason: str | None = None) -> None:
        self.key = key
        super().__init__(reason or f"{key} already exists with different content")


class InvalidKey(StorageError, ValueError):
    """A key or prefix outside the safe form (the message says which rule it breaks)."""


def _check_segments(text: str, what: str, segments: list[str]) -> None:
    for segment in segments:
        if segment in (".", ".."):
            raise InvalidKey(f"{what} {text!r}: '{segment}' segments are not allowed")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidKey(
                f"{what} {text!r}: a segment is longer than {MAX_SEGMENT_LENGTH} characters"
            )
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKey(
                f"{what} {text!r}: segment {segment!r} must be letters, digits, '.', '_' or "
                "'-' and must not start with '.'"
            )


def validate_key(key: str) -> str:
    """Return ``key`` unchanged when it is a safe object key, else raise :class:`InvalidKey`."""
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"key {key!r}: a key is a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"key {key[:40]!r}...: longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise InvalidKey(f"key {key!r}: keys are relative (no leading '/')")
    segments = key.split("/")
    if "" in segments:
        raise InvalidKey(f"key {key!r}: empty segment ('//' or a trailing '/')")
    _check_segments(key, "key", segments)
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: ``""``, whole segments ending in ``/``, or a key's leading part."""
    if prefix == "":
        return prefix
    if len(prefix) > MAX_KEY_LENGTH:
        raise InvalidKey(f"prefix {prefix[:40]!r}...: longer than {MAX_KEY_LENGTH} characters")
    if prefix.startswith("/"):
        raise InvalidKey(f"prefix {prefix!r}: prefixes are relative (no leading '/')")
    body = prefix[:-1] if prefix.endswith("/") else prefix
    segments = body.split("/")
    if "" in segments:
        raise InvalidKey(f"prefix {prefix!r}: empty segment")
    _check_segments(prefix, "prefix", segments)
    return prefix


@runtime_checkable
class ObjectStorage(Protocol):
    """Bytes under keys. Implementations are safe to share between threads."""

    @property
    def url(self) -> str:
        """Where the storage is (``file:///...``, ``s3://bucket/prefix``), without secrets."""
        ...

    def put_if_absent(self, key: str, data: bytes, media_type: str) -> bool:
        """Create ``key`` holding ``data``; of racing writers exactly one creates it.

        True when this call created it, False when it already held the same bytes;
        :class:`StorageConflict` when it holds other bytes.
        """
        ...

    def put(self, key: str, data: bytes, media_type: str) -> None:
        """Replace ``key`` atomically: a reader sees the old bytes or the new, never a mix."""
        ...

    def compare_and_put(
        self, key: str, data: bytes, media_type: str, *, expected: bytes | None
    ) -> bool:
        """Write ``data`` only if ``key`` holds exactly ``expected`` (None: is absent).

        False (nothing written) when the current content differs: the caller re-reads and
        decides again. This is what lets a pointer move without a lost update.
        """
        ...

    def get(self, key: str) -> bytes | None:
        """The bytes at ``key``, or None if there is no such key."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Every key starting with ``prefix`` (all depths), sorted."""
        ...

    def close(self) -> None:
        """Release connections; the storage is not used afterwards."""
        ...
