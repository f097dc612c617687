"""Every file a scenario writes, in the form each site's systems send it.

A :class:`FeedFile` is the bytes plus what the manifest says about them: format, which
connector reads it, how many events (rows, messages) it holds, which of them are expected
to be rejected and why, which repeat events sent before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulator import epcis_xml
from simulator.epcis_json import document as json_document
from simulator.events import event
from simulator.model import Flow, Operation, Site

ERP_FEEDS = frozenset({"erp-csv", "erp-json", "erp-staging"})
#: what reads each format (connector names of `oretrail connectors list`)
CONNECTORS: dict[str, str | None] = {
    "epcis-json-2.0": "epcis-file",
    "epcis-xml-2.0": "epcis-file",
    "epcis-xml-1.2": "epcis-file",
    "erp-csv": "erp-file",
    "erp-json": "erp-file",
    "erp-staging": "erp-postgres",
    "mqtt-jsonl": "mqtt",
    "mqtt-config": None,
}


@dataclass(frozen=True)
class Rejection:
    """An input the pipeline must refuse: ``what`` it is, a part of the ``reason`` it gives,
    and who refuses it: the ``connector`` reading the file, or the ``processors`` (an event
    the connector accepts whose composition breaks the contract)."""

    what: str
    reason: str
    stage: str = "connector"


@dataclass(frozen=True)
class FeedFile:
    path: str  # relative to the output folder, "/"-separated
    data: bytes
    format: str
    connector: str | None  # None: a configuration file (mapping, schema), not a feed
    site: str | None
    delivered: datetime  # when the site sends it: the order of --stream
    events: int = 0  # events, rows or messages the connector accepts (duplicates included)
    duplicates: int = 0  # of them, repeats of events sent in other files
    rejected: tuple[Rejection, ...] = ()
    operations: tuple[str, ...] = ()  # keys of the operations it carries
    notes: dict[str, object] = field(default_factory=dict)


#: EPCIS writers by site feed; each takes (events, created, site) -> bytes
EpcisWriter = Callable[[Sequence[dict[str, object]], datetime, Site], bytes]


def _json_writer(events: Sequence[dict[str, object]], created: datetime, site: Site) -> bytes:
    return json_document(events, created, site.utc_offset)


def _xml_writer(events: Sequence[dict[str, object]], created: datetime, site: Site) -> bytes:
    return epcis_xml.document(events, created, site, "2.0")


def _xml12_writer(events: Sequence[dict[str, object]], created: datetime, site: Site) -> bytes:
    return epcis_xml.document(events, created, site, "1.2")


EPCIS_WRITERS: dict[str, tuple[str, str, EpcisWriter]] = {
    "epcis-json": ("epcis-json-2.0", "jsonld", _json_writer),
    "epcis-xml": ("epcis-xml-2.0", "xml", _xml_writer),
    "epcis-xml-1.2": ("epcis-xml-1.2", "xml", _xml12_writer),
}


def weeks(ops: Sequence[Operation]) -> list[list[Operation]]:
    """A site's operations cut into its weekly documents (Monday to Sunday, UTC)."""
    groups: dict[tuple[int, int], list[Operation]] = {}
    for op in ops:
        iso = op.time.isocalendar()
        groups.setdefault((iso.year, iso.week), []).append(op)
    return [groups[k] for k in sorted(groups)]


def delivered(ops: Sequence[Operation]) -> datetime:
    """A weekly document goes out a few hours after its last event."""
    return max(op.time for op in ops) + timedelta(hours=3)


def epcis_file(
    flow: Flow, site: Site, ops: Sequence[Operation], when: datetime, suffix: str = ""
) -> FeedFile:
    fmt, ext, write = EPCIS_WRITERS.get(site.feed, EPCIS_WRITERS["epcis-json"])
    data = write([event(op, flow) for op in ops], when, site)
    name = f"epcis/{site.key}/{site.key}-{min(op.time for op in ops):%Y-%m-%d}{suffix}.{ext}"
    return FeedFile(
        name, data, fmt, CONNECTORS[fmt], site.key, when, events=len(ops),
        operations=tuple(op.key for op in ops),
    )  # fmt: skip


def epcis_feeds(
    flow: Flow, held_back: frozenset[str] = frozenset(), elsewhere: frozenset[str] = frozenset()
) -> list[FeedFile]:
    """The weekly documents of every EPCIS site (every site whose feed is not one of
    ``elsewhere``); ``held_back`` operations are left out (the late-events fault sends them
    afterwards)."""
    files = []
    for site in flow.sites.values():
        if site.feed in elsewhere:
            continue
        ops = [op for op in flow.operations if op.site == site.key and op.key not in held_back]
        for group in weeks(ops):
            files.append(epcis_file(flow, site, group, delivered(group)))
    return files
