"""The credential store: credentials, passport versions and pointers over any ObjectStorage.

Only three storage primitives carry the guarantees, so every backend gives the same ones:

- immutable facts (a credential's bytes, a version record, a DTE link) are written with
  ``put_if_absent``: writing the same fact again writes nothing and returns False, a
  different fact under the same name raises;
- the ``latest`` pointer moves with ``compare_and_put`` in a read-compare-swap loop, so it
  only ever moves forward even with two writers (a Kafka rebalance can briefly leave two
  sink instances on one product);
- replaceable documents (facility record pointer, DID document, status list pointer) are
  written with ``put``, atomically.

A credential's media type is kept beside it in ``credential-types/`` (written first, so a
credential that is visible always has one); its bytes are checked against their SHA-256 on
every read, so a corrupted object is reported rather than served.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sink.storage import _layout as L
from sink.storage._base import InvalidKey, ObjectStorage, StorageConflict, StorageError

JSON = "application/json"
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?")
_MAX_SWAPS = 64


class VersionConflict(StorageConflict):
    """A passport version is already recorded with a different credential."""


@dataclass(frozen=True)
class Stored:
    """A credential in the store: ``url_path`` is where the resolver serves it."""

    key: str
    sha256: str
    url_path: str
    created: bool
    media_type: str

    @classmethod
    def of(cls, sha256: str, media_type: str, *, created: bool = False) -> Stored:
        return cls(
            L.credential_key(sha256), sha256, L.credential_url_path(sha256), created, media_type
        )


@dataclass(frozen=True)
class Credential:
    """A credential's bytes (already checked against their digest) and media type."""

    data: bytes
    media_type: str
    sha256: str


@dataclass(frozen=True)
class VersionRef:
    """One recorded passport version of a product and the credential it points to."""

    product_id: str
    version: int
    sha256: str
    media_type: str

    @property
    def key(self) -> str:
        return L.credential_key(self.sha256)

    @property
    def url_path(self) -> str:
        return L.credential_url_path(self.sha256)

    @property
    def stored(self) -> Stored:
        return Stored.of(self.sha256, self.media_type)


@dataclass(frozen=True)
class DteLink:
    """A traceability-event credential behind a product, and which of its events concern it."""

    stored: Stored
    event_ids: tuple[str, ...]


def check_media_type(media_type: str) -> str:
    if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
        raise InvalidKey(f"media type {media_type!r} is not of the form type/subtype")
    return media_type


