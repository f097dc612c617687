"""Passport updates become Digital Product Passports that link the DTEs of their events.

A version already recorded writes nothing (it is announced again). Otherwise the DTEs of the
update's source events are linked to the product, the DPP is built with a traceability link
(URL and SHA-256 of the stored bytes) to every DTE linked to the product so far, signed,
stored, recorded as that version, and ``latest`` moves to it (never backwards).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.sdk import Rejected
from sink.pipeline._context import Context
from sink.pipeline._deferrals import Deferrals, Deferred
from sink.pipeline._index import EventEntry
from sink.pipeline._records import Collect, credential_id, json_payload, jws_payload, rejected
from sink.pipeline._windows import Position
from sink.storage import StorageConflict, Stored, VersionConflict
from sink.untp import PassportError, TraceLink, build_dpp

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=value)
    return None


def source_events(update: Mapping[str, Any]) -> list[str]:
    return sorted({str(e) for e in update.get("sourceEventIDs") or []})


def bad_update(
    update: Mapping[str, Any], position: Position | None, raw: bytes, reason: str
) -> Rejected:
    return rejected(
        position.topic if position else "passport-updates",
        position.text() if position else "-",
        "InvalidPassportUpdate",
        reason,
        raw or json_payload(update),
    )


class Passports:
    def __init__(self, ctx: Context, deferrals: Deferrals) -> None:
        self._ctx = ctx
        self.deferrals = deferrals

    def already_published(self, product: str, version: int, out: Collect) -> bool:
        """True when the version is recorded (its credential is announced again)."""
        ref = self._ctx.store.version(product, version)
        if ref is None:
            return False
        found = self._ctx.store.credential(ref.sha256)
        if found is not None:
            cred_id = str(jws_payload(found.data).get("id"))
            self._ctx.announce(
                out,
                cred_id,
                "DigitalProductPassport",
                ref.stored,
                version=version,
                product_id=product,
            )
        return True

    def publish_or_defer(
        self,
        update: Mapping[str, Any],
        position: Position | None,
        raw: bytes,
        now: float,
        out: Collect,
    ) -> None:
        entries = {e: self._ctx.index.event(e) for e in source_events(update)}
        missing = {e for e, entry in entries.items() if entry is None}
        product, version = str(update["productID"]), int(update["version"])
        if missing or self.deferrals.waiting_before(product, version):
            self.deferrals.defer(Deferred(dict(update), position, raw, now, missing))
            out.deferred.append(f"{update['productID']} v{update['version']}")
            return
        self._publish(update, position, raw, [e for e in entries.values() if e], now, out)

    def retry(self, now: float, out: Collect) -> None:
        """Publish the waiting updates whose events all arrived, and those that waited too
        long (with the DTEs there are; the missing events are reported)."""
        for waiting in self.deferrals.ready(now):
            update = waiting.update
            entries = {e: self._ctx.index.event(e) for e in source_events(update)}
            unseen = sorted(e for e, entry in entries.items() if entry is None)
            if unseen:
                reason = (
                    f"{update['productID']} version {update['version']} published without "
                    f"the traceability events {', '.join(unseen)}: not seen within "
                    f"{self.deferrals.limit:g} s"
                )
                out.dead_letters.append(bad_update(update, waiting.position, waiting.raw, reason))
            found = [entry for entry in entries.values() if entry is not None]
            self._publish(update, waiting.position, waiting.raw, found, now, out)

    def _link(self, product: str, entries: list[EventEntry]) -> list[TraceLink]:
        by_dte: dict[str, tuple[Stored, list[str]]] = {}
        for entry in entries:
            if entry.dte is not None:
                by_dte.setdefault(entry.dte.sha256, (entry.dte, []))[1].append(entry.event_id)
        for sha, (stored, event_ids) in by_dte.items():
            if not self._ctx.linked.first(product, sha):
                continue  # this process linked it lately
            # linked for an earlier version already, with the events that version named
            with contextlib.suppress(StorageConflict):
                self._ctx.store.link_dte(product, stored, event_ids)
        return [
            TraceLink(
                self._ctx.base + link.stored.url_path,
                link.stored.sha256,
                link.event_ids,
                link.stored.media_type,
            )
            for link in self._ctx.store.dte_links(product)
        ]

    def _publish(
        self,
        update: Mapping[str, Any],
        position: Position | None,
        raw: bytes,
        entries: list[EventEntry],
        now: float,
        out: Collect,
    ) -> None:
        store = self._ctx.store
        product, version = str(update["productID"]), int(update["version"])
        links = self._link(product, entries)
        cred_id = credential_id("dpp", product, str(version), str(update.get("contentHash")))
        current = datetime.fromtimestamp(now, UTC)
        issued = _moment(update.get("issuedAt")) or current
        try:
            unsigned = build_dpp(
                update,
                issuer=self._ctx.issuer,
                credential_id=cred_id,
                status=self._ctx.status_entry(cred_id, out),
                traceability=links,
                valid_from=min(issued, current),
            )
        except (PassportError, KeyError, TypeError, ValueError) as exc:
            reason = f"{product} version {version}: no passport credential: {exc}"
            out.dead_letters.append(bad_update(update, position, raw, reason))
            return
        stored = self._ctx.sign(unsigned)
        try:
            store.record_passport_version(product, version, stored)
        except VersionConflict:
            return  # another sink instance recorded this version first: its credential stands
        store.move_latest(product, version)
        for facility in sorted({e.facility for e in entries if e.facility in self._ctx.facilities}):
            store.link_facility(product, facility)
        self._ctx.announce(
            out, cred_id, "DigitalProductPassport", stored, version=version, product_id=product
        )
