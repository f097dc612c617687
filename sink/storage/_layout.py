"""Where the credential store keeps what: pure key names and record encodings.

Layout (the same on every backend)::

    credentials/<sha256>                 the credential's bytes (content-addressed, immutable)
    credential-types/<sha256>.json       {"mediaType", "size"} of those bytes
    products/<sha256 of id>/id           the product id itself (a URI, so never a key)
    products/<h>/versions/<v, 20 digits> {"productID", "version", "sha256", "mediaType"}
    products/<h>/latest                  a copy of the newest version record (moves forward)
    products/<h>/dtes/<sha256>           {"sha256", "mediaType", "eventIDs"}
    products/<h>/facilities/<sha256 of facility id>   the facility id
    facilities/<sha256 of facility id>   {"facilityID", "sha256", "mediaType"}
    did/did.json                         the issuer's DID document
    status/<name>                        a status list credential

Versions are zero-padded so that a sorted listing is in version order. Records are
canonical JSON (sorted keys, no spaces), so writing the same facts twice gives the same
bytes and an immutable key sees a harmless re-delivery rather than a conflict.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from sink.storage._base import InvalidKey, StorageError, validate_key

MAX_VERSION = 2**63 - 1  # a PassportUpdate's version is an Avro long
_VERSION_DIGITS = 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_ID_LENGTH = 4096

DID_DOCUMENT_KEY = "did/did.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sha256(text: str) -> bool:
    """True for a lowercase SHA-256 hex digest (the form every key and URL uses)."""
    return bool(_SHA256.fullmatch(text))


def check_sha256(text: str) -> str:
    if not is_sha256(text):
        raise InvalidKey(f"{text!r} is not a SHA-256 digest (64 lowercase hex digits)")
    return text


def check_id(kind: str, identifier: str) -> str:
    """A product or facility id: any non-empty text without control characters."""
    if not isinstance(identifier, str) or not identifier:
        raise InvalidKey(f"{kind} id must be a non-empty string, got {identifier!r}")
    if len(identifier) > MAX_ID_LENGTH:
        raise InvalidKey(f"{kind} id {identifier[:60]!r}... is longer than {MAX_ID_LENGTH}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in identifier):
        raise InvalidKey(f"{kind} id {identifier!r} contains control characters")
    return identifier


def check_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidKey(f"version must be an integer, got {version!r}")
    if not 0 <= version <= MAX_VERSION:
        raise InvalidKey(f"version {version} is outside 0..{MAX_VERSION}")
    return version


def id_digest(identifier: str) -> str:
    """The key-safe name of a URI: SHA-256 of its UTF-8 bytes, exactly as given."""
    return sha256_hex(identifier.encode("utf-8"))


def credential_key(sha256: str) -> str:
    return f"credentials/{check_sha256(sha256)}"


def credential_type_key(sha256: str) -> str:
    return f"credential-types/{check_sha256(sha256)}.json"


def credential_url_path(sha256: str) -> str:
    """The path the resolver serves the credential at, under the public base URL."""
    return f"/credentials/{check_sha256(sha256)}"


def product_prefix(product_id: str) -> str:
    return f"products/{id_digest(check_id('product', product_id))}/"


def product_id_key(product_id: str) -> str:
    return product_prefix(product_id) + "id"


def versions_prefix(product_id: str) -> str:
    return product_prefix(product_id) + "versions/"


def version_key(product_id: str, version: int) -> str:
    return versions_prefix(product_id) + f"{check_version(version):0{_VERSION_DIGITS}d}"


def version_of_key(key: str) -> int:
    """The version a ``.../versions/<digits>`` key names (the inverse of :func:`version_key`)."""
    last = key.rpartition("/")[2]
    if len(last) != _VERSION_DIGITS or not last.isdigit():
        raise InvalidKey(f"{key!r} is not a version key")
    return int(last)


def latest_key(product_id: str) -> str:
    return product_prefix(product_id) + "latest"


def dtes_prefix(product_id: str) -> str:
    return product_prefix(product_id) + "dtes/"


def dte_key(product_id: str, sha256: str) -> str:
    return dtes_prefix(product_id) + check_sha256(sha256)


def product_facilities_prefix(product_id: str) -> str:
    return product_prefix(product_id) + "facilities/"


def product_facility_key(product_id: str, facility_id: str) -> str:
    return product_facilities_prefix(product_id) + id_digest(check_id("facility", facility_id))


def facility_key(facility_id: str) -> str:
    return f"facilities/{id_digest(check_id('facility', facility_id))}"


def status_list_key(name: str) -> str:
    if "/" in name:
        raise InvalidKey(f"status list name {name!r} must be a single segment")
    return validate_key(f"status/{name}")


def encode_record(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_record(key: str, data: bytes) -> dict[str, Any]:
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StorageError(f"{key} is corrupt: not a JSON record ({exc})") from exc
    if not isinstance(record, dict):
        raise StorageError(f"{key} is corrupt: not a JSON object")
    return record
