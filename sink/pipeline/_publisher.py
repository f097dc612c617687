"""The sink's processing as plain functions over a real credential store (no Kafka).

:class:`Publisher` turns TraceEvents into Digital Traceability Event credentials (batched per
facility and window), the facilities they name into Digital Facility Records, PassportUpdates
into Digital Product Passports that link those DTEs by SHA-256, and keeps the revocation
list. Every call returns an :class:`Outcome` (records to announce, dead letters, passports
still waiting); :meth:`Publisher.held` says which input positions are not done yet.

Idempotence: credential ids are name-based (the same batch or passport version names the
same credential), EdDSA signatures are deterministic, credentials are content-addressed and
written with ``put_if_absent``, an event records the DTE that carries it once, a passport
version is recorded once. A re-delivered input therefore writes nothing new; it only
announces its stored credential again (CredentialPublished is at-least-once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sink.config import SinkSettings
from sink.jose import KeyRing, did_document
from sink.pipeline._context import Context
from sink.pipeline._deferrals import Deferrals
from sink.pipeline._dtes import DteBatches
from sink.pipeline._facilities import FacilityRecords, facility_key
from sink.pipeline._index import PipelineIndex
from sink.pipeline._passports import Passports, bad_update
from sink.pipeline._records import (
    Collect,
    Outcome,
    PipelineError,
    json_payload,
    jws_payload,
    rejected,
)
from sink.pipeline._status import RevocationList
from sink.pipeline._windows import Batch, Buffered, Position, Windows, event_time
from sink.storage import CredentialStore, open_storage
from sink.untp import Facility, Issuer, load_facilities

STATUS_LIST = "revocation"


@dataclass(frozen=True)
class Revocation:
    product_id: str
    version: int
    index: int
    list_url: str
    outcome: Outcome  # empty when the passport was revoked already


class Publisher:
    """Events, passport updates and revocations in; credentials in the store out.

    Not thread-safe: one thread drives it (the runner's). Several publishers (processes) may
    share one store: every shared record is written with put_if_absent or compare_and_put.
    """

    def __init__(
        self,
        settings: SinkSettings,
        home: Path,
        *,
        store: CredentialStore | None = None,
        ring: KeyRing | None = None,
        facilities: Mapping[str, Facility] | None = None,
        max_defer_seconds: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        store = store or CredentialStore(open_storage(settings.storage(home), settings))
        ring = ring or KeyRing.from_settings(settings, home)
        issuer = Issuer(settings.did(), settings.issuer_name)
        base = settings.public_base_url.rstrip("/")
        if facilities is None:
            facilities = load_facilities(settings.facilities) if settings.facilities else {}
        status = RevocationList(
            store, ring, issuer.id, f"{base}/status/{STATUS_LIST}", STATUS_LIST, clock
        )
        self.ctx = Context(
            store, ring, issuer, base, status, PipelineIndex(store.storage), dict(facilities)
        )
        self.windows = Windows(settings.dte_window_seconds, self._facility_of)
        self._deferrals = Deferrals(max_defer_seconds)
        records = FacilityRecords(
            self.ctx, str(settings.facilities) if settings.facilities else None
        )
        self._dtes = DteBatches(self.ctx, records, self._deferrals)
        self._passports = Passports(self.ctx, self._deferrals)
        self._clock = clock

    @property
    def store(self) -> CredentialStore:
        return self.ctx.store

    @property
    def status_list_url(self) -> str:
        return self.ctx.status.url

    def close(self) -> None:
        self.ctx.store.close()

    def _facility_of(self, record: Mapping[str, Any]) -> str:
        return facility_key(self.ctx.facilities, record)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _published_kids(self) -> list[str]:
        raw = self.ctx.store.did_document()
        if raw is None:
            return []
        try:
            document = json.loads(raw)
            return [str(m["id"]) for m in document.get("verificationMethod") or []]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PipelineError(f"the published DID document is unreadable: {exc}") from None

    def start(self) -> Outcome:
        """Publish the issuer's DID document and the status list (when missing or stale).

        Refuses a key ring that lacks a key the published document lists: replacing the
        document would leave every credential signed with that key unverifiable."""
        ring = {k.kid for k in self.ctx.ring.all}
        dropped = [kid for kid in self._published_kids() if kid not in ring]
        if dropped:
            raise PipelineError(
                f"the published DID document lists keys the key ring lacks: {', '.join(dropped)};"
                " credentials signed with them would stop verifying. Put those keys (the public "
                "part is enough) in the key directory, or use the sink's own key directory"
            )
        self.ctx.store.put_did_document(
            json_payload(did_document(self.ctx.issuer.id, self.ctx.ring))
        )
        return Outcome(published=tuple(self.ctx.status.sync()))

    # -- traceability events ---------------------------------------------------------------

    def on_event(
        self,
        record: Mapping[str, Any],
        position: Position | None = None,
        raw: bytes = b"",
        now: float | None = None,
    ) -> Outcome:
        """Buffer a TraceEvent in its window; an event that has a DTE already only announces
        it again; a passport waiting for this event gets its window closed at once."""
        now = self._now(now)
        event_id = record.get("eventID")
        reason = None
        if not isinstance(event_id, str) or not event_id:
            reason = "the TraceEvent has no eventID"
        else:
            try:
                event_time(record)
            except ValueError as exc:
                reason = str(exc)
        if reason is not None or not isinstance(event_id, str):
            where, source = (position.text(), position.topic) if position else ("-", "events")
            letter = rejected(
                source, where, "InvalidEvent", str(reason), raw or json_payload(record)
            )
            return Outcome(dead_letters=(letter,))
        out = Collect()
        entry = self.ctx.index.event(event_id)
        if entry is not None:
            self._dtes.reannounce(entry, out)
            return out.outcome()
        self.windows.add(Buffered(record, position, raw), now)
        if self._deferrals.waits_for(event_id):
            self._close(self.windows.take_containing([event_id]), now, out)
        return out.outcome()

    def close_windows(self, now: float | None = None) -> Outcome:
        """Publish the windows that are due, then the passports that stopped waiting."""
        now = self._now(now)
        out = Collect()
        self._close(self.windows.due(now), now, out)
        return out.outcome()

    def close_windows_containing(
        self, event_ids: Iterable[str], now: float | None = None
    ) -> Outcome:
        now = self._now(now)
        out = Collect()
        self._close(self.windows.take_containing(event_ids), now, out)
        return out.outcome()

    def close_all(self, now: float | None = None) -> Outcome:
        """Publish every open window (before a clean stop or giving up partitions)."""
        now = self._now(now)
        out = Collect()
        self._close(self.windows.take_all(), now, out)
        return out.outcome()

    def _close(self, batches: list[Batch], now: float, out: Collect) -> None:
        self._dtes.publish(batches, now, out)
        self._passports.retry(now, out)

    # -- passports -------------------------------------------------------------------------

    def on_passport(
        self,
        update: Mapping[str, Any],
        position: Position | None = None,
        raw: bytes = b"",
        now: float | None = None,
    ) -> Outcome:
        """Publish a passport version once every source event has its DTE (windows holding
        them are closed first); else it waits, reported in ``Outcome.deferred``."""
        now = self._now(now)
        product, version = update.get("productID"), update.get("version")
        ids = update.get("sourceEventIDs") or []
        if (
            not isinstance(product, str)
            or isinstance(version, bool)
            or not isinstance(version, int)
            or not isinstance(ids, list | tuple)
            or not all(isinstance(e, str) for e in ids)
        ):
            reason = "a PassportUpdate needs productID, an integer version and sourceEventIDs"
            return Outcome(dead_letters=(bad_update(update, position, raw, reason),))
        out = Collect()
        if self._passports.already_published(product, version, out):
            return out.outcome()
        if self._deferrals.holds(product, version):
            out.deferred.append(f"{product} v{version}")
            return out.outcome()
        self._close(self.windows.take_containing(ids), now, out)
        self._passports.publish_or_defer(update, position, raw, now, out)
        return out.outcome()

    # -- offsets ---------------------------------------------------------------------------

    def held(self) -> dict[tuple[str, int], int]:
        """The lowest offset per (topic, partition) whose input is still buffered or waiting:
        committing beyond it could lose that input."""
        lowest: dict[tuple[str, int], int] = {}
        for p in [*self.windows.positions(), *self._deferrals.positions()]:
            tp = (p.topic, p.partition)
            lowest[tp] = min(lowest.get(tp, p.offset), p.offset)
        return lowest

    @property
    def waiting(self) -> int:
        """How many passport updates wait for events."""
        return len(self._deferrals)

    def forget(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Drop the waiting passports of partitions this instance no longer owns (their
        offsets were not committed: the new owner reads them again)."""
        self._deferrals.forget(set(partitions))

    # -- revocation ------------------------------------------------------------------------

    def revoke(self, product_id: str, version: int | None = None) -> Revocation:
        """Revoke a passport version (the latest by default): set its bit in the revocation
        list and publish the list again (nothing is published when it was set already)."""
        store = self.ctx.store
        active = self.ctx.ring.active.kid
        if active not in self._published_kids():
            raise PipelineError(
                f"the signing key {active} is not in the published DID document: a status list "
                "signed with it would not verify. Use the sink's key directory (or start the "
                "sink once to publish this key)"
            )
        ref = store.latest(product_id) if version is None else store.version(product_id, version)
        if ref is None:
            which = "passport" if version is None else f"passport version {version}"
            raise PipelineError(f"{product_id} has no {which} in {store.storage.url}")
        found = store.credential(ref.sha256)
        if found is None:
            raise PipelineError(
                f"{product_id} version {ref.version}: credential {ref.sha256} is missing"
            )
        status = jws_payload(found.data).get("credentialStatus")
        entries = status if isinstance(status, list) else [status]
        url = self.ctx.status.url
        mine = [
            e
            for e in entries
            if isinstance(e, dict)
            and e.get("statusListCredential") == url
            and e.get("statusPurpose") == "revocation"
        ]
        index_text = str(mine[0].get("statusListIndex", "")) if mine else ""
        if not index_text.isdigit():
            raise PipelineError(
                f"{product_id} version {ref.version} has no entry in the revocation list {url}"
            )
        index = int(index_text)
        records = self.ctx.status.revoke(index)
        return Revocation(product_id, ref.version, index, url, Outcome(tuple(records)))
