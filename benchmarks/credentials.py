"""Benchmark: passport credentials signed and published per second per core, beside the raw
Ed25519 signing rate of the same payload bytes measured in the same run.

    .venv/bin/python benchmarks/credentials.py --blocks 25 --rounds 3

Inputs are made by the project's own code: EPCIS 2.0 events of a generated battery supply
chain (per block: four feed lots commissioned with ``ot:`` ILMD, cathode material from them,
two serialised cells from that) go through ``oretrail.epcis.to_trace_event`` and
``streams.facts.extract`` into a ``MemoryFacts``; each lot and cell then gets its passport
(``streams.ledger.trace_json``) and PassportUpdate (``streams.passports.next_update``). The
events of each block and facility are signed as a DTE credential (setup, not timed) that the
passports link by SHA-256. A later audit then certifies every feed lot again, which changes
every passport: each product has a version 1 and a version 2 (N = 2 x products, 14 per
block). Measured in one run, each stage over the same N updates:

a. raw Ed25519 (cryptography) over exactly the bytes our JWS signs (its signing input,
   base64url header "." base64url payload; the signatures are checked equal to the JWS's);
b. JWS only through sink.jose: ``sign_payload`` of ready payload bytes, and
   ``sign_credential`` of the credential dict (JSON serialisation included);
c. ``build_dpp`` + ``sign_credential``;
d. ``sign_credential`` + publish to the file backend (``CredentialStore.publish``,
   ``record_passport_version``, ``move_latest``) of credentials built beforehand, and d+ the
   same with ``build_dpp`` included; each durable (fsync) and ``durable=False``, the fsync
   share being the wall time the durable store spends beyond the other;
e. ``sink.pipeline.Publisher.on_passport`` (DTEs of the same events published by it first,
   not timed), durable and not.

"Per core" divides by the process's CPU seconds (``time.process_time``), so it does not
depend on the core count; waiting for the disk is not CPU time and shows in the wall rates
only (the kernel's own work in fsync does count).
Each stage runs ``--rounds`` times (storage stages on a fresh store each time); the median
round is reported. Prints a table and writes JSON to benchmarks/results/credentials.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from oretrail.epcis import EPCIS_CONTEXT, DocumentEvent, to_trace_event
from sink.config import SinkSettings
from sink.jose import (
    MEDIA_TYPE,
    KeyRing,
    credential_bytes,
    sign_credential,
    sign_payload,
    status_entry,
)
from sink.pipeline import Publisher
from sink.storage import CredentialStore, open_storage
from sink.untp import Facility, Issuer, TraceLink, build_dpp, build_dte
from streams.facts import extract
from streams.ledger import trace_json
from streams.memory_facts import MemoryFacts
from streams.passports import next_update

FEED = "https://id.gs1.org/01/09506000134352/10/"
CAM = "https://id.gs1.org/01/09506000134420/10/"
CELL = "https://id.gs1.org/01/09506000134444/21/"
MINE, REFINERY, CELL_PLANT = (
    "https://id.gs1.org/414/0950600012340",
    "https://id.gs1.org/414/0950600022349",
    "https://id.gs1.org/414/0950600033345",
)
CERT = "https://certs.example.org/rmap/conformant-smelter/2026-CD-117"
AUDIT = "https://certs.example.org/irma/audit/2027/"
ISSUED = 1_790_000_000_000_000  # µs
NAMESPACES = {"ot": "https://oretrail.dev/ns/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"}
CONTEXT: list[Any] = [EPCIS_CONTEXT, dict(NAMESPACES)]
ORIGIN: dict[str, Any] = {
    "connector": "bench",
    "source": "bench",
    "position": "0",
    "format": "epcis-json-2.0",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
START = datetime(2026, 1, 1, tzinfo=UTC)
FACILITIES = {
    site: Facility(id=site, name=name, country=country)
    for site, name, country in (
        (MINE, "Kolwezi concentrator", "CD"),
        (REFINERY, "Harjavalta cathode plant", "FI"),
        (CELL_PLANT, "Skellefteå cell plant", "SE"),
    )
}
BASE = "https://passports.example.com"
STATUS_LIST = f"{BASE}/status/revocation"
DTE_STATUS_FROM = 1_000_000
# feed lots: (name, country, {element: mass fraction}, kg CO2e/kg, recycled shares, certified)
FEEDS: tuple[tuple[str, str | None, dict[str, float], float, dict[str, float], bool], ...] = (
    ("KOL", "CD", {"Co": 0.30, "Ni": 0.05}, 2.1, {}, True),
    ("MHP", "ID", {"Ni": 0.40, "Co": 0.04}, 3.5, {}, False),
    ("BLK", None, {"Co": 0.10, "Ni": 0.12, "Li": 0.04, "Mn": 0.08}, 0.8, {"post": 0.75}, False),
    ("LIC", "CL", {"Li": 0.188}, 5.0, {}, False),
)


def _time(minute: int) -> str:
    return (START + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")


def _commission(b: int, n: int) -> dict[str, Any]:
    name, country, content, carbon, recycled, certified = FEEDS[n]
    ilmd: dict[str, Any] = {
        "ot:elementContent": [{"ot:element": e, "ot:massFraction": f} for e, f in content.items()],
        "ot:carbonFootprint": {"ot:kgCO2ePerKg": carbon, "ot:stage": "RawMaterialExtraction"},
    }
    if country:
        ilmd["cbvmda:countryOfOrigin"] = country
    if recycled:
        ilmd["ot:recycledShare"] = [
            {"ot:element": e, "ot:preConsumer": 1 - recycled["post"], "ot:postConsumer": 0.75}
            for e in content
        ]
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _time(b * 10 + n),
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": f"{FEED}{name}-{b}", "quantity": 10000, "uom": "KGM"}],
        "readPoint": {"id": MINE},
        "bizLocation": {"id": MINE},
        "ilmd": ilmd,
    }
    if certified:
        event["certificationInfo"] = [CERT]
    return event


def block_events(b: int) -> list[dict[str, Any]]:
    """Block ``b``: four feed lots, cathode material of all four, two cells of it."""
    cam = f"{CAM}NMC-{b}"
    events = [_commission(b, n) for n in range(len(FEEDS))]
    events.append(
        {
            "type": "TransformationEvent",
            "eventTime": _time(b * 10 + 5),
            "eventTimeZoneOffset": "+00:00",
            "bizStep": "commissioning",
            "disposition": "active",
            "inputQuantityList": [
                {"epcClass": f"{FEED}{name}-{b}", "quantity": 5000, "uom": "KGM"}
                for name, *_ in FEEDS
            ],
            "outputQuantityList": [{"epcClass": cam, "quantity": 20000, "uom": "KGM"}],
            "readPoint": {"id": REFINERY},
            "bizLocation": {"id": REFINERY},
            "ot:chainOfCustody": "controlled_blending",
            "ot:processEmissions": {"ot:kgCO2e": 18500, "ot:stage": "MainProduction"},
        }
    )
    for c in (1, 2):
        events.append(
            {
                "type": "TransformationEvent",
                "eventTime": _time(b * 10 + 5 + c),
                "eventTimeZoneOffset": "+00:00",
                "bizStep": "commissioning",
                "disposition": "active",
                "inputQuantityList": [{"epcClass": cam, "quantity": 50, "uom": "KGM"}],
                "outputEPCList": [f"{CELL}C-{b}-{c}"],
                "readPoint": {"id": CELL_PLANT},
                "bizLocation": {"id": CELL_PLANT},
                "ot:processEmissions": {"ot:kgCO2e": 120, "ot:stage": "MainProduction"},
                "ilmd": {"cbvmda:netWeight": 45},
            }
        )
    return events


def recertify_events(b: int) -> list[dict[str, Any]]:
    """A later audit of block ``b``'s feed lots: each gets a second certificate, which changes
    its passport and those of every product made from it (their version 2)."""
    return [
        {
            "type": "ObjectEvent",
            "eventTime": _time(b * 10 + 8 + n),
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "bizStep": "inspecting",
            "quantityList": [{"epcClass": f"{FEED}{name}-{b}", "quantity": 10000, "uom": "KGM"}],
            "readPoint": {"id": MINE},
            "bizLocation": {"id": MINE},
            "certificationInfo": [f"{AUDIT}{name}-{b}"],
        }
        for n, (name, *_) in enumerate(FEEDS)
    ]


@dataclass(frozen=True)
class Inputs:
    events: list[dict[str, Any]]  # TraceEvent records, in order
    updates: list[dict[str, Any]]  # PassportUpdate records: every product's v1, then v2
    links: list[list[TraceLink]]  # the DTE links of each update
    dte_tokens: int  # DTE credentials signed in setup


class _Chain:
    """The supply chain as the processors see it: facts from TraceEvents, in order."""

    def __init__(self) -> None:
        self.facts = MemoryFacts()
        self.records: list[dict[str, Any]] = []
        # one DTE per block, phase and facility, as the sink batches them per window
        self.batches: dict[tuple[int, int, str], list[dict[str, Any]]] = {}
        self.block_of: dict[str, int] = {}  # lot -> its block
        self.made_by: dict[str, str] = {}  # lot -> id of the event that made it

    def read(self, b: int, phase: int, n: int, event: dict[str, Any]) -> str:
        doc = DocumentEvent(event, len(self.records), dict(NAMESPACES), list(CONTEXT))
        record = to_trace_event(doc, origin=ORIGIN)
        found = extract(record)
        if found.problems:
            raise RuntimeError(f"event {b}/{phase}/{n} is not read cleanly: {found.problems}")
        for lot_facts in found.lots:
            self.facts.add_lot(lot_facts)
            self.block_of[lot_facts.lot] = b
            self.made_by.setdefault(lot_facts.lot, found.event_id)
        if found.transformation is not None:
            self.facts.add_transformation(found.transformation)
        self.records.append(record)
        site = str(record.get("bizLocation"))
        self.batches.setdefault((b, phase, site), []).append(record)
        return found.event_id

    def sign_dtes(self, ring: KeyRing, issuer: Issuer) -> dict[str, tuple[str, str]]:
        """Event id -> (URL, SHA-256) of the signed DTE credential carrying it."""
        dte_of: dict[str, tuple[str, str]] = {}
        for k, (batch_key, batch) in enumerate(self.batches.items()):
            name = f"dte {' '.join(map(str, batch_key))}"
            dte = build_dte(
                batch,
                issuer=issuer,
                credential_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
                status=status_entry(STATUS_LIST, DTE_STATUS_FROM + k),  # passports: 0..N-1
                valid_from=START,
            )
            sha = _sha256(sign_credential(dte, ring).encode("ascii"))
            for record in batch:
                dte_of[str(record["eventID"])] = (f"{BASE}/credentials/{sha}", sha)
        return dte_of


def _links(source: list[str], dte_of: dict[str, tuple[str, str]]) -> list[TraceLink]:
    by_dte: dict[tuple[str, str], list[str]] = {}
    for event_id in source:
        by_dte.setdefault(dte_of[event_id], []).append(event_id)
    return [TraceLink(url, sha, tuple(ids)) for (url, sha), ids in by_dte.items()]


def make_inputs(blocks: int, ring: KeyRing, issuer: Issuer) -> Inputs:
    chain = _Chain()
    for b in range(blocks):
        for n, event in enumerate(block_events(b)):
            chain.read(b, 1, n, event)
    lots = sorted(chain.made_by)
    first = {
        lot: next_update(lot, trace_json(lot, chain.facts), None, [chain.made_by[lot]], ISSUED)
        for lot in lots
    }
    audits: dict[int, list[str]] = {}  # block -> its audit events
    audit_of: dict[str, str] = {}  # feed lot -> its audit event
    for b in range(blocks):
        for n, event in enumerate(recertify_events(b)):
            audit_of[event["quantityList"][0]["epcClass"]] = chain.read(b, 2, n, event)
        audits[b] = [audit_of[f"{FEED}{name}-{b}"] for name, *_ in FEEDS]
    dte_of = chain.sign_dtes(ring, issuer)
    updates, links = [], []
    for lot in lots:
        made = first[lot]
        assert made is not None
        updates.append(made[0])
        links.append(_links([chain.made_by[lot]], dte_of))
    for lot in lots:
        previous = first[lot]
        assert previous is not None
        # a feed lot was changed by its own audit, the products made from it by all four
        source = [audit_of[lot]] if lot in audit_of else audits[chain.block_of[lot]]
        state = previous[1]
        later = ISSUED + 60_000_000
        made = next_update(lot, trace_json(lot, chain.facts), state, source, later)
        if made is None:
            raise RuntimeError(f"the audit did not change the passport of {lot}")
        updates.append(made[0])
        links.append(_links(source, dte_of))
    return Inputs(chain.records, updates, links, len(chain.batches))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    cpu_s: float
    wall_s: float


@contextmanager
def timed(rounds: list[Round]) -> Iterator[None]:
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    rounds.append(Round(time.process_time() - cpu, time.perf_counter() - wall))


def summary(n: int, rounds: list[Round]) -> dict[str, float]:
    """Median CPU and wall time of the rounds, as rates over ``n`` credentials."""
    cpu = statistics.median(r.cpu_s for r in rounds)
    wall = statistics.median(r.wall_s for r in rounds)
    return {
        "credentials": n,
        "rounds": len(rounds),
        "cpu_s": cpu,
        "wall_s": wall,
        "per_core_per_s": n / cpu,
        "wall_per_s": n / wall,
        "cpu_us_each": cpu / n * 1e6,
        "wall_us_each": wall / n * 1e6,
    }


class Bench:
    """One key ring, one set of inputs, every stage over the same N updates."""

    def __init__(self, tmp: Path, blocks: int) -> None:
        self.tmp = tmp
        self.settings = SinkSettings(public_base_url=BASE, dte_window_seconds=60.0)
        self.ring = KeyRing.load(tmp / "keys", None, "EdDSA", did=self.settings.did())
        self.issuer = Issuer(self.settings.did(), "oretrail benchmark")
        self.inputs = make_inputs(blocks, self.ring, self.issuer)
        self.n = len(self.inputs.updates)
        self.stores = 0

    def build(self, i: int) -> dict[str, Any]:
        update = self.inputs.updates[i]
        product, version = update["productID"], update["version"]
        return build_dpp(
            update,
            issuer=self.issuer,
            credential_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{product} {version}')}",
            status=status_entry(STATUS_LIST, i),
            traceability=self.inputs.links[i],
            valid_from=START,
        )

    def fresh_store(self, durable: bool) -> CredentialStore:
        self.stores += 1
        root = self.tmp / f"store-{self.stores}"
        return CredentialStore(open_storage(root.as_uri(), self.settings, durable=durable))

    def publish(self, store: CredentialStore, i: int, token: str) -> None:
        update = self.inputs.updates[i]
        product, version = update["productID"], update["version"]
        stored = store.publish(token.encode("ascii"), MEDIA_TYPE)
        if not stored.created:
            raise RuntimeError(f"{product} v{version}: the store already held its credential")
        store.record_passport_version(product, version, stored)
        store.move_latest(product, version)

    def through_publisher(self, durable: bool, rounds: list[Round]) -> None:
        """The sink's own path: events (and their DTEs, facility records, the status list)
        through ``Publisher.on_event`` first, untimed; then every update timed through
        ``Publisher.on_passport``, which links the DTEs, allocates a status index, builds,
        signs and publishes."""
        store = self.fresh_store(durable)
        publisher = Publisher(
            self.settings, self.tmp, store=store, ring=self.ring, facilities=FACILITIES
        )
        setup = publisher.start()
        for record in self.inputs.events:
            setup += publisher.on_event(record)
        setup += publisher.close_all()
        if setup.dead_letters:
            raise RuntimeError(f"the publisher refused events: {setup.dead_letters[0]}")
        with timed(rounds):
            for update in self.inputs.updates:
                out = publisher.on_passport(update)
                if out.dead_letters or out.deferred:
                    raise RuntimeError(f"{update['productID']}: not published: {out}")
        self.check(store)
        publisher.close()

    def run(self, rounds: int) -> dict[str, Any]:
        n, ring, key = self.n, self.ring, self.ring.active.signer.private_key
        assert isinstance(key, ed25519.Ed25519PrivateKey), "the ring signs with Ed25519"
        credentials = [self.build(i) for i in range(n)]
        payloads = [credential_bytes(c) for c in credentials]
        tokens = [sign_payload(p, ring) for p in payloads]
        inputs = [t.rsplit(".", 1)[0].encode("ascii") for t in tokens]
        times: dict[str, list[Round]] = {}
        for _ in range(rounds):
            with timed(times.setdefault("raw", [])):
                signatures = [key.sign(m) for m in inputs]
            with timed(times.setdefault("sign_payload", [])):
                for p in payloads:
                    sign_payload(p, ring)
            with timed(times.setdefault("sign_credential", [])):
                for c in credentials:
                    sign_credential(c, ring)
            with timed(times.setdefault("build_sign", [])):
                for i in range(n):
                    sign_credential(self.build(i), ring)
            for durable in (True, False):
                name = "durable" if durable else "nondurable"
                store = self.fresh_store(durable)
                with timed(times.setdefault(f"sign_publish_{name}", [])):
                    for i, c in enumerate(credentials):
                        self.publish(store, i, sign_credential(c, ring))
                self.check(store)
                store.close()
                store = self.fresh_store(durable)
                with timed(times.setdefault(f"build_sign_publish_{name}", [])):
                    for i in range(n):
                        self.publish(store, i, sign_credential(self.build(i), ring))
                self.check(store)
                store.close()
            for durable in (True, False):
                name = "durable" if durable else "nondurable"
                self.through_publisher(durable, times.setdefault(f"publisher_{name}", []))
        # the raw rate is only comparable if it signed the very bytes the JWS signs
        for token, signature in zip(tokens, signatures, strict=True):
            if _b64url(token.rsplit(".", 1)[1]) != signature:
                raise RuntimeError("raw Ed25519 and the JWS signed different bytes")
        results = {name: summary(n, r) for name, r in times.items()}
        results["inputs"] = {
            "updates": n,
            "dte_credentials": self.inputs.dte_tokens,
            "trace_events": len(self.inputs.events),
            "signing_input_bytes_mean": statistics.mean(len(m) for m in inputs),
            "payload_bytes_mean": statistics.mean(len(p) for p in payloads),
            "passport_bytes_mean": statistics.mean(len(u["passport"]) for u in self.inputs.updates),
        }
        return results

    def check(self, store: CredentialStore) -> None:
        """Every update published: its version recorded, latest pointing at the last."""
        last: dict[str, int] = {}
        for update in self.inputs.updates:
            product, version = update["productID"], update["version"]
            if store.version(product, version) is None:
                raise RuntimeError(f"{product} v{version} was not recorded")
            last[product] = max(version, last.get(product, 0))
        for product, version in last.items():
            ref = store.latest(product)
            if ref is None or ref.version != version:
                raise RuntimeError(f"{product}: latest is {ref}, not version {version}")


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


ROWS: tuple[tuple[str, str], ...] = (
    ("raw", "a  raw Ed25519 over the JWS signing input"),
    ("sign_payload", "b  JWS sign_payload (ready payload bytes)"),
    ("sign_credential", "b' JWS sign_credential (JSON + JWS)"),
    ("build_sign", "c  build_dpp + sign"),
    ("sign_publish_durable", "d  sign + publish, file, durable"),
    ("sign_publish_nondurable", "d' sign + publish, file, durable=False"),
    ("build_sign_publish_durable", "d+ build + sign + publish, file, durable"),
    ("build_sign_publish_nondurable", "d+' build + sign + publish, durable=False"),
    ("publisher_durable", "e  Publisher.on_passport, file, durable"),
    ("publisher_nondurable", "e' Publisher.on_passport, durable=False"),
)


def report(results: dict[str, Any]) -> None:
    raw = results["raw"]["per_core_per_s"]
    inputs = results["inputs"]
    print(
        f"\npassport credentials, {inputs['updates']} updates "
        f"(JWS signing input {inputs['signing_input_bytes_mean']:,.0f} B mean, "
        f"passport {inputs['passport_bytes_mean']:,.0f} B), median of "
        f"{results['raw']['rounds']} rounds"
    )
    head = f"{'stage':<50}{'/s per core':>13}{'x raw':>8}{'/s wall':>11}{'cpu µs':>9}{'wall µs':>9}"
    print(head)
    for name, label in ROWS:
        r = results.get(name)
        if r is None:
            continue
        print(
            f"{label:<50}{r['per_core_per_s']:>13,.0f}{r['per_core_per_s'] / raw:>8.3f}"
            f"{r['wall_per_s']:>11,.0f}{r['cpu_us_each']:>9.0f}{r['wall_us_each']:>9.0f}"
        )
    stages = ("sign_publish", "build_sign_publish", "publisher")
    for stage in stages:
        durable, fast = results[f"{stage}_durable"], results[f"{stage}_nondurable"]
        share = 1 - fast["wall_s"] / durable["wall_s"]
        results[f"{stage}_fsync_wall_share"] = share
        print(f"fsync share of the wall time, {stage.replace('_', ' ')}: {share:.0%}")
    for stage in stages:
        goal = results[f"{stage}_durable"]["per_core_per_s"] / raw
        results[f"{stage}_goal_ratio"] = goal
        verdict = "met" if goal >= 0.5 else "not met"
        label = stage.replace("_", " ")
        print(f"goal >= 0.5 x raw per core, {label}, durable: {goal:.3f} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=25, help="blocks of 7 products")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per stage (median kept)")
    parser.add_argument("--dir", type=Path, help="where the stores go (default: the temp dir)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/credentials.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        bench = Bench(Path(tmp), args.blocks)
        results = bench.run(args.rounds)
    results["measuredAt"] = datetime.now(UTC).isoformat()
    results["storeFilesystem"] = str(args.dir or tempfile.gettempdir())
    report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
