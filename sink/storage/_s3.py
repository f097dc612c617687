"""Object storage in an S3 bucket (``s3://bucket/prefix``): AWS or any S3-compatible server.

Endpoint, region and keys come from :class:`~sink.config.SinkSettings`; the keys stay
``SecretStr`` until the boto3 client is built, and no error message carries them. With an
explicit endpoint (MinIO, S3Proxy, Ceph, ...) requests use path-style addressing, which
those servers support without wildcard DNS.

Exactly-once creation uses S3 conditional writes: ``If-None-Match: *`` to create a key,
``If-Match: <etag>`` to swap a pointer (AWS S3 has both since 2024, so do current MinIO and
S3Proxy). A server that answers 501 Not Implemented to them is remembered as lacking them
and the storage falls back to read-then-write. **Caveat of that fallback**: two writers
racing on the same key can both believe they created it (the later write wins); the
credential store stays correct for content-addressed keys (both wrote the same bytes) but
a version record or the ``latest`` pointer could be overwritten by a concurrent writer.
Give ``conditional_writes=False`` to force the fallback for a server that silently ignores
the headers.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sink.config import SinkSettings
from sink.storage._base import StorageConflict, StorageError, validate_key, validate_prefix
from sink.storage._url import S3Target

log = logging.getLogger(__name__)

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_NO_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
_PRECONDITION = frozenset({"PreconditionFailed", "412"})
# AWS answers 409 when another conditional write on the key is in flight: try again.
_IN_FLIGHT = frozenset({"ConditionalRequestConflict", "409", "OperationAborted"})
_UNSUPPORTED = frozenset({"NotImplemented", "501"})
_ATTEMPTS = 8


class S3Storage:
    """Keys as objects under ``prefix/`` in ``bucket``; safe to share between threads."""

    def __init__(self, client: Any, target: S3Target, *, conditional_writes: bool = True) -> None:
        self._client = client
        self._bucket = target.bucket
        self._prefix = f"{target.prefix}/" if target.prefix else ""
        self._url = f"s3://{target.bucket}/{target.prefix}".rstrip("/")
        self._conditional = conditional_writes
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        target: S3Target,
        settings: SinkSettings,
        *,
        create_bucket: bool = False,
        conditional_writes: bool = True,
    ) -> S3Storage:
        """Connect as ``settings`` say and check that the bucket is there (or create it)."""
        storage = cls(make_client(settings), target, conditional_writes=conditional_writes)
        storage.ensure_bucket(create=create_bucket)
        return storage

    @property
    def url(self) -> str:
        return self._url

    @property
    def conditional_writes(self) -> bool:
        return self._conditional

    def ensure_bucket(self, *, create: bool) -> None:
        try:
            self._client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _NO_BUCKET:
                raise self._error("open", "", exc) from exc
        except BotoCoreError as exc:
            raise self._error("open", "", exc) from exc
        if not create:
            raise StorageError(
                f"bucket {self._bucket!r} does not exist: create it first (storage {self._url})"
            )
        region = self._client.meta.region_name
        extra = (
            {}
            if region in (None, "us-east-1")
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        try:
            self._client.create_bucket(Bucket=self._bucket, **extra)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou",):
                raise self._error("create bucket", "", exc) from exc
        except BotoCoreError as exc:
            raise self._error("create bucket", "", exc) from exc

    def put_if_absent(self, key: str, data: bytes, media_type: str) -> bool:
        name = self._name(key)
        for _ in range(_ATTEMPTS):
            if self._create(key, name, data, media_type):
                return True
            existing = self._get(key, name)
            if existing is None:
                continue  # deleted between our write and our read: try to create again
            if existing[0] == data:
                return False
            raise StorageConflict(key)
        raise StorageError(f"cannot write {key} in {self._url}: it kept changing")

    def put(self, key: str, data: bytes, media_type: str) -> None:
        # A PUT replaces the whole object at once: readers see the old or the new one.
        self._call(
            "write", key, "put_object", Key=self._name(key), Body=data, ContentType=media_type
        )

    def compare_and_put(
        self, key: str, data: bytes, media_type: str, *, expected: bytes | None
    ) -> bool:
        name = self._name(key)
        if expected is None:
            return self._create(key, name, data, media_type)
        current = self._get(key, name)
        if current is None or current[0] != expected:
            return False
        if not self._conditional:
            self.put(key, data, media_type)
            return True
        try:
            self._call(
                "write",
                key,
                "put_object",
                Key=name,
                Body=data,
                ContentType=media_type,
                IfMatch=current[1],
            )
        except _Rejected:
            return False
        return True

    def get(self, key: str) -> bytes | None:
        found = self._get(key, self._name(key))
        return None if found is None else found[0]

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        keys: list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._prefix + prefix
            )
            for page in pages:
                keys.extend(obj["Key"][len(self._prefix) :] for obj in page.get("Contents", ()))
        except (ClientError, BotoCoreError) as exc:
            raise self._error("list", prefix or "(all)", exc) from exc
        return sorted(keys)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"S3Storage({self._url!r})"

    # -- internals -------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return self._prefix + validate_key(key)

    def _create(self, key: str, name: str, data: bytes, media_type: str) -> bool:
        """Create the object unless it exists; False when it does (nothing written)."""
        if self._conditional:
            for _ in range(_ATTEMPTS):
                try:
                    self._call(
                        "write",
                        key,
                        "put_object",
                        Key=name,
                        Body=data,
                        ContentType=media_type,
                        IfNoneMatch="*",
                    )
                    return True
                except _Rejected:
                    return False
                except _InFlight:
                    continue
                except _Unsupported:
                    self._give_up_conditional()
                    break
            else:
                raise StorageError(f"cannot write {key} in {self._url}: concurrent writes")
        # Fallback (see the module's caveat): look, then write.
        if self._get(key, name) is not None:
            return False
        self.put(key, data, media_type)
        return True

    def _give_up_conditional(self) -> None:
        with self._lock:
            if self._conditional:
                log.warning(
                    "%s does not support conditional writes (If-None-Match/If-Match): "
                    "falling back to read-then-write, which racing writers can defeat",
                    self._url,
                )
            self._conditional = False

    def _get(self, key: str, name: str) -> tuple[bytes, str] | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=name)
            return bytes(response["Body"].read()), str(response.get("ETag", ""))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._error("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("read", key, exc) from exc

    def _call(self, action: str, key: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(Bucket=self._bucket, **kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code in _PRECONDITION:
                raise _Rejected from exc
            if code in _IN_FLIGHT:
                raise _InFlight from exc
            if code in _UNSUPPORTED and ("IfNoneMatch" in kwargs or "IfMatch" in kwargs):
                raise _Unsupported from exc
            raise self._error(action, key, exc) from exc
        except BotoCoreError as exc:
            raise self._error(action, key, exc) from exc

    def _error(self, action: str, key: str, exc: Exception) -> StorageError:
        where = f"{key} in {self._url}" if key else self._url
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            reason = f"{error.get('Code', '?')} (HTTP {status}): {error.get('Message', '')}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return StorageError(f"cannot {action} {where}: {reason}".rstrip(": "))


class _Rejected(Exception):
    """A conditional write's precondition did not hold (HTTP 412)."""


class _InFlight(Exception):
    """Another conditional write on the same key was in progress (HTTP 409)."""


class _Unsupported(Exception):
    """The server does not implement the conditional write headers (HTTP 501)."""


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def make_client(settings: SinkSettings) -> Any:
    """A boto3 S3 client for ``settings``; secrets are unwrapped here and nowhere else."""
    key_id, secret = settings.s3_access_key_id, settings.s3_secret_access_key
    if (key_id is None) != (secret is None):
        raise StorageError(
            "set both ORETRAIL_SINK_S3_ACCESS_KEY_ID and ORETRAIL_SINK_S3_SECRET_ACCESS_KEY, "
            "or neither (then boto3's usual sources: environment, profile, instance role)"
        )
    config = Config(
        # S3-compatible servers behind one host name do not have per-bucket DNS names.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=16,
        # Newer botocore adds CRC checksums to every upload by default, which several
        # S3-compatible servers reject; send them only where S3 requires them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    try:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=None if key_id is None else key_id.get_secret_value(),
            aws_secret_access_key=None if secret is None else secret.get_secret_value(),
            config=config,
        )
    except (BotoCoreError, ValueError) as exc:
        raise StorageError(f"cannot set up the S3 client: {type(exc).__name__}: {exc}") from exc
