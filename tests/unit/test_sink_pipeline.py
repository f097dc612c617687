"""sink.pipeline.Publisher over a real file store: passports with their DTEs and facility
records, re-delivery, versions, passports waiting for their events, revocation, missing
facility master data. Inputs come from the project's own pipeline (tests.sink_inputs)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sink.config import SinkSettings
from sink.jose import VerificationError, Verified, verify
from sink.pipeline import PipelineError, Position, Publisher
from sink.pipeline._records import jws_payload
from sink.untp import validate
from tests.sink_inputs import (
    CSF,
    MINE,
    REFINERY,
    facilities_file,
    later_events,
    passport_update,
    refinery_events,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()
EVENTS = "t.events"
UPDATES = "t.updates"


def settings(tmp: Path, facilities: Path | None = None, **extra: Any) -> SinkSettings:
    values: dict[str, Any] = {
        "storage_url": (tmp / "store").as_uri(),
        "key_dir": tmp / "keys",
        "facilities": facilities if facilities is not None else facilities_file(tmp),
    }
    return SinkSettings(**{**values, **extra})


def publisher(tmp: Path, **kwargs: Any) -> Publisher:
    cfg = kwargs.pop("cfg", None) or settings(tmp)
    pub = Publisher(cfg, tmp, clock=lambda: NOW, **kwargs)
    pub.start()
    return pub


def snapshot(pub: Publisher) -> dict[str, bytes]:
    storage = pub.store.storage
    return {key: storage.get(key) or b"" for key in storage.list()}


def check(pub: Publisher, data: bytes | str) -> Verified:
    """Full verification: signature against the published DID document, the published
    status list, the UNTP structural check."""
    document = json.loads(pub.store.did_document() or b"{}")

    def status(url: str) -> str:
        assert url == pub.status_list_url
        return (pub.store.status_list("revocation") or b"").decode()

    token = data.decode() if isinstance(data, bytes) else data
    return verify(
        token,
        resolve_did=lambda did: document,
        fetch_status=status,
        validate=validate,
        now=datetime.now(UTC),
    )


def feed(pub: Publisher, records: list[dict[str, Any]], start: int = 0) -> list[Any]:
    return [pub.on_event(r, Position(EVENTS, 0, start + i), now=NOW) for i, r in enumerate(records)]


def of_type(records: tuple[Mapping[str, Any], ...], kind: str) -> list[Mapping[str, Any]]:
    return [r for r in records if r["credentialType"] == kind]


def dpp_of(pub: Publisher, product: str, version: int | None = None) -> dict[str, Any]:
    ref = pub.store.latest(product) if version is None else pub.store.version(product, version)
    assert ref is not None
    return jws_payload(pub.store.get(ref.sha256) or b"")


def test_a_passport_with_its_events_gives_a_dpp_its_dtes_and_facility_records(
    tmp_path: Path,
) -> None:
    pub = publisher(tmp_path)
    events = refinery_events()
    assert not any(feed(pub, events)), "events wait in their windows"
    update, _ = passport_update(CSF, events, events)

    out = pub.on_passport(update, Position(UPDATES, 0, 0), now=NOW)

    assert out.dead_letters == ()
    assert out.deferred == ()
    (dpp,) = of_type(out.published, "DigitalProductPassport")
    dtes = of_type(out.published, "DigitalTraceabilityEvent")
    dfrs = of_type(out.published, "DigitalFacilityRecord")
    assert (dpp["productID"], dpp["version"]) == (CSF, 1)
    # the events fall on four days: four windows, four DTEs; two facilities
    assert len(dtes) == 4
    assert len(dfrs) == 2
    for record in out.published:
        stored = pub.store.get(record["hashDigest"])
        assert stored is not None
        assert hashlib.sha256(stored).hexdigest() == record["hashDigest"]
        assert record["uri"] == f"{pub.ctx.base}/credentials/{record['hashDigest']}"
        verified = check(pub, stored)
        assert verified.credential["id"] == record["credentialID"]
    latest = pub.store.latest(CSF)
    assert latest is not None
    assert latest.sha256 == dpp["hashDigest"]

    subject = dpp_of(pub, CSF)["credentialSubject"]
    links = subject["traceabilityInformation"][0]["traceabilityEvent"]
    assert {link["hashDigest"] for link in links} == {d["hashDigest"] for d in dtes}
    for link in links:
        stored = pub.store.get(link["hashDigest"]) or b""
        assert hashlib.sha256(stored).hexdigest() == link["hashDigest"]
        assert link["linkURL"] == f"{pub.ctx.base}/credentials/{link['hashDigest']}"
    carried = {
        e["id"]
        for d in dtes
        for e in jws_payload(pub.store.get(d["hashDigest"]) or b"")["credentialSubject"]
    }
    assert carried == set(update["sourceEventIDs"])
    assert pub.store.product_facilities(CSF) == sorted([MINE, REFINERY])
    assert pub.held() == {}, "nothing buffered or waiting: every offset may be committed"


def test_the_same_update_and_events_again_write_nothing_new(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    events = refinery_events()
    feed(pub, events)
    update, _ = passport_update(CSF, events, events)
    first = pub.on_passport(update, Position(UPDATES, 0, 0), now=NOW)
    before = snapshot(pub)

    # a restarted sink reads the same inputs again (nothing was committed)
    again = publisher(tmp_path)
    replayed = feed(again, events)
    second = again.on_passport(update, Position(UPDATES, 0, 0), now=NOW)

    assert snapshot(again) == before
    # the stored credentials are announced again (CredentialPublished is at-least-once)
    (dpp,) = of_type(first.published, "DigitalProductPassport")
    (dpp_again,) = of_type(second.published, "DigitalProductPassport")
    assert (dpp_again["credentialID"], dpp_again["hashDigest"]) == (
        dpp["credentialID"],
        dpp["hashDigest"],
    )
    announced = {r["hashDigest"] for o in replayed for r in o.published}
    assert announced == {
        r["hashDigest"] for r in of_type(first.published, "DigitalTraceabilityEvent")
    }
    assert again.held() == {}


def test_a_redelivered_batch_is_signed_to_the_same_bytes(tmp_path: Path) -> None:
    """Two stores, the same key and inputs: byte-identical DTEs (name-based ids, validFrom
    from the events, deterministic EdDSA)."""
    events = refinery_events()
    digests = []
    for name in ("a", "b"):
        cfg = settings(tmp_path, storage_url=(tmp_path / name).as_uri())
        pub = publisher(tmp_path, cfg=cfg)
        feed(pub, events)
        digests.append(sorted(r["hashDigest"] for r in pub.close_all(NOW).published))
    assert digests[0] == digests[1]
    assert len(digests[0]) == 6


def test_version_two_moves_latest_and_links_every_dte_so_far(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    events, later = refinery_events(), later_events()
    feed(pub, events)
    v1, state = passport_update(CSF, events, events)
    pub.on_passport(v1, Position(UPDATES, 0, 0), now=NOW)
    feed(pub, later, start=len(events))
    v2, _ = passport_update(CSF, events + later, later, previous=state)

    out = pub.on_passport(v2, Position(UPDATES, 0, 1), now=NOW)

    (dpp,) = of_type(out.published, "DigitalProductPassport")
    assert dpp["version"] == 2
    assert [v.version for v in pub.store.versions(CSF)] == [1, 2]
    latest = pub.store.latest(CSF)
    assert latest is not None
    assert latest.version == 2
    links = dpp_of(pub, CSF)["credentialSubject"]["traceabilityInformation"][0]
    assert len(links["traceabilityEvent"]) == 5  # v1's four DTEs and the later event's
    # version 1 delivered again: nothing moves back
    pub.on_passport(v1, Position(UPDATES, 0, 0), now=NOW)
    latest = pub.store.latest(CSF)
    assert latest is not None
    assert latest.version == 2


def test_a_passport_waits_for_its_events_and_is_published_when_they_arrive(
    tmp_path: Path,
) -> None:
    pub = publisher(tmp_path)
    events = refinery_events()
    update, _ = passport_update(CSF, events, events)

    waiting = pub.on_passport(update, Position(UPDATES, 2, 7), now=NOW)

    assert waiting.deferred == (f"{CSF} v1",)
    assert waiting.published == ()
    assert pub.store.latest(CSF) is None
    assert pub.held() == {(UPDATES, 2): 7}
    outcomes = feed(pub, events, start=40)
    assert all(o.published for o in outcomes), "a waited-for event closes its window at once"
    dpps = [r for o in outcomes for r in of_type(o.published, "DigitalProductPassport")]
    assert len(dpps) == 1
    assert outcomes[-1].published[-1] is dpps[0]
    assert pub.store.latest(CSF) is not None
    assert pub.held() == {}
    assert pub.waiting == 0


def test_a_passport_stops_waiting_after_the_limit_and_names_the_missing_events(
    tmp_path: Path,
) -> None:
    pub = publisher(tmp_path, max_defer_seconds=30)
    events = refinery_events()
    feed(pub, events[:3])
    update, _ = passport_update(CSF, events, events)
    assert pub.on_passport(update, Position(UPDATES, 0, 0), now=NOW).deferred
    assert pub.close_windows(NOW + 10).published == ()

    out = pub.close_windows(NOW + 31)

    (letter,) = out.dead_letters
    assert str(events[3]["eventID"]) in letter.message
    assert "not seen within 30 s" in letter.message
    assert of_type(out.published, "DigitalProductPassport")
    links = dpp_of(pub, CSF)["credentialSubject"]["traceabilityInformation"][0]
    assert len(links["traceabilityEvent"]) == 3
    assert pub.held() == {}


def test_a_revoked_passport_fails_verification_as_revoked(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    events, later = refinery_events(), later_events()
    feed(pub, events + later)
    v1, state = passport_update(CSF, events, events)
    pub.on_passport(v1, now=NOW)
    v2, _ = passport_update(CSF, events + later, later, previous=state)
    pub.on_passport(v2, now=NOW)
    first = pub.store.version(CSF, 1)
    assert first is not None
    token = pub.store.get(first.sha256) or b""
    check(pub, token)

    revoked = pub.revoke(CSF, version=1)

    (record,) = revoked.outcome.published
    assert record["credentialType"] == "BitstringStatusListCredential"
    with pytest.raises(VerificationError) as caught:
        check(pub, token)
    assert caught.value.reason == "revoked"
    latest = pub.store.latest(CSF)
    assert latest is not None
    check(pub, pub.store.get(latest.sha256) or b"")  # version 2 stays valid
    assert pub.revoke(CSF, version=1).outcome.published == (), "revoked already"
    assert pub.revoke(CSF).version == 2
    with pytest.raises(PipelineError, match="no passport"):
        pub.revoke("https://id.gs1.org/01/09506000134420/10/NOPE")


def test_missing_facility_master_data_is_one_dead_letter(tmp_path: Path) -> None:
    only_refinery = facilities_file(
        tmp_path, f"- id: {REFINERY}\n  name: Cobalt refinery\n  country: FI\n"
    )
    pub = publisher(tmp_path, cfg=settings(tmp_path, only_refinery))
    events = refinery_events()
    feed(pub, events)
    update, _ = passport_update(CSF, events, events)

    out = pub.on_passport(update, now=NOW)

    (letter,) = out.dead_letters
    assert letter.error_class == "MissingFacilityData"
    assert letter.position == MINE
    assert MINE in letter.message
    assert str(only_refinery) in letter.message
    (_dfr,) = of_type(out.published, "DigitalFacilityRecord")
    assert pub.store.facilities() == [REFINERY]
    assert of_type(out.published, "DigitalProductPassport"), "the passport is not held back"
    # a later event at the same facility, even in a restarted sink, is not reported again
    again = publisher(tmp_path, cfg=settings(tmp_path, only_refinery))
    feed(again, later_events())
    assert again.close_all(NOW).dead_letters == ()


def test_an_event_the_untp_mapping_refuses_is_dead_lettered_and_not_waited_for(
    tmp_path: Path,
) -> None:
    from tests.sink_inputs import events_of

    # a TransactionEvent naming no parties and no location: UNTP needs source/destination
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-03T08:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "type": "TransactionEvent",
                    "eventTime": "2026-10-30T07:00:00Z",
                    "eventTimeZoneOffset": "+00:00",
                    "action": "ADD",
                    "bizTransactionList": [
                        {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0950600022349:PO-1"}
                    ],
                    "quantityList": [{"epcClass": CSF, "quantity": 100, "uom": "KGM"}],
                }
            ]
        },
    }
    (odd,) = events_of(document)
    pub = publisher(tmp_path)
    events = refinery_events()
    feed(pub, [*events, odd])
    update, _ = passport_update(CSF, events, [*events, odd])

    out = pub.on_passport(update, now=NOW)

    refused = [d for d in out.dead_letters if d.error_class == "DteError"]
    assert len(refused) == 1
    assert str(odd["eventID"]) in refused[0].message
    assert of_type(out.published, "DigitalProductPassport")
    assert pub.held() == {}


def test_a_later_version_waits_behind_an_earlier_one_that_waits(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    events, later = refinery_events(), later_events()
    v1, state = passport_update(CSF, events, events)
    v2, _ = passport_update(CSF, events + later, later, previous=state)
    feed(pub, later)

    assert pub.on_passport(v1, Position(UPDATES, 0, 0), now=NOW).deferred
    # version 2's own events have their DTE, but it would miss version 1's links
    assert pub.on_passport(v2, Position(UPDATES, 0, 1), now=NOW).deferred
    outcomes = feed(pub, events, start=10)

    dpps = [r for o in outcomes for r in of_type(o.published, "DigitalProductPassport")]
    assert [r["version"] for r in dpps] == [1, 2]
    links = dpp_of(pub, CSF, 2)["credentialSubject"]["traceabilityInformation"][0]
    assert len(links["traceabilityEvent"]) == 5
    assert pub.held() == {}


def test_a_key_ring_missing_a_published_key_is_refused(tmp_path: Path) -> None:
    pub = publisher(tmp_path)
    events = refinery_events()
    feed(pub, events)
    pub.on_passport(passport_update(CSF, events, events)[0], now=NOW)
    before = pub.store.did_document()
    # the same store, but another (empty, so freshly keyed) key directory
    stranger = Publisher(settings(tmp_path, key_dir=tmp_path / "other-keys"), tmp_path)

    with pytest.raises(PipelineError, match="lists keys the key ring lacks"):
        stranger.start()
    with pytest.raises(PipelineError, match="not in the published DID document"):
        stranger.revoke(CSF)
    assert pub.store.did_document() == before
