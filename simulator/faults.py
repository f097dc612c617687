"""The injected faults, each switchable (``Scenario.faults``):

* ``laundering``: a cobalt refinery run declares 30 % more sulphate than its inputs allow
  (made by the generator, simulator.refining); the ledger's mass-balance check must flag
  the lot it made, and the mark must follow the material into the packs;
* ``malformed``: input the readers must refuse, with a reason: an EPCIS JSON document cut
  off mid-event (the events before the cut are repeats), an EPCIS XML document declaring an
  external entity, EPCIS events breaking the standard (bad check digit, unknown action) or
  the composition contract (a mass fraction above 1: dead-lettered by the processors), ERP
  rows with an unknown unit and an unreadable number, MQTT payloads that are not JSON or
  measure a temperature in kilograms;
* ``duplicates``: EPCIS documents sent twice, an ERP extract exported twice, MQTT messages
  redelivered (QoS 1);
* ``late``: events sent long after the events that depend on them (mine and recycler
  commissioning, an ERP lot master), telemetry published out of order.

Malformed input only ever holds repeats of good events or events about lots the chain does
not use, so the ground truth is the same with or without faults (apart from laundering).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from oretrail.identifiers import gs1_check_digit
from simulator import erp_files, erp_mapping, mqtt
from simulator.erp import erp_rows
from simulator.events import CONTEXT, local_time
from simulator.feeds import FeedFile, Rejection, epcis_file
from simulator.model import Commission, Flow, Operation

#: sites whose commissioning events are held back by the late fault, and how many
LATE = {"drc-mine": 3, "de-recycler": 2}
LATE_ERP = ("id-nickel", 2)
#: every how many weekly EPCIS documents is sent twice
RESEND_EVERY = 9
#: every how many MQTT messages is redelivered
REDELIVER_EVERY = 40


@dataclass
class Injection:
    held_back: set[str] = field(default_factory=set)  # operations sent late
    files: list[FeedFile] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def end_of(flow: Flow) -> datetime:
    return max(op.time for op in flow.operations)


def held_back(flow: Flow, faults: tuple[str, ...]) -> set[str]:
    """The operations the late fault keeps out of their regular documents."""
    if "late" not in faults:
        return set()
    keys: set[str] = set()
    for site, count in (*LATE.items(), LATE_ERP):
        ops = [op for op in flow.operations if isinstance(op, Commission) and op.site == site]
        keys.update(op.key for op in ops[1 : 1 + count])
    return keys


def late_files(flow: Flow, keys: set[str]) -> tuple[list[FeedFile], dict[str, Any]]:
    when = end_of(flow) + timedelta(days=2)
    files = []
    by_site: dict[str, list[Operation]] = {}
    for op in flow.operations:
        if op.key in keys:
            by_site.setdefault(op.site, []).append(op)
    for site_key, ops in by_site.items():
        site = flow.sites[site_key]
        if site.erp is None:
            files.append(epcis_file(flow, site, ops, when, "-late"))
            continue
        rows = erp_rows(flow, site.erp, ops)
        system = erp_mapping.SYSTEMS[site.erp]
        path = f"erp/{site.erp}/exports/{site.plant}-lot-master-{when:%Y-%m-%d}-late.csv"
        files.append(
            FeedFile(path, erp_files.csv_export(rows, "lot-master", system), site.feed, "erp-file",
                     site_key, when, events=len(rows), operations=tuple(o.key for o in ops),
                     notes={"mapping": f"erp/{site.erp}/mapping.yaml", "kinds": ["lot_master"]})
        )  # fmt: skip
    report = {
        "operations": [
            {"operation": op.key, "site": op.site, "eventID": op.event_id,
             "lot": getattr(op, "lot", None), "eventTime": op.time.isoformat(),
             "delivered": when.isoformat()}
            for op in flow.operations if op.key in keys
        ],
        "files": [f.path for f in files],
    }  # fmt: skip
    return files, report


def resends(files: list[FeedFile]) -> tuple[list[FeedFile], dict[str, Any]]:
    """Every RESEND_EVERY-th weekly EPCIS document again, a day later, under a new name; the
    first goods-movements extract of each ERP system exported twice."""
    epcis = [f for f in files if f.connector == "epcis-file"]
    out = []
    for f in epcis[RESEND_EVERY // 2 :: RESEND_EVERY]:
        stem, dot, ext = f.path.rpartition(".")
        out.append(
            replace(f, path=f"{stem}-resend{dot}{ext}", delivered=f.delivered + timedelta(days=1),
                    duplicates=f.events)
        )  # fmt: skip
    seen: set[str] = set()
    for f in files:
        system = f.path.split("/")[1] if f.path.startswith("erp/") else ""
        if f.connector == "erp-file" and "goods-movements" in f.path and system not in seen:
            seen.add(system)
            stem, dot, ext = f.path.rpartition(".")
            out.append(
                replace(f, path=f"{stem}-rerun{dot}{ext}", duplicates=f.events,
                        delivered=f.delivered + timedelta(days=1))
            )  # fmt: skip
    return out, {"files": [f.path for f in out], "events": sum(f.events for f in out)}


def _bad_check_digit(uri: str) -> str:
    head, _, rest = uri.partition("/01/")
    gtin, _, tail = rest.partition("/")
    wrong = str((int(gs1_check_digit(gtin[:-1])) + 1) % 10)
    return f"{head}/01/{gtin[:-1]}{wrong}/{tail}"


def malformed(flow: Flow, files: list[FeedFile]) -> tuple[list[FeedFile], dict[str, Any]]:
    out = [_cut_json(files), _entity_xml(flow), _bad_events(flow), _bad_rows(flow, files)]
    report = {"files": [{"path": f.path, "rejected": [asdict(r) for r in f.rejected]} for f in out]}
    return out, report


def _cut_json(files: list[FeedFile]) -> FeedFile:
    """A JSON-LD document resent, its transfer cut off in the middle of its fourth event."""
    original = next(f for f in files if f.format == "epcis-json-2.0" and f.events >= 4)
    start = -1
    for _ in range(4):  # the fourth event's time: the first three events are whole
        start = original.data.index(b'"eventTime":', start + 1)
    stem, _, ext = original.path.rpartition(".")
    return FeedFile(
        f"{stem}-partial.{ext}", original.data[: start + 20], original.format,
        original.connector, original.site, original.delivered + timedelta(hours=1),
        events=3, duplicates=3,
        rejected=(Rejection("the rest of the document after its third event", "malformed JSON"),),
    )  # fmt: skip


def _entity_xml(flow: Flow) -> FeedFile:
    site = flow.sites["se-anode"]
    when = end_of(flow)
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE epcis:EPCISDocument [<!ENTITY lot SYSTEM "file:///etc/passwd">]>\n'
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
        f'creationDate="{local_time(when, site.utc_offset)}"><EPCISBody><EventList>'
        "<ObjectEvent><eventTime>2026-03-01T08:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
        "</eventTimeZoneOffset><epcList><epc>&lot;</epc></epcList><action>OBSERVE</action>"
        "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>\n"
    ).encode()
    return FeedFile(
        f"epcis/{site.key}/{site.key}-{when:%Y-%m-%d}-inbound.xml", data, "epcis-xml-2.0",
        "epcis-file", site.key, when,
        rejected=(Rejection("the whole document", "DTDs and entities are not accepted"),),
    )  # fmt: skip


def _bad_events(flow: Flow) -> FeedFile:
    """Three events a foil mill's new software got wrong, about a lot nobody uses."""
    site = flow.sites["kr-foil"]
    when = end_of(flow) - timedelta(days=20)
    product = flow.products["cu-foil"]
    junk = f"https://id.gs1.org/01/{product.gtin}/10/CUF-26-TEST1"

    def event(**fields: Any) -> dict[str, Any]:
        return {
            "type": "ObjectEvent", "eventTime": local_time(when, site.utc_offset),
            "eventTimeZoneOffset": site.utc_offset, "action": "ADD",
            "bizStep": "commissioning", "readPoint": {"id": site.uri},
            "quantityList": [{"epcClass": junk, "quantity": 100.0, "uom": "KGM"}], **fields,
        }  # fmt: skip

    composition = {"ot:elementContent": [{"ot:element": "Cu", "ot:massFraction": 1.7}]}
    events = [
        event(quantityList=[{"epcClass": _bad_check_digit(junk), "quantity": 100.0, "uom": "KGM"}]),
        event(action="ADDED"),
        event(eventID="urn:uuid:00000000-0000-4000-8000-00000000f011", ilmd=composition),
    ]
    doc = {
        "@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": local_time(when, site.utc_offset), "epcisBody": {"eventList": events},
    }  # fmt: skip
    return FeedFile(
        f"epcis/{site.key}/{site.key}-{when:%Y-%m-%d}-trial.jsonld",
        (json.dumps(doc, indent=1) + "\n").encode(), "epcis-json-2.0", "epcis-file", site.key,
        when, events=1,
        rejected=(
            Rejection("event 0: a GTIN with a wrong check digit", "check digit"),
            Rejection("event 1: action ADDED", "action 'ADDED' is not one of"),
            Rejection("event 2: a mass fraction of 1.7", "ot:massFraction", "processors"),
        ),
    )  # fmt: skip


