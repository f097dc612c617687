"""Storage URLs (``file:///abs/path``, ``s3://bucket/prefix``) parsed without touching anything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sink.storage._base import InvalidKey, StorageError, validate_prefix

# S3's rules for bucket names (3-63 characters, lowercase letters, digits, '.', '-', starting
# and ending with a letter or digit), which path-style S3-compatible servers follow too.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


@dataclass(frozen=True)
class FileTarget:
    root: Path


@dataclass(frozen=True)
class S3Target:
    bucket: str
    prefix: str  # "" or whole segments without a trailing "/"


def parse_storage_url(url: str) -> FileTarget | S3Target:
    """Where a storage URL points; :class:`StorageError` saying what is wrong otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise StorageError("storage URL is empty: give file:///abs/path or s3://bucket/prefix")
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # Never echo a URL that carries credentials: they may end up in a log.
        raise StorageError(
            f"storage URL {_redacted(parts.scheme, parts.netloc, parts.path)!r}: credentials do "
            "not belong in a storage URL (set ORETRAIL_SINK_S3_ACCESS_KEY_ID and "
            "ORETRAIL_SINK_S3_SECRET_ACCESS_KEY)"
        )
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment:
        raise StorageError(f"storage URL {url!r}: query strings and fragments are not supported")
    if scheme == "file":
        return _file(url, parts.netloc, parts.path)
    if scheme == "s3":
        return _s3(url, parts.netloc, parts.path)
    known = "file:///abs/path or s3://bucket/prefix"
    if not scheme:
        raise StorageError(f"storage URL {url!r} has no scheme: give {known}")
    raise StorageError(f"storage URL {url!r}: unknown scheme {scheme!r}; give {known}")


def _redacted(scheme: str, netloc: str, path: str) -> str:
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{path}"


def _file(url: str, host: str, path: str) -> FileTarget:
    if host not in ("", "localhost"):
        raise StorageError(
            f"storage URL {url!r}: file URLs name a local folder (file:///abs/path), "
            f"not one on host {host!r}"
        )
    if not path.startswith("/"):
        raise StorageError(f"storage URL {url!r}: the folder must be absolute (file:///abs/path)")
    decoded = unquote(path)
    if "\x00" in decoded:
        raise StorageError(f"storage URL {url!r}: NUL in the path")
    root = Path(decoded)
    if ".." in root.parts:
        raise StorageError(f"storage URL {url!r}: '..' is not allowed in the folder")
    return FileTarget(root)


def _s3(url: str, bucket: str, path: str) -> S3Target:
    if not bucket:
        raise StorageError(f"storage URL {url!r}: no bucket (s3://bucket/prefix)")
    if ":" in bucket:
        raise StorageError(
            f"storage URL {url!r}: an s3:// URL names a bucket, not a host and port "
            "(set ORETRAIL_SINK_S3_ENDPOINT_URL for an S3-compatible server)"
        )
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or _IPV4.fullmatch(bucket):
        raise StorageError(
            f"storage URL {url!r}: {bucket!r} is not a valid bucket name (3-63 lowercase "
            "letters, digits, '.' or '-')"
        )
    prefix = path.strip("/")
    if prefix:
        try:
            validate_prefix(prefix + "/")
        except InvalidKey as exc:
            raise StorageError(f"storage URL {url!r}: bad prefix: {exc}") from exc
    return S3Target(bucket, prefix)
