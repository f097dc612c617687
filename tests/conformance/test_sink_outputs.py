"""Every credential the sink's pipeline publishes conforms, read back from the store it filled.

The real :class:`sink.pipeline.Publisher` (file:// store, a real key ring rotated once) is fed
what the processors would hand it: the refinery sample's events, a cell plant and a pack
plant's events, a later declaration about the ore lot, and two passport versions of each of
four products (two material lots, a serialised cell and a battery pack). Then every object
under ``credentials/`` is read back, its JWS payload decoded, and checked against:

- the official UNTP v0.6.1 JSON Schema of its kind (DPP, DTE, DFR), with format checking;
- the W3C VC 2.0 JSON Schema (the status list credentials too);
- JSON-LD expansion over local copies of the contexts only, with no term dropped;
- ``sink.jose.verify``: signature against the DID document the store holds, the status list
  the store holds, the project's own UNTP check.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sink.config import SinkSettings
from sink.jose import KeyRing, Verified, unenvelope, verify
from sink.pipeline import Outcome, Publisher
from sink.storage import CredentialStore, open_storage
from sink.untp import load_facilities, validate
from streams.passports import PassportState
from tests.conformance.untp_standards import Standards, expansion_problems, schema_errors
from tests.sink_inputs import (
    CSF,
    KOL,
    MINE,
    REFINERY,
    events_of,
    facilities_file,
    later_events,
    passport_update,
    refinery_events,
)

BASE = "https://passports.example.com"
DID = "did:web:passports.example.com"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC).timestamp()
CELL_PLANT = "https://id.gs1.org/414/0950600033345"
PACK_PLANT = "https://id.gs1.org/414/0950600044341"
CELL = "https://id.gs1.org/01/09506000134444/21/C-1"
PACK = "https://id.gs1.org/01/09506000134468/21/P-0001"
PRODUCTS = (KOL, CSF, CELL, PACK)  # upstream first, as the ledger's lineage runs
KIND = {
    "DigitalProductPassport": "dpp",
    "DigitalTraceabilityEvent": "dte",
    "DigitalFacilityRecord": "dfr",
    "BitstringStatusListCredential": "status",
}

# The cell plant turns 50 kg of the refined lot into a serialised cell of 45 kg; the pack
# plant packs that cell into a battery pack (an item passport).
BATTERY: dict[str, Any] = {
    "@context": [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"ot": "https://oretrail.dev/ns/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"},
    ],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-11-06T08:00:00Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "TransformationEvent",
                "eventTime": "2026-11-03T09:15:00.000+01:00",
                "eventTimeZoneOffset": "+01:00",
                "bizStep": "commissioning",
                "disposition": "active",
                "inputQuantityList": [{"epcClass": CSF, "quantity": 50, "uom": "KGM"}],
                "outputEPCList": [CELL],
                "readPoint": {"id": CELL_PLANT},
                "bizLocation": {"id": CELL_PLANT},
                "ot:processEmissions": {"ot:kgCO2e": 120, "ot:stage": "MainProduction"},
                "ilmd": {"cbvmda:netWeight": 45},
            },
            {
                "type": "AggregationEvent",
                "eventTime": "2026-11-05T08:00:00Z",
                "eventTimeZoneOffset": "+00:00",
                "action": "ADD",
                "bizStep": "packing",
                "disposition": "container_closed",
                "parentID": PACK,
                "childEPCs": [CELL],
                "readPoint": {"id": PACK_PLANT},
                "bizLocation": {"id": PACK_PLANT},
            },
        ]
    },
}

FACILITIES = f"""\
facilities:
  - id: {MINE}
    name: Kolwezi cobalt mine
    country: CD
    operator_id: https://id.gs1.org/417/0950600012340
    operator_name: Kolwezi Mining SA
  - id: {REFINERY}
    name: Cobalt refinery
    country: FI
    latitude: 63.84
    longitude: 23.13
  - id: {CELL_PLANT}
    name: Cell plant 1
    country: DE
  - id: {PACK_PLANT}
    name: Pack assembly plant
    country: PL
