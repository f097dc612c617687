"""The issuer's revocation list: one status list index per credential, the bits, and the
signed ``BitstringStatusListCredential`` the resolver serves at ``BASE/status/<name>``.

The bits are kept beside the credential store's layout (``pipeline/status-lists/<name>/``)
so that several writers (the sink, ``oretrail passport revoke`` in another process) agree:

- ``next``: the first index no writer has reserved; a writer reserves a block of indices
  with one ``compare_and_put`` and hands them out itself (the rest of a block is unused
  when the writer stops: bits no credential points at);
- ``allocations/<sha256 of credential id>``: the index given to a credential, written with
  ``put_if_absent``, so a re-delivered input gets the index it had, and of two writers
  allocating for the same credential one index stands;
- ``bits``: size, encoded list and a revision, swapped with ``compare_and_put``.

The signed list is then re-published from ``bits`` whenever the published one differs, and
checked again afterwards, so a racing writer's older list cannot stay the published one. A
credential whose index lies beyond the published list is handed out only after the list
has grown to hold it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sink.jose import (
    MEDIA_TYPE,
    MIN_BITS,
    KeyRing,
    StatusList,
    sign_credential,
    status_entry,
    status_list_credential,
)
from sink.pipeline._records import (
    PipelineError,
    decode_record,
    encode_record,
    jws_payload,
    published,
)
from sink.storage import CredentialStore, ObjectStorage, StorageConflict, StorageError

_MAX_SWAPS = 64
JSON = "application/json"


@dataclass(frozen=True)
class Bits:
    size: int
    encoded: str
    revision: int

    def bitstring(self) -> StatusList:
        return StatusList.decode(self.encoded)

    def data(self) -> bytes:
        return encode_record(
            {"size": self.size, "encodedList": self.encoded, "revision": self.revision}
        )


class RevocationList:
    """Allocates status entries and revokes credentials on one status list."""

    def __init__(
        self,
        store: CredentialStore,
        ring: KeyRing,
        issuer: str,
        list_url: str,
        name: str = "revocation",
        clock: Callable[[], float] | None = None,
        block_size: int = 256,
    ) -> None:
        self._store = store
        self._storage: ObjectStorage = store.storage
        self._ring = ring
        self._issuer = issuer
        self.url = list_url
        self.name = name
        self._clock = clock
        prefix = f"pipeline/status-lists/{name}/"
        self._next_key = prefix + "next"
        self._bits_key = prefix + "bits"
        self._allocations = prefix + "allocations/"
        self._block_size = block_size
        self._block: list[int] = []  # indices reserved by this writer, next one last
        self._known_size = 0  # the list held at least this many bits when last looked at

    # -- indices ---------------------------------------------------------------------------

    def _allocation_key(self, credential_id: str) -> str:
        return self._allocations + hashlib.sha256(credential_id.encode("utf-8")).hexdigest()

    def index_of(self, credential_id: str) -> int | None:
        key = self._allocation_key(credential_id)
        data = self._storage.get(key)
        if data is None:
            return None
        index = decode_record(key, data).get("index")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise StorageError(f"{key} is corrupt: no index")
        return index

    def entry(self, credential_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The ``credentialStatus`` of ``credential_id`` (the same index every time), and the
        CredentialPublished records of a list that had to grow for it."""
        index = self.index_of(credential_id)
        if index is None:
            index = self._allocate(credential_id)
        grown = [] if index < self._known_size else self._ensure_size(index + 1)
        return status_entry(self.url, index), grown

    def _reserve(self) -> None:
        """Take the next block of indices from the shared counter (one swap per block)."""
        for _ in range(_MAX_SWAPS):
            current = self._storage.get(self._next_key)
            start = 0 if current is None else decode_record(self._next_key, current).get("next", 0)
            if not isinstance(start, int) or start < 0:
                raise StorageError(f"{self._next_key} is corrupt: no next index")
            advanced = encode_record({"next": start + self._block_size})
            if self._storage.compare_and_put(self._next_key, advanced, JSON, expected=current):
                self._block = list(range(start + self._block_size - 1, start - 1, -1))
                return
        raise StorageError(f"{self._next_key}: kept changing under {_MAX_SWAPS} attempts")

    def _allocate(self, credential_id: str) -> int:
        if not self._block:
            self._reserve()
        index = self._block.pop()
        record = encode_record({"credentialID": credential_id, "index": index})
        key = self._allocation_key(credential_id)
        try:
            self._storage.put_if_absent(key, record, JSON)
            return index
        except StorageConflict:
            # another writer allocated for the same credential first: theirs stands, this
            # index stays unused (a bit no credential points at)
            found = self.index_of(credential_id)
            assert found is not None, f"{key} vanished after a conflict"
            return found

    # -- bits ------------------------------------------------------------------------------

    def _bits(self) -> tuple[Bits, bytes | None]:
        raw = self._storage.get(self._bits_key)
        if raw is None:
            return Bits(MIN_BITS, StatusList(MIN_BITS).encode(), 0), None
        record = decode_record(self._bits_key, raw)
        size, encoded, revision = (
            record.get("size"),
            record.get("encodedList"),
            record.get("revision"),
        )
        if (
            not isinstance(size, int)
            or not isinstance(encoded, str)
            or not isinstance(revision, int)
        ):
            raise StorageError(f"{self._bits_key} is corrupt: size, encodedList, revision")
        return Bits(size, encoded, revision), raw

    def _swap(self, change: Callable[[Bits], Bits | None]) -> bool:
        """Apply ``change`` to the bits (None: nothing to change); True when it changed them."""
        for _ in range(_MAX_SWAPS):
            bits, raw = self._bits()
            new = change(bits)
            if new is None:
                return False
            if self._storage.compare_and_put(self._bits_key, new.data(), JSON, expected=raw):
                return True
        raise StorageError(f"{self._bits_key}: kept changing under {_MAX_SWAPS} attempts")

    def _ensure_size(self, needed: int) -> list[dict[str, Any]]:
        def grow(bits: Bits) -> Bits | None:
            if needed <= bits.size:
                return None
            size = bits.size
            while size < needed:
                size *= 2
            data = bits.bitstring().to_bytes() + bytes((size - bits.size) // 8)
            return Bits(size, StatusList(size, data).encode(), bits.revision + 1)

        self._swap(grow)
        records = self.sync()
        # remember the list's whole size, not just what was needed: indices are handed out
        # in order, so remembering ``needed`` sent every next credential back here (a read
        # of the bits and of the published list per passport)
        bits, _ = self._bits()
        self._known_size = max(self._known_size, needed, bits.size)
        return records

    def is_revoked(self, index: int) -> bool:
        bits, _ = self._bits()
        return index < bits.size and bits.bitstring().get(index)

    def revoke(self, index: int) -> list[dict[str, Any]]:
        """Set bit ``index`` and publish the list; [] when it was set already."""
        self._ensure_size(index + 1)

        def set_bit(bits: Bits) -> Bits | None:
            bitstring = bits.bitstring()
            if bitstring.get(index):
                return None
            bitstring.revoke(index)
            return Bits(bits.size, bitstring.encode(), bits.revision + 1)

        self._swap(set_bit)
        return self.sync()

    # -- the published list ----------------------------------------------------------------

    def _published_list(self) -> str | None:
        found = self._store.status_list_credential(self.name)
        if found is None:
            return None
        subject = jws_payload(found.data).get("credentialSubject")
        encoded = subject.get("encodedList") if isinstance(subject, dict) else None
        if not isinstance(encoded, str):
            raise PipelineError(f"the published status list {self.url} has no encodedList")
        return encoded

    def sync(self) -> list[dict[str, Any]]:
        """Publish the signed list when it differs from the bits (also: none published yet);
        the CredentialPublished records of what was published."""
        records: list[dict[str, Any]] = []
        for _ in range(_MAX_SWAPS):
            bits, _ = self._bits()
            if self._published_list() == bits.encoded:
                return records
            now = datetime.fromtimestamp(self._clock(), UTC) if self._clock else datetime.now(UTC)
            unsigned = status_list_credential(
                self.url, bits.bitstring(), issuer=self._issuer, valid_from=now
            )
            token = sign_credential(unsigned, self._ring).encode("ascii")
            stored = self._store.put_status_list(self.name, token, MEDIA_TYPE)
            records.append(
                published(
                    self.url,
                    "BitstringStatusListCredential",
                    uri=self.url,
                    sha256=stored.sha256,
                    media_type=MEDIA_TYPE,
                    version=bits.revision,
                )
            )
        raise StorageError(f"status list {self.name}: kept changing under {_MAX_SWAPS} attempts")