def _bad_rows(flow: Flow, files: list[FeedFile]) -> FeedFile:
    """A goods-movements extract with two rows a clerk typed by hand."""
    original = next(f for f in files if f.format == "erp-csv" and "goods-movements" in f.path)
    lines = original.data.decode().splitlines()
    header, first = lines[0], lines[1].split(";")
    columns = header.split(";")
    unit, amount = columns.index("MEINS"), columns.index("MENGE")
    number = columns.index("MBLNR")
    bad_unit = list(first)
    bad_unit[unit], bad_unit[number] = "Fass", "5999999901"
    bad_number = list(first)
    bad_number[amount], bad_number[number] = "12,5,0", "5999999902"
    data = "\n".join([header, ";".join(bad_unit), ";".join(bad_number)]) + "\n"
    stem, _, ext = original.path.rpartition(".")
    return replace(
        original, path=f"{stem}-manual.{ext}", data=data.encode(), events=0, operations=(),
        delivered=original.delivered + timedelta(hours=2),
        rejected=(Rejection("row 2: unit 'Fass'", "unknown unit 'Fass'"),
                  Rejection("row 3: quantity '12,5,0'", "is not a number")),
    )  # fmt: skip


def telemetry(
    found: list[mqtt.Message], faults: tuple[str, ...]
) -> tuple[FeedFile, dict[str, Any]]:
    """The telemetry file with redeliveries, late and malformed messages as switched on."""
    messages = list(found)
    report: dict[str, Any] = {}
    duplicates = 0
    rejected: list[Rejection] = []
    if "duplicates" in faults:
        again = [replace(m, published=m.published + timedelta(seconds=30))
                 for m in found[REDELIVER_EVERY // 2 :: REDELIVER_EVERY]]  # fmt: skip
        duplicates = sum(m.readings for m in again)
        messages += again
        report["redelivered"] = {"messages": len(again), "readings": duplicates}
    if "late" in faults:
        end = max(m.published for m in found)
        late = found[len(found) // 3 :: len(found) // 4][:3]
        for m in late:
            messages.remove(m)
        messages += [replace(m, published=end + timedelta(hours=1)) for m in late]
        report["late"] = [{"topic": m.topic, "measured": m.published.isoformat()} for m in late]
    if "malformed" in faults:
        bad = _bad_messages(found)
        messages += bad
        rejected = [
            Rejection("a payload cut off", "payload is not JSON"),
            Rejection("a temperature in kg", "does not measure gs1:Temperature"),
        ]
        report["malformed"] = [
            {"topic": m.topic, "reason": r.reason} for m, r in zip(bad, rejected, strict=True)
        ]
    messages.sort(key=lambda m: (m.published, m.topic, m.payload))
    return mqtt.feed(messages, tuple(rejected), duplicates), report


def _bad_messages(found: list[mqtt.Message]) -> list[mqtt.Message]:
    sample = next(m for m in found if m.topic.endswith("/temperature"))
    cut = replace(sample, payload=sample.payload[: len(sample.payload) // 2], readings=0)
    payload = json.loads(sample.payload)
    payload["unit"] = "kg"
    wrong = replace(
        sample, payload=json.dumps(payload, separators=(",", ":")).encode(), readings=0,
        published=sample.published + timedelta(minutes=1),
    )  # fmt: skip
    return [cut, wrong]
