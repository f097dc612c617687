"""Object storage chosen by URL (``file://``, ``s3://``) and the credential store's layout.

:func:`open_storage` gives an :class:`ObjectStorage`; :class:`CredentialStore` keeps the
sink's credentials on it: content-addressed immutable credentials, immutable passport
versions, a ``latest`` pointer per product that only moves forward, DTE links, facility
records, the DID document and status lists.
"""

from __future__ import annotations

from sink.config import SinkSettings
from sink.storage._base import (
    InvalidKey,
    ObjectStorage,
    StorageConflict,
    StorageError,
    validate_key,
    validate_prefix,
)
from sink.storage._file import FileStorage
from sink.storage._store import (
    Credential,
    CredentialStore,
    DteLink,
    Stored,
    VersionConflict,
    VersionRef,
)
from sink.storage._url import FileTarget, S3Target, parse_storage_url


def open_storage(
    url: str, settings: SinkSettings, *, create_bucket: bool = False, durable: bool = True
) -> ObjectStorage:
    """The storage ``url`` names: ``file:///abs/path`` or ``s3://bucket/prefix``.

    S3 takes its endpoint, region and keys from ``settings``; ``create_bucket`` creates a
    missing bucket instead of failing (for local S3-compatible servers). ``durable=False``
    skips the folder backend's fsync calls (still atomic; for benchmarks and scratch stores).
    """
    target = parse_storage_url(url)
    if isinstance(target, FileTarget):
        return FileStorage(target.root, durable=durable)
    from sink.storage._s3 import S3Storage  # boto3 is imported only when S3 is used

    return S3Storage.from_settings(target, settings, create_bucket=create_bucket)


__all__ = [
    "Credential",
    "CredentialStore",
    "DteLink",
    "FileStorage",
    "FileTarget",
    "InvalidKey",
    "ObjectStorage",
    "S3Target",
    "StorageConflict",
    "StorageError",
    "Stored",
    "VersionConflict",
    "VersionRef",
    "open_storage",
    "parse_storage_url",
    "validate_key",
    "validate_prefix",
]
