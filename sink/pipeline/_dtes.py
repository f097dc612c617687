"""Closed windows of traceability events become Digital Traceability Event credentials.

A batch's credential id is a name-based UUID of its facility, window and sorted event ids,
its ``validFrom`` the time of its latest event, so a re-delivered batch gives the same
signed bytes. Events that already have a DTE (an earlier delivery) are left out of a batch
and only re-announce theirs; an event the UNTP mapping refuses is dead-lettered alone and
recorded as rejected, so passports stop waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sink.pipeline._context import Context
from sink.pipeline._deferrals import Deferrals
from sink.pipeline._facilities import FacilityRecords
from sink.pipeline._index import EventEntry
from sink.pipeline._records import Collect, credential_id, json_payload, rejected
from sink.pipeline._windows import Batch, Buffered, event_time
from sink.untp import DteError, build_dte

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# what a TraceEvent the UNTP mapping cannot read raises
_BAD_EVENT = (DteError, KeyError, TypeError, ValueError)


class DteBatches:
    def __init__(self, ctx: Context, records: FacilityRecords, deferrals: Deferrals) -> None:
        self._ctx = ctx
        self._records = records
        self._deferrals = deferrals

    def reannounce(self, entry: EventEntry, out: Collect) -> None:
        if entry.dte is not None and entry.credential_id is not None:
            self._ctx.announce(out, entry.credential_id, "DigitalTraceabilityEvent", entry.dte)

    def publish(self, batches: Iterable[Batch], now: float, out: Collect) -> None:
        for batch in batches:
            self._publish(batch, now, out)

    def _build(self, events: list[Buffered], cred_id: str, now: float, out: Collect) -> Any:
        latest = max(event_time(e.record) for e in events)
        # an event clock ahead of ours would leave the credential "not yet valid" until then
        valid_from = min(latest, datetime.fromtimestamp(now, UTC))
        return build_dte(
            [e.record for e in events],
            issuer=self._ctx.issuer,
            credential_id=cred_id,
            status=self._ctx.status_entry(cred_id, out),
            valid_from=valid_from,
        )

    def _split_bad(
        self, events: list[Buffered]
    ) -> tuple[list[Buffered], list[tuple[Buffered, str]]]:
        """The events the mapping takes, and the others with the reason (a probe build each:
        only after a whole batch failed)."""
        probe: Mapping[str, Any] = {"type": "BitstringStatusListEntry"}
        good, bad = [], []
        for event in events:
            try:
                build_dte(
                    [event.record],
                    issuer=self._ctx.issuer,
                    credential_id="urn:oretrail:probe",
                    status=probe,
                    valid_from=_EPOCH,
                )
                good.append(event)
            except _BAD_EVENT as exc:
                bad.append((event, str(exc) or type(exc).__name__))
        return good, bad

    def _publish(self, batch: Batch, now: float, out: Collect) -> None:
        fresh = []
        for event in batch.events:
            entry = self._ctx.index.event(event.event_id)
            if entry is None:
                fresh.append(event)
            else:
                self.reannounce(entry, out)
        if not fresh:
            return
        cred_id = credential_id(
            "dte", batch.facility, str(batch.window), *(e.event_id for e in fresh)
        )
        try:
            unsigned = self._build(fresh, cred_id, now, out)
        except _BAD_EVENT:
            fresh, bad = self._split_bad(fresh)
            for event, reason in bad:
                self._reject(event, batch.facility, reason, out)
            if not fresh:
                return
            ids = (e.event_id for e in fresh)
            cred_id = credential_id("dte", batch.facility, str(batch.window), *ids)
            unsigned = self._build(fresh, cred_id, now, out)
        stored = self._ctx.sign(unsigned)
        for event in fresh:
            self._ctx.index.record_event(
                EventEntry(event.event_id, batch.facility, stored, cred_id)
            )
            self._deferrals.arrived(event.event_id)
        self._ctx.announce(out, cred_id, "DigitalTraceabilityEvent", stored)
        self._records.ensure(batch.facility, fresh[0].event_id, now, out)

    def _reject(self, event: Buffered, facility: str, reason: str, out: Collect) -> None:
        self._ctx.index.record_event(EventEntry(event.event_id, facility, rejected=reason))
        self._deferrals.arrived(event.event_id)
        position = event.position
        out.dead_letters.append(
            rejected(
                position.topic if position else "events",
                position.text() if position else "-",
                "DteError",
                f"event {event.event_id} cannot become a UNTP traceability event: {reason}",
                event.raw or json_payload(event.record),
            )
        )
