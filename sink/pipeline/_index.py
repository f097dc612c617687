"""The pipeline's own records beside the credential store's layout (``pipeline/``):

- ``pipeline/events/<sha256 of event id>``: which DTE credential carries the event (or why
  none can), written once with ``put_if_absent``; passports find their DTEs through it and a
  re-delivered event is not published twice;
- ``pipeline/facility-records/<sha256 of facility id>``: the digest of the master data the
  facility's current DFR was built from, so a changed registry gives a new DFR;
- ``pipeline/missing-facilities/<sha256 of facility id>``: a facility without master data was
  reported (once).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sink.pipeline._records import decode_record, encode_record
from sink.storage import ObjectStorage, StorageConflict, StorageError, Stored

JSON = "application/json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EventEntry:
    """An event's DTE (``dte`` and ``credential_id``), or the reason it has none."""

    event_id: str
    facility: str
    dte: Stored | None = None
    credential_id: str | None = None
    rejected: str | None = None

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"eventID": self.event_id, "facility": self.facility}
        if self.dte is not None:
            out.update(
                sha256=self.dte.sha256,
                mediaType=self.dte.media_type,
                credentialID=self.credential_id,
            )
        if self.rejected is not None:
            out["rejected"] = self.rejected
        return out

    @classmethod
    def of(cls, key: str, record: dict[str, Any]) -> EventEntry:
        event_id, facility = record.get("eventID"), record.get("facility")
        if not isinstance(event_id, str) or not isinstance(facility, str):
            raise StorageError(f"{key} is corrupt: no eventID/facility")
        sha, media_type = record.get("sha256"), record.get("mediaType")
        dte = None
        if isinstance(sha, str) and isinstance(media_type, str):
            dte = Stored.of(sha, media_type)
        credential_id = record.get("credentialID")
        reason = record.get("rejected")
        return cls(
            event_id,
            facility,
            dte,
            credential_id if isinstance(credential_id, str) else None,
            reason if isinstance(reason, str) else None,
        )


@dataclass(frozen=True)
class FacilityEntry:
    facility_id: str
    master_digest: str
    credential_id: str
    sha256: str


class PipelineIndex:
    def __init__(self, storage: ObjectStorage) -> None:
        self._storage = storage

    # -- events ----------------------------------------------------------------------------

    @staticmethod
    def _event_key(event_id: str) -> str:
        return f"pipeline/events/{_digest(event_id)}"

    def event(self, event_id: str) -> EventEntry | None:
        key = self._event_key(event_id)
        data = self._storage.get(key)
        return None if data is None else EventEntry.of(key, decode_record(key, data))

    def record_event(self, entry: EventEntry) -> EventEntry:
        """Record ``entry`` unless the event has a record already; the one that stands."""
        key = self._event_key(entry.event_id)
        try:
            self._storage.put_if_absent(key, encode_record(entry.record()), JSON)
            return entry
        except StorageConflict:
            # an earlier delivery put the event in another batch (a crash between storing
            # that DTE and committing): the first record stands, the event is not re-linked
            found = self.event(entry.event_id)
            assert found is not None, f"{key} vanished after a conflict"
            return found

    # -- facilities ------------------------------------------------------------------------

    @staticmethod
    def _facility_key(facility_id: str) -> str:
        return f"pipeline/facility-records/{_digest(facility_id)}"

    def facility(self, facility_id: str) -> FacilityEntry | None:
        key = self._facility_key(facility_id)
        data = self._storage.get(key)
        if data is None:
            return None
        r = decode_record(key, data)
        fields = (
            r.get("facilityID"),
            r.get("masterDigest"),
            r.get("credentialID"),
            r.get("sha256"),
        )
        if not all(isinstance(f, str) for f in fields):
            raise StorageError(f"{key} is corrupt")
        return FacilityEntry(*(str(f) for f in fields))

    def put_facility(self, entry: FacilityEntry) -> None:
        record = {
            "facilityID": entry.facility_id,
            "masterDigest": entry.master_digest,
            "credentialID": entry.credential_id,
            "sha256": entry.sha256,
        }
        self._storage.put(self._facility_key(entry.facility_id), encode_record(record), JSON)

    def first_missing_report(self, facility_id: str) -> bool:
        """True the first time a facility is reported as having no master data."""
        key = f"pipeline/missing-facilities/{_digest(facility_id)}"
        return self._storage.put_if_absent(key, facility_id.encode("utf-8"), "text/plain")