class CredentialStore:
    """The sink's storage layout (see ``_layout``) over one :class:`ObjectStorage`."""

    def __init__(self, storage: ObjectStorage) -> None:
        self._storage = storage

    @property
    def storage(self) -> ObjectStorage:
        return self._storage

    def close(self) -> None:
        self._storage.close()

    # -- credentials -----------------------------------------------------------------------

    def publish(self, credential: bytes, media_type: str) -> Stored:
        """Store ``credential`` under its SHA-256; True ``created`` only the first time."""
        check_media_type(media_type)
        sha = L.sha256_hex(credential)
        type_key = L.credential_type_key(sha)
        try:
            self._storage.put_if_absent(
                type_key, L.encode_record({"mediaType": media_type, "size": len(credential)}), JSON
            )
        except StorageConflict:
            earlier = self._record(type_key)
            raise StorageConflict(
                L.credential_key(sha),
                f"credential {sha} is already published as "
                f"{earlier.get('mediaType') if earlier else '?'}, not {media_type}",
            ) from None
        created = self._storage.put_if_absent(L.credential_key(sha), credential, media_type)
        return Stored.of(sha, media_type, created=created)

    def credential(self, sha256: str) -> Credential | None:
        """The credential with this digest, or None; raises if its bytes do not match it."""
        key = L.credential_key(sha256)
        data = self._storage.get(key)
        if data is None:
            return None
        actual = L.sha256_hex(data)
        if actual != sha256:
            raise StorageError(f"{key} is corrupt: its bytes hash to {actual}")
        meta = self._record(L.credential_type_key(sha256))
        if meta is None or not isinstance(meta.get("mediaType"), str):
            raise StorageError(f"{key} has no media type record")
        return Credential(data, meta["mediaType"], sha256)

    def get(self, key_or_sha: str) -> bytes | None:
        """A credential's bytes by digest (verified), or any object of the layout by key."""
        if L.is_sha256(key_or_sha):
            found = self.credential(key_or_sha)
            return None if found is None else found.data
        return self._storage.get(key_or_sha)

    # -- passport versions -----------------------------------------------------------------

    def record_passport_version(self, product_id: str, version: int, stored: Stored) -> bool:
        """Record ``stored`` as ``version`` of the product: False if already so recorded.

        Raises :class:`VersionConflict` when that version names another credential:
        versions are immutable. The credential should have been published first.
        """
        record = _version_record(product_id, version, stored)
        self._index(product_id)
        key = L.version_key(product_id, version)
        try:
            return self._storage.put_if_absent(key, L.encode_record(record), JSON)
        except StorageConflict:
            earlier = self._record(key) or {}
            raise VersionConflict(
                key,
                f"{product_id} version {version} is already recorded with credential "
                f"{earlier.get('sha256')} ({earlier.get('mediaType')}); refusing "
                f"{stored.sha256} ({stored.media_type}): versions are immutable",
            ) from None

    def move_latest(self, product_id: str, version: int) -> bool:
        """Point ``latest`` at a recorded version; False when it is already there or later."""
        key = L.version_key(product_id, version)
        target = self._storage.get(key)
        if target is None:
            raise StorageError(
                f"{product_id} has no version {version} recorded: record it before moving latest"
            )
        pointer = L.latest_key(product_id)
        for _ in range(_MAX_SWAPS):
            current = self._storage.get(pointer)
            if current is not None and _version_of(pointer, current) >= version:
                return False
            if self._storage.compare_and_put(pointer, target, JSON, expected=current):
                return True
        raise StorageError(f"{pointer}: the pointer kept changing under {_MAX_SWAPS} attempts")

    def latest(self, product_id: str) -> VersionRef | None:
        key = L.latest_key(product_id)
        data = self._storage.get(key)
        return None if data is None else _version_ref(key, data, product_id)

    def version(self, product_id: str, version: int) -> VersionRef | None:
        key = L.version_key(product_id, version)
        data = self._storage.get(key)
        return None if data is None else _version_ref(key, data, product_id)

    def versions(self, product_id: str) -> list[VersionRef]:
        """Every recorded version, oldest first."""
        refs = []
        for key in self._storage.list(L.versions_prefix(product_id)):
            data = self._storage.get(key)
            if data is not None:
                refs.append(_version_ref(key, data, product_id))
        return sorted(refs, key=lambda ref: ref.version)

    def products(self) -> list[str]:
        """The id of every product the store holds anything for."""
        ids = []
        for key in self._storage.list("products/"):
            if key.count("/") == 2 and key.endswith("/id"):
                data = self._storage.get(key)
                if data is not None:
                    ids.append(data.decode("utf-8"))
        return sorted(ids)

    # -- traceability events and facilities ------------------------------------------------

    def link_dte(self, product_id: str, stored: Stored, event_ids: Iterable[str]) -> bool:
        """Record that the DTE credential ``stored`` carries events of the product."""
        ids = sorted(set(event_ids))
        if not all(isinstance(e, str) and e for e in ids):
            raise InvalidKey(f"event ids must be non-empty strings: {ids!r}")
        self._index(product_id)
        key = L.dte_key(product_id, stored.sha256)
        record = {"sha256": stored.sha256, "mediaType": stored.media_type, "eventIDs": ids}
        try:
            return self._storage.put_if_absent(key, L.encode_record(record), JSON)
        except StorageConflict:
            raise StorageConflict(
                key,
                f"DTE {stored.sha256} is already linked to {product_id} with other event ids "
                f"or media type than {ids} ({stored.media_type})",
            ) from None

    def dte_links(self, product_id: str) -> list[DteLink]:
        links = []
        for key in self._storage.list(L.dtes_prefix(product_id)):
            record = self._record(key)
            if record is not None:
                stored = _stored_of(key, record)
                links.append(DteLink(stored, tuple(_strings(key, record.get("eventIDs")))))
        return links

    def dtes(self, product_id: str) -> list[Stored]:
        return [link.stored for link in self.dte_links(product_id)]

    def put_facility_record(self, facility_id: str, stored: Stored) -> bool:
        """Point the facility at its current record credential; False when unchanged."""
        key = L.facility_key(facility_id)
        record = L.encode_record(
            {"facilityID": facility_id, "sha256": stored.sha256, "mediaType": stored.media_type}
        )
        if self._storage.get(key) == record:
            return False
        self._storage.put(key, record, JSON)
        return True

    def facility_record(self, facility_id: str) -> Stored | None:
        key = L.facility_key(facility_id)
        record = self._record(key)
        return None if record is None else _stored_of(key, record)

    def facilities(self) -> list[str]:
        """Every facility id that has a record."""
        ids = []
        for key in self._storage.list("facilities/"):
            record = self._record(key)
            if record is not None and isinstance(record.get("facilityID"), str):
                ids.append(record["facilityID"])
        return sorted(ids)

    def link_facility(self, product_id: str, facility_id: str) -> bool:
        """Record that the product passed through the facility (for its linkset)."""
        self._index(product_id)
        key = L.product_facility_key(product_id, facility_id)
        return self._storage.put_if_absent(key, facility_id.encode("utf-8"), "text/plain")

    def product_facilities(self, product_id: str) -> list[str]:
        ids = []
        for key in self._storage.list(L.product_facilities_prefix(product_id)):
            data = self._storage.get(key)
            if data is not None:
                ids.append(data.decode("utf-8"))
        return sorted(ids)

    # -- issuer documents ------------------------------------------------------------------

    def put_did_document(self, document: bytes) -> bool:
        """Replace the issuer's DID document; False when it is unchanged."""
        if self._storage.get(L.DID_DOCUMENT_KEY) == document:
            return False
        self._storage.put(L.DID_DOCUMENT_KEY, document, JSON)
        return True

    def did_document(self) -> bytes | None:
        return self._storage.get(L.DID_DOCUMENT_KEY)

    def put_status_list(
        self, name: str, credential: bytes, media_type: str = "application/vc+jwt"
    ) -> Stored:
        """Publish a status list credential and point ``status/<name>`` at it.

        Earlier lists stay under their digests, so a credential verified against one can be
        checked again later.
        """
        stored = self.publish(credential, media_type)
        key = L.status_list_key(name)
        record = L.encode_record({"sha256": stored.sha256, "mediaType": media_type})
        if self._storage.get(key) != record:
            self._storage.put(key, record, JSON)
        return stored

    def status_list_credential(self, name: str) -> Credential | None:
        key = L.status_list_key(name)
        record = self._record(key)
        if record is None:
            return None
        return self.credential(_stored_of(key, record).sha256)

    def status_list(self, name: str) -> bytes | None:
        found = self.status_list_credential(name)
        return None if found is None else found.data

    # -- internals -------------------------------------------------------------------------

    def _index(self, product_id: str) -> None:
        # The digest names the product's folder; this entry says which URI it stands for.
        self._storage.put_if_absent(
            L.product_id_key(product_id), product_id.encode("utf-8"), "text/plain"
        )

    def _record(self, key: str) -> dict[str, Any] | None:
        data = self._storage.get(key)
        return None if data is None else L.decode_record(key, data)


