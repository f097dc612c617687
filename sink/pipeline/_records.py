"""What the pipeline hands back: CredentialPublished records, dead letters, deferred passports.

The pure core returns an :class:`Outcome` for every input; the Kafka runner produces its
records and dead letters, and commits an input's offset only after they were acknowledged.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from connectors.sdk import Rejected
from sink.storage import StorageError

CredentialType = Literal[
    "DigitalProductPassport",
    "DigitalTraceabilityEvent",
    "DigitalFacilityRecord",
    "BitstringStatusListCredential",
]
SINK = "oretrail-sink"
# credential ids are name-based UUIDs: the same input names the same credential every time
_NAMESPACE = uuid.UUID("7d0c6a4e-5b1f-4f0e-9a55-3c2b8f1d9e60")


class PipelineError(RuntimeError):
    """The pipeline cannot do what was asked (unknown product, foreign status list...)."""


def credential_id(kind: str, *parts: str) -> str:
    """``urn:uuid:`` of a name-based UUID (v5) over ``kind`` and ``parts``."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, chr(31).join((kind, *parts)))}"


def published(
    credential_id: str,
    kind: CredentialType,
    *,
    uri: str,
    sha256: str,
    media_type: str,
    version: int = 1,
    product_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A CredentialPublished record (schemas/credential_published.avsc)."""
    return {
        "credentialID": credential_id,
        "credentialType": kind,
        "productID": product_id,
        "version": version,
        "uri": uri,
        "hashDigest": sha256,
        "mediaType": media_type,
        "publishedAt": at or datetime.now(UTC),
    }


@dataclass(frozen=True)
class Outcome:
    """Records to announce, inputs to dead-letter, passports still waiting for events."""

    published: tuple[dict[str, Any], ...] = ()
    dead_letters: tuple[Rejected, ...] = ()
    deferred: tuple[str, ...] = ()

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.published + other.published,
            self.dead_letters + other.dead_letters,
            self.deferred + other.deferred,
        )

    def __bool__(self) -> bool:
        return bool(self.published or self.dead_letters or self.deferred)


@dataclass
class Collect:
    """A mutable Outcome while one input is processed."""

    published: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[Rejected] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.published), tuple(self.dead_letters), tuple(self.deferred))

    def add(self, other: Outcome) -> None:
        self.published.extend(other.published)
        self.dead_letters.extend(other.dead_letters)
        self.deferred.extend(other.deferred)


class Recent:
    """What was done lately (bounded, least recently used forgotten first): a re-delivered
    batch of inputs announces a stored credential once, not once per input; a DTE already
    linked to a product is not linked again."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[str, ...], None] = OrderedDict()

    def first(self, *key: str) -> bool:
        """True unless ``key`` was seen lately (and remembers it)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


def rejected(
    source: str, position: str, error_class: str, message: str, payload: bytes = b""
) -> Rejected:
    return Rejected(source, position, "process", error_class, message, payload)


def json_payload(record: Mapping[str, Any]) -> bytes:
    """A record as JSON bytes, for a dead letter whose input bytes are not at hand."""
    return json.dumps(record, sort_keys=True, default=str).encode("utf-8")


def jws_payload(token: bytes | str) -> dict[str, Any]:
    """The payload of a compact JWS the sink signed itself, WITHOUT checking the signature
    (the pipeline reads back what it stored; verification is sink.jose.verify's)."""
    text = token.decode("ascii") if isinstance(token, bytes) else token
    parts = text.split(".")
    if len(parts) != 3:
        raise PipelineError("not a compact JWS")
    body = parts[1]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise PipelineError(f"the JWS payload is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise PipelineError("the JWS payload is not a JSON object")
    return decoded


def encode_record(record: dict[str, Any]) -> bytes:
    """The sink's own bookkeeping objects in the store: sorted, compact JSON."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_record(key: str, data: bytes) -> dict[str, Any]:
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise StorageError(f"{key} is corrupt: {exc}") from None
    if not isinstance(record, dict):
        raise StorageError(f"{key} is corrupt: not a JSON object")
    return record
