"""erp-postgres against a real PostgreSQL server and the real broker: staging rows become
the same events as the file exports, a transaction still open is never passed over, bad rows
are dead-lettered, restarts resume, and a kill -9 mid-stream loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from connectors.erp import (
    ErpFileConfig,
    ErpFileSource,
    ErpPostgresConfig,
    ErpPostgresSource,
    StagingSource,
)
from connectors.sdk import HEADER_PREFIX, Counts, SourceRecord, SourceRunner, StateStore
from oretrail.kafka import TopicSpec, consumer_config, ensure_topics, producer_config, received
from oretrail.serde import SingleObjectSerde
from tests.integration.pg_server import PostgresServer, running_postgres
from tests.kafka_helpers import read_topic

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp"
SERDE = SingleObjectSerde()
MOVEMENT_COLUMNS = (
    '"MBLNR", "MJAHR", "ZEILE", "BWART", "SOBKZ", "MATNR", "CHARG", "MENGE", "MEINS", '
    '"WERKS", "LGORT", "BUDAT", "CPUTM", "EBELN", "LIFNR", "KUNNR", "VBELN"'
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def staging(postgres: PostgresServer) -> str:
    """A fresh database holding the example staging tables; its DSN."""
    dsn = postgres.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((EXAMPLE / "staging.sql").read_text())
    return dsn


def config(dsn: str, topic: str, **extra: Any) -> ErpPostgresConfig:
    return ErpPostgresConfig(
        dsn=dsn,
        mapping=EXAMPLE / "refinery-mapping.yaml",
        topic=topic,
        sources=(
            StagingSource(table="erp_staging.production_order_lines", kinds=["production_order"]),
            StagingSource(
                table="erp_staging.goods_movements",
                kinds=["goods_receipt", "goods_issue", "consignment_transfer"],
            ),
            StagingSource(table="erp_staging.lot_master", kinds=["lot_master"]),
        ),
        **extra,
    )


def movement(doc: str, item: int = 1, unit: str = "TO") -> tuple[Any, ...]:
    return (doc, "2026", str(item), "601", "", "CO-SO4-21", "CSF-2026-1101", 1.5 + item, unit,
            "FI01", "0002", "2026-11-03", "07:30:00", "", "", "C-30007", "8000112005")  # fmt: skip


def insert_movements(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join(["%s"] * len(rows[0]))
    conn.cursor().executemany(
        f"INSERT INTO erp_staging.goods_movements ({MOVEMENT_COLUMNS}) VALUES ({marks})", rows
    )


def run_until(
    source: ErpPostgresSource, bootstrap: str, dlq: str, state: Path, expect: int, within: float
) -> Counts:
    """Run the endless source until ``expect`` records were acknowledged (or ``within`` s)."""

    def progress(counts: Counts) -> None:
        if counts.accepted + counts.rejected >= expect:
            source.stop()

    timer = threading.Timer(within, source.stop)
    timer.start()
    try:
        runner = SourceRunner(
            Producer(producer_config(bootstrap)), SERDE, dlq_topic=dlq, progress=progress
        )
        return runner.run(source, StateStore(state))
    finally:
        timer.cancel()


def test_staging_rows_make_the_same_events_as_the_exports(
    staging: str, bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    events, dlq = f"{unique_name}.events", f"{unique_name}.dlq"
    ensure_topics(bootstrap, [TopicSpec(events, 3), TopicSpec(dlq, 1)])
    with psycopg.connect(staging, autocommit=True) as conn:
        conn.execute((EXAMPLE / "staging-sample.sql").read_text())
    state = tmp_path / "state.json"
    counts = run_until(ErpPostgresSource(config(staging, events)), bootstrap, dlq, state, 8, 60)
    assert (counts.accepted, counts.rejected) == (8, 0)

    got = read_topic(bootstrap, events, expect=8)
    from_db = sorted(SERDE.decode("trace_event", m.value, events)["eventID"] for m in got)
    files = ErpFileSource(
        ErpFileConfig(mapping=EXAMPLE / "refinery-mapping.yaml", paths=(EXAMPLE / "exports",))
    )
    files.open(StateStore(tmp_path / "files.json"))
    from_files = sorted(
        item.value["eventID"] for item in files.poll() if isinstance(item, SourceRecord)
    )
    # same records, same events: the event hash does not care where a row was read
    assert from_db == from_files
    assert len(set(from_db)) == 8
    saved = json.loads(StateStore(state).load() or "{}")
    assert sorted(saved) == [
        "erp_staging.goods_movements",
        "erp_staging.lot_master",
        "erp_staging.production_order_lines",
    ]

    # a restart publishes nothing already acknowledged; then only the new rows
    again = run_until(ErpPostgresSource(config(staging, events)), bootstrap, dlq, state, 1, 4)
    assert (again.accepted, again.rejected) == (0, 0)
    with psycopg.connect(staging) as conn:
        insert_movements(conn, [movement("4900099001", unit="Fass")])
    with psycopg.connect(staging) as conn:
        insert_movements(conn, [movement("4900099002")])
    later = run_until(ErpPostgresSource(config(staging, events)), bootstrap, dlq, state, 2, 60)
    assert (later.accepted, later.rejected) == (1, 1)
    (dead,) = read_topic(bootstrap, dlq, expect=1)
    headers = dead.headers
    assert headers[HEADER_PREFIX + "connector.name"] == b"erp-postgres"
    assert headers[HEADER_PREFIX + "source.name"] == b"erp_staging.goods_movements"
    assert headers[HEADER_PREFIX + "source.position"] == b"erp_staging.goods_movements:5"
    message = headers[HEADER_PREFIX + "exception.message"].decode()
    assert "goods_issue: column 'MEINS': unknown unit 'Fass'" in message
    row = json.loads(SERDE.decode("dead_letter", dead.value, dlq)["payload"])
    assert (row["MBLNR"], row["MEINS"], row["MENGE"]) == ("4900099001", "Fass", "2.500")


def _until_idle(items: Iterator[Any]) -> list[Any]:
    got = []
    for item in items:
        if item is None:
            return got
        got.append(item)
    return got


def test_a_transaction_still_open_is_never_passed_over(staging: str, tmp_path: Path) -> None:
    """The classic gap: a row of an early transaction that commits after a later one."""
    source = ErpPostgresSource(config(staging, "unused", poll_interval=0.1))
    state = StateStore(tmp_path / "state.json")
    source.open(state)
    polled = source.poll()
    slow = psycopg.connect(staging)
    try:
        insert_movements(slow, [movement("4900000001")])  # id 1, transaction still open
        with psycopg.connect(staging) as fast:
            insert_movements(fast, [movement("4900000002")])  # id 2, committed first
        # an "id > last" reader would take id 2 now and never see id 1
        assert _until_idle(polled) == []
        slow.commit()
    finally:
        slow.close()
    items = _until_idle(polled)
    assert [item.position for item in items] == [
        "erp_staging.goods_movements:1",
        "erp_staging.goods_movements:2",
    ]
    source.commit(items[-1].position)
    mark = json.loads(state.load() or "{}")["erp_staging.goods_movements"]
    assert mark[1] == 2
    # a correction: the updated row is read again, with its new content
    with psycopg.connect(staging) as conn:
        conn.execute("""UPDATE erp_staging.goods_movements SET "MENGE" = 9 WHERE id = 1""")
    (corrected,) = _until_idle(polled)
    assert corrected.position == "erp_staging.goods_movements:1"
    assert corrected.value["quantityList"][0]["quantity"] == 9000.0
    source.stop()
    assert list(polled) == []
    source.close()


def _next_item(polled: Iterator[Any], within: float) -> Any:
    deadline = time.monotonic() + within
    for item in polled:
        if item is not None or time.monotonic() > deadline:
            return item
    return None


def test_a_query_source_rides_out_a_database_outage(
    postgres: PostgresServer, staging: str, tmp_path: Path
) -> None:
    deliveries = StagingSource(
        name="deliveries",
        query="""SELECT * FROM erp_staging.goods_movements WHERE "BWART" = '601'""",
        kinds=["goods_issue"],
    )
    connector = config(staging, "unused", poll_interval=0.1).model_copy(
        update={"sources": (deliveries,)}
    )
    source = ErpPostgresSource(connector)
    source.open(StateStore(tmp_path / "state.json"))
    polled = source.poll()
    with psycopg.connect(staging) as conn:
        insert_movements(conn, [movement("4900000001")])
    assert _next_item(polled, 10).position == "deliveries:1"
    postgres.stop()
    try:
        # the connection is gone: the source idles and retries instead of failing
        assert [next(polled) for _ in range(3)] == [None, None, None]
    finally:
        postgres.start()
    with psycopg.connect(staging) as conn:
        insert_movements(conn, [movement("4900000002")])
    assert _next_item(polled, 30).position == "deliveries:2"
    source.stop()
    source.close()


class Tail:
    """Every message of a topic as it arrives, decoded, from a background consumer."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer(consumer_config(bootstrap, f"tail-{time.monotonic_ns()}"))
        parts = self.consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self.consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        self.topic = topic
        self.records: list[dict[str, Any]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            msg = self.consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                self.records.append(SERDE.decode("trace_event", received(msg).value, self.topic))
        self.consumer.close()

    def documents(self) -> set[str]:
        return {json.loads(r["extensions"])["ot:erpDocument"] for r in list(self.records)}

    def wait_for(self, documents: set[str], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if documents <= self.documents():
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        self._done.set()
        self._thread.join(10)


class Writer:
    """ERP interface traffic: goods movements (1-3 items) and production orders (3 lines,
    one transaction), each transaction from its own short-lived connection."""

    def __init__(self, dsn: str, prefix: int) -> None:
        self.dsn, self.prefix, self.count = dsn, prefix, 0
        self.documents: set[str] = set()

    def transaction(self, conn: psycopg.Connection[Any]) -> None:
        self.count += 1
        number = self.prefix * 1000 + self.count
        if self.count % 3 == 0:
            order = str(number)
            conn.cursor().executemany(
                'INSERT INTO erp_staging.production_order_lines ("AUFNR", "POSNR", "BWART", '
                '"MATNR", "CHARG", "MENGE", "MEINS", "WERKS", "LGORT", "BUDAT", "CPUTM", '
                "\"ELEMENT\", \"GEHALT_PCT\") VALUES (%s, %s, %s, %s, %s, %s, 'TO', 'FI01', "
                "'0001', '01.11.2026', '22:45:00', %s, %s)",
                [
                    (order, "0001", "101", "CO-SO4-21", f"C{number}", 14.3, "Co", 20.88),
                    (order, "0002", "261", "CO-HYD-01", "KOL-2026-0917", 10, None, None),
                    (order, "0003", "261", "H2SO4-96", "ACD-2026-1031", 6.12, None, None),
                ],
            )
            self.documents.add(order)
            return
        doc = f"49{number:08d}"
        items = [movement(doc, item) for item in range(1, 1 + self.count % 3 + 1)]
        insert_movements(conn, items)
        self.documents.update(f"{doc}/2026/{item}" for item in range(1, len(items) + 1))

    def burst(self, transactions: int) -> None:
        for _ in range(transactions):
            with psycopg.connect(self.dsn) as conn:
                self.transaction(conn)
            time.sleep(0.03)


def test_kill_9_mid_stream_loses_nothing(
    staging: str, bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    events, dlq = f"{unique_name}.events", f"{unique_name}.dlq"
    ensure_topics(bootstrap, [TopicSpec(events, 3), TopicSpec(dlq, 1)])
    spec = tmp_path / "spec.json"
    connector = config(staging, events, poll_interval=0.1, batch_size=7)
    spec.write_text(
        json.dumps(
            {
                "bootstrap": bootstrap,
                "dlq": dlq,
                "state": str(tmp_path / "state.json"),
                "config": {**connector.model_dump(mode="json"), "dsn": staging},
            }
        )
    )
    root = Path(__file__).resolve().parents[2]

    def start(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        argv = [sys.executable, "-m", "tests.integration.erp_pg_process", str(spec)]
        return subprocess.Popen(argv, cwd=root, stdout=log, stderr=subprocess.STDOUT)

    tail = Tail(bootstrap, events)
    writers = [Writer(staging, prefix) for prefix in (1, 2, 3)]
    first = start("first")
    try:
        threads = [threading.Thread(target=w.burst, args=(6,)) for w in writers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        early = set().union(*(w.documents for w in writers))
        assert tail.wait_for(early, 60), "the connector did not publish the first rows"

        # a transaction stays open while later ones commit: they wait for it, never skip it
        slow = psycopg.connect(staging)
        slow_writer = Writer(staging, 9)
        slow_writer.transaction(slow)
        slow_writer.transaction(slow)
        slow_writer.transaction(slow)  # an order and movements, still uncommitted
        threads = [threading.Thread(target=w.burst, args=(6,)) for w in writers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1.5)
        everything = set().union(*(w.documents for w in writers))
        assert not (everything - early) & tail.documents(), "read past an open transaction"
        slow.commit()
        slow.close()
        everything |= slow_writer.documents

        # more traffic while the backlog drains; kill -9 as soon as it flows again
        threads = [threading.Thread(target=w.burst, args=(9,)) for w in writers]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while not (everything - early) & tail.documents() and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        for t in threads:
            t.join()
        everything = set().union(everything, *(w.documents for w in writers))
        time.sleep(1.0)
        before_restart = len(tail.records)
        assert everything - tail.documents(), "the kill came too late to test anything"

        second = start("second")
        try:
            assert tail.wait_for(everything, 120), sorted(everything - tail.documents())[:10]
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(60) == 0
    finally:
        if first.poll() is None:
            first.kill()
        tail.close()

    by_document: dict[str, set[str]] = {}
    for record in tail.records:
        document = json.loads(record["extensions"])["ot:erpDocument"]
        by_document.setdefault(document, set()).add(record["eventID"])
        if record["eventType"] == "TransformationEvent":  # never a truncated order
            assert (len(record["inputQuantityList"]), len(record["outputQuantityList"])) == (2, 1)
    assert set(by_document) == everything
    # a re-published row is the same event: one id per document, and no id shared
    assert all(len(ids) == 1 for ids in by_document.values())
    assert len(set().union(*by_document.values())) == len(everything)
    # only what was in flight at the kill can come twice
    assert len(tail.records) - len(everything) <= before_restart
    assert not read_topic(bootstrap, dlq, timeout=3)