def _version_record(product_id: str, version: int, stored: Stored) -> dict[str, Any]:
    L.check_id("product", product_id)
    return {
        "productID": product_id,
        "version": L.check_version(version),
        "sha256": L.check_sha256(stored.sha256),
        "mediaType": check_media_type(stored.media_type),
    }


def _version_of(key: str, data: bytes) -> int:
    version = L.decode_record(key, data).get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise StorageError(f"{key} is corrupt: no integer version")
    return version


def _version_ref(key: str, data: bytes, product_id: str) -> VersionRef:
    record = L.decode_record(key, data)
    stored = _stored_of(key, record)
    if record.get("productID") != product_id:
        raise StorageError(f"{key} is corrupt: it records {record.get('productID')!r}")
    return VersionRef(product_id, _version_of(key, data), stored.sha256, stored.media_type)


def _stored_of(key: str, record: dict[str, Any]) -> Stored:
    sha, media_type = record.get("sha256"), record.get("mediaType")
    if not isinstance(sha, str) or not L.is_sha256(sha) or not isinstance(media_type, str):
        raise StorageError(f"{key} is corrupt: no sha256/mediaType")
    return Stored.of(sha, media_type)


def _strings(key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StorageError(f"{key} is corrupt: eventIDs is not a list of strings")
    return value
