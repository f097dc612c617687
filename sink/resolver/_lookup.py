"""What the resolver reads from the credential store, turned into link targets and bytes.

Blocking calls (files, S3): the application runs them in worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sink.resolver._ids import ProductRef
from sink.resolver._linkset import DEFAULT_LINK, DFR, DPP, DTE, Target
from sink.storage import CredentialStore, InvalidKey, VersionRef

DID_JSON = "application/did+json"


@dataclass(frozen=True)
class Resource:
    data: bytes
    media_type: str


def _passports(base: str, latest: VersionRef, versions: list[VersionRef]) -> list[Target]:
    """Latest first, then its predecessors newest first. A version recorded beyond the
    latest pointer is not published yet (the sink moves the pointer right after)."""
    older = sorted((v for v in versions if v.version < latest.version), key=lambda v: -v.version)
    out = [
        Target(
            base + latest.url_path,
            f"Digital Product Passport, version {latest.version} (latest)",
            latest.media_type,
            ("latest-version",),
        )
    ]
    out += [
        Target(
            base + v.url_path,
            f"Digital Product Passport, version {v.version}",
            v.media_type,
            ("predecessor-version",),
        )
        for v in older
    ]
    return out


def product_links(store: CredentialStore, base: str, ref: ProductRef) -> dict[str, list[Target]]:
    """Every link of a product by link relation type; empty when it has no passport."""
    latest = store.latest(ref.product_id)
    if latest is None:
        return {}
    passports = _passports(base, latest, store.versions(ref.product_id))
    default = Target(passports[0].href, "Digital Product Passport (latest)", passports[0].type)
    dtes = [
        Target(
            base + link.stored.url_path,
            f"Digital Traceability Event credential ({_events(len(link.event_ids))} of this "
            "product)",
            link.stored.media_type,
        )
        for link in store.dte_links(ref.product_id)
    ]
    facilities = []
    for facility_id in store.product_facilities(ref.product_id):
        record = store.facility_record(facility_id)
        if record is not None:
            title = f"Digital Facility Record of {facility_id}"
            facilities.append(Target(base + record.url_path, title, record.media_type))
    return {DEFAULT_LINK: [default], DPP: passports, DTE: dtes, DFR: facilities}


def _events(count: int) -> str:
    return "1 event" if count == 1 else f"{count} events"


def credential(store: CredentialStore, sha256: str) -> Resource | None:
    """The stored bytes (checked against their digest by the store) and media type."""
    found = store.credential(sha256)
    return None if found is None else Resource(found.data, found.media_type)


def status_list(store: CredentialStore, name: str) -> Resource | None:
    try:
        found = store.status_list_credential(name)
    except InvalidKey:
        return None  # a name the store could never hold
    return None if found is None else Resource(found.data, found.media_type)


def did_document(store: CredentialStore) -> Resource | None:
    data = store.did_document()
    return None if data is None else Resource(data, DID_JSON)
