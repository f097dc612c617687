"""Digital Facility Records: one per facility the events name, from the operator's master
data; a facility without master data becomes one dead letter (never a silent gap)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sink.pipeline._context import Context
from sink.pipeline._index import FacilityEntry
from sink.pipeline._records import Collect, credential_id, rejected
from sink.untp import Facility, build_dfr, find_facility

UNKNOWN = "unknown"  # events with neither bizLocation nor readPoint


def facility_key(facilities: Mapping[str, Facility], record: Mapping[str, Any]) -> str:
    """The facility an event happened at: its master-data id when the location (or the GLN
    it extends with /254/) is registered, else the location as the event names it."""
    location = record.get("bizLocation") or record.get("readPoint")
    if not isinstance(location, str) or not location:
        return UNKNOWN
    found = find_facility(facilities, location)
    return found.id if found is not None else location


def master_digest(facility: Facility) -> str:
    data = json.dumps(dataclasses.asdict(facility), sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class FacilityRecords:
    """Publishes a facility's DFR the first time this process sees the facility, unless the
    stored one was built from the same master data."""

    def __init__(self, ctx: Context, source: str | None) -> None:
        self._ctx = ctx
        self._source = source  # the master data file, for the dead letters' text
        self._checked: set[str] = set()

    def ensure(self, facility_id: str, event_id: str, now: float, out: Collect) -> None:
        if facility_id in self._checked:
            return
        facility = self._ctx.facilities.get(facility_id)
        if facility is None:
            self._missing(facility_id, event_id, out)
        else:
            self._publish(facility, now, out)
        self._checked.add(facility_id)

    def _missing(self, facility_id: str, event_id: str, out: Collect) -> None:
        if not self._ctx.index.first_missing_report(facility_id):
            return
        registry = self._source or "no facility master data (ORETRAIL_SINK_FACILITIES unset)"
        if facility_id == UNKNOWN:
            reason = (
                f"event {event_id} names neither bizLocation nor readPoint: its traceability "
                "event credential has no facility record"
            )
        else:
            reason = (
                f"facility {facility_id} (location of event {event_id}) is not in {registry}: "
                "no Digital Facility Record is published for it"
            )
        out.dead_letters.append(
            rejected("facilities", facility_id, "MissingFacilityData", reason, facility_id.encode())
        )

    def _publish(self, facility: Facility, now: float, out: Collect) -> None:
        digest = master_digest(facility)
        entry = self._ctx.index.facility(facility.id)
        current = self._ctx.store.facility_record(facility.id)
        if (
            entry is not None
            and entry.master_digest == digest
            and current is not None
            and current.sha256 == entry.sha256
        ):
            return
        cred_id = credential_id("dfr", facility.id, digest)
        unsigned = build_dfr(
            facility,
            issuer=self._ctx.issuer,
            credential_id=cred_id,
            status=self._ctx.status_entry(cred_id, out),
            valid_from=datetime.fromtimestamp(now, UTC),
        )
        stored = self._ctx.sign(unsigned)
        self._ctx.store.put_facility_record(facility.id, stored)
        self._ctx.index.put_facility(FacilityEntry(facility.id, digest, cred_id, stored.sha256))
        self._ctx.announce(out, cred_id, "DigitalFacilityRecord", stored)