"""


@dataclass(frozen=True)
class Filled:
    store: CredentialStore
    ring: KeyRing
    status_list_url: str
    event_ids: frozenset[str]
    updates: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Read:
    """One object of ``credentials/``: its digest, media type, JWS and decoded payload."""

    sha256: str
    media_type: str
    token: str
    credential: dict[str, Any]

    @property
    def kind(self) -> str:
        kinds = [KIND[t] for t in self.credential["type"] if t in KIND]
        assert len(kinds) == 1, f"{self.sha256}: type {self.credential['type']}"
        return kinds[0]


def _passports(
    events: list[dict[str, Any]], sources: list[dict[str, Any]], states: dict[str, PassportState]
) -> list[dict[str, Any]]:
    """The next passport version of every product, as the processors would publish it."""
    updates = []
    for product in PRODUCTS:
        update, states[product] = passport_update(product, events, sources, states.get(product))
        updates.append(update)
    return updates


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    tmp = tmp_path_factory.mktemp("sink-outputs")
    # a week-long window: the mine's commissioning and shipping share one DTE
    settings = SinkSettings(
        public_base_url=BASE, key_dir=tmp / "keys", dte_window_seconds=7 * 86_400
    )
    assert settings.did() == DID
    ring = KeyRing.load(tmp / "keys", None, "EdDSA", did=DID)
    ring.rotate()  # credentials are signed by the newer key; the DID document lists both
    store = CredentialStore(open_storage((tmp / "store").as_uri(), settings))
    facilities = load_facilities(facilities_file(tmp, FACILITIES))
    publisher = Publisher(
        settings, tmp, store=store, ring=ring, facilities=facilities, clock=lambda: NOW
    )
    try:
        outcome = publisher.start()
        first = refinery_events() + events_of(BATTERY)
        later = later_events()
        states: dict[str, PassportState] = {}
        updates = []
        for record in first:
            outcome += publisher.on_event(record)
        for update in _passports(first, first, states):
            outcome += publisher.on_passport(update)
            updates.append(update)
        for record in later:
            outcome += publisher.on_event(record)
        for update in _passports(first + later, later, states):
            outcome += publisher.on_passport(update)
            updates.append(update)
        outcome += publisher.close_all()
        _check_outcome(outcome)
        yield Filled(
            store,
            ring,
            publisher.status_list_url,
            frozenset(str(r["eventID"]) for r in first + later),
            tuple(updates),
        )
    finally:
        publisher.close()


def _check_outcome(outcome: Outcome) -> None:
    assert not outcome.dead_letters, outcome.dead_letters
    assert not outcome.deferred, outcome.deferred


@pytest.fixture(scope="module")
def std(standards: Path) -> Standards:
    return Standards(standards)


@pytest.fixture(scope="module")
def stored(filled: Filled) -> list[Read]:
    """Every credential object of the store, decoded."""
    out = []
    for key in filled.store.storage.list("credentials/"):
        sha = key.removeprefix("credentials/")
        found = filled.store.credential(sha)
        assert found is not None, key
        token = unenvelope(found.data)
        payload = token.split(".")[1]
        credential = json.loads(_b64url(payload))
        assert isinstance(credential, dict)
        out.append(Read(sha, found.media_type, token, credential))
    return out


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def of_kind(stored: list[Read], kind: str) -> list[Read]:
    return [r for r in stored if r.kind == kind]


def full_check(
    filled: Filled, token: str, validator: Callable[[Mapping[str, Any]], list[str]] = validate
) -> Verified:
    """sink.jose.verify against the DID document and the status list the store holds."""
    document: dict[str, Any] = json.loads(filled.store.did_document() or b"{}")

    def resolve(did: str) -> Mapping[str, Any]:
        assert did == DID
        return document

    def status(url: str) -> str:
        assert url == filled.status_list_url
        return (filled.store.status_list("revocation") or b"").decode("ascii")

    return verify(
        token, resolve_did=resolve, fetch_status=status, validate=validator, now=datetime.now(UTC)
    )


# --- what the store holds ----------------------------------------------------------------------


def test_the_store_holds_every_kind_of_credential(filled: Filled, stored: list[Read]) -> None:
    counts = Counter(r.kind for r in stored)
    # two versions of four passports, four facilities, the status list (at least once)
    assert counts["dpp"] == 8
    assert counts["dfr"] == 4
    assert counts["status"] >= 1
    assert counts["dte"] >= 4
    assert set(counts) == {"dpp", "dte", "dfr", "status"}
    assert {r.media_type for r in stored} == {"application/vc+jwt"}
    for read in stored:
        assert hashlib.sha256(read.token.encode("ascii")).hexdigest() == read.sha256
    # every passport version the processors sent is recorded, with its granularity
    versions = {(p, ref.version): ref.sha256 for p in PRODUCTS for ref in filled.store.versions(p)}
    assert sorted(versions) == sorted((u["productID"], u["version"]) for u in filled.updates)
    assert set(versions.values()) == {r.sha256 for r in of_kind(stored, "dpp")}
    granularity = {
        r.credential["credentialSubject"]["product"]["id"]: r.credential["credentialSubject"][
            "granularityLevel"
        ]
        for r in of_kind(stored, "dpp")
    }
    assert granularity == {KOL: "batch", CSF: "batch", CELL: "item", PACK: "item"}


def test_every_event_is_carried_by_exactly_one_dte(filled: Filled, stored: list[Read]) -> None:
    carried = Counter(
        event["id"] for r in of_kind(stored, "dte") for event in r.credential["credentialSubject"]
    )
    assert set(carried) == filled.event_ids
    assert set(carried.values()) == {1}
    # the window batches: some DTE holds more than one event
    assert max(len(r.credential["credentialSubject"]) for r in of_kind(stored, "dte")) > 1


def test_passports_link_stored_dtes_by_digest(stored: list[Read]) -> None:
    dtes = {r.sha256 for r in of_kind(stored, "dte")}
    linked: set[str] = set()
    for read in of_kind(stored, "dpp"):
        (information,) = read.credential["credentialSubject"]["traceabilityInformation"]
        for link in information["traceabilityEvent"]:
            assert link["hashMethod"] == "SHA-256"
            assert link["hashDigest"] in dtes
            assert link["linkURL"] == f"{BASE}/credentials/{link['hashDigest']}"
            linked.add(link["hashDigest"])
    assert linked == dtes, "every DTE is linked from some passport"


def test_facility_records_name_every_facility(filled: Filled, stored: list[Read]) -> None:
    facilities = {
        r.credential["credentialSubject"]["facility"]["id"] for r in of_kind(stored, "dfr")
    }
    assert facilities == {MINE, REFINERY, CELL_PLANT, PACK_PLANT}
    assert filled.store.facilities() == sorted(facilities)


# --- conformance -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dpp", "dte", "dfr"])
def test_untp_credentials_validate_against_the_official_schemas(
    std: Standards, stored: list[Read], kind: str
) -> None:
    untp, vc = std.schema(kind), std.vc_schema()
    reads = of_kind(stored, kind)
    assert reads
    for read in reads:
        assert schema_errors(untp, read.credential) == [], read.sha256
        assert schema_errors(vc, read.credential) == [], read.sha256
        assert validate(read.credential) == [], read.sha256


def test_status_list_credentials_validate_against_the_vc_schema(
    std: Standards, stored: list[Read]
) -> None:
    vc = std.vc_schema()
    reads = of_kind(stored, "status")
    assert reads
    for read in reads:
        assert schema_errors(vc, read.credential) == [], read.sha256
        subject = read.credential["credentialSubject"]
        assert subject["type"] == "BitstringStatusList"
        assert subject["statusPurpose"] == "revocation"


@pytest.mark.parametrize("kind", ["dpp", "dte", "dfr", "status"])
def test_json_ld_expands_without_undefined_terms(
    std: Standards, stored: list[Read], kind: str
) -> None:
    reads = of_kind(stored, kind)
    assert reads
    for read in reads:
        assert expansion_problems(read.credential, std.loader) == [], read.sha256
    assert std.refused == []


# --- verification ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dpp", "dte", "dfr"])
def test_every_credential_verifies(filled: Filled, stored: list[Read], kind: str) -> None:
    kids = {k.kid for k in filled.ring.all}
    reads = of_kind(stored, kind)
    assert reads
    for read in reads:
        verified = full_check(filled, read.token)
        assert verified.credential == read.credential
        assert verified.issuer == DID
        assert verified.kid == filled.ring.active.kid
        assert verified.kid in kids
        entry = read.credential["credentialStatus"]
        assert entry["statusListCredential"] == filled.status_list_url


def test_status_list_credentials_verify(std: Standards, filled: Filled, stored: list[Read]) -> None:
    vc = std.vc_schema()
    reads = of_kind(stored, "status")
    assert reads
    for read in reads:
        verified = full_check(filled, read.token, lambda c: schema_errors(vc, c))
        assert verified.credential["id"] == filled.status_list_url
    # the list the store points at is one of them
    current = filled.store.status_list("revocation")
    assert current is not None
    assert hashlib.sha256(current).hexdigest() in {r.sha256 for r in reads}
