"""The simulator's feeds through the real services: its staging loads in a real PostgreSQL
read by the erp-postgres connector, and --stream posting its EPCIS documents to the capture
interface on the real broker."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
import yaml

from connectors.capture import CaptureConfig, serving
from connectors.erp import ErpPostgresConfig, ErpPostgresSource, StagingSource
from connectors.sdk import Rejected, SourceRecord, StateStore
from simulator.replay import staging_rows
from simulator.run import simulate, write
from simulator.scenario import scenario
from simulator.stream import stream
from streams.facts import extract
from tests.capture_client import SERDE, consume, finished_job, make_topics
from tests.integration.pg_server import PostgresServer, running_postgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


def _until_idle(items: Iterator[Any]) -> list[Any]:
    got = []
    for item in items:
        if item is None:
            return got
        got.append(item)
    return got


def test_staging_loads_in_postgres_become_the_events_the_replay_reads(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    out = tmp_path / "chain"
    write(simulate(scenario("default"), 6, 0.3), out)
    manifest = json.loads((out / "manifest.json").read_text())
    loads = [f for f in manifest["files"] if f["connector"] == "erp-postgres"]
    assert {f["table"] for f in loads} == {
        "nordlith.production_order_lines",
        "nordlith.goods_movements",
    }
    dsn = postgres.create_database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((out / "erp/nordlith/staging/schema.sql").read_text())
        for load in loads:
            data = (out / load["path"]).read_text()
            columns = ", ".join(f'"{c}"' for c in next(csv.reader(io.StringIO(data))))
            copy = f"COPY {load['table']} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
            with conn.cursor().copy(copy) as into:
                into.write(data)
    config = yaml.safe_load((out / "erp/nordlith/erp-postgres.yaml").read_text())
    source = ErpPostgresSource(
        ErpPostgresConfig(
            dsn=dsn,
            mapping=out / config["mapping"],
            sources=tuple(StagingSource(**s) for s in config["sources"]),
            poll_interval=0.1,
        )
    )
    source.open(StateStore(tmp_path / "state.json"))
    try:
        from_db = _until_idle(source.poll())
    finally:
        source.stop()
        source.close()
    assert not [item for item in from_db if isinstance(item, Rejected)]
    offline = [item for load in loads for item in staging_rows(out, load)]
    assert all(isinstance(item, SourceRecord) for item in offline)
    assert len(from_db) == len(offline) == sum(f["events"] for f in loads)

    def facts(items: list[Any]) -> list[Any]:
        return sorted((extract(i.value) for i in items), key=lambda f: f.event_id)

    assert facts(from_db) == facts(offline)


def test_stream_posts_every_document_and_the_capture_interface_publishes_each_event_once(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    sim = simulate(scenario("default"), 9, 0.1)
    topics = make_topics(bootstrap, unique_name)
    documents = [f for f in sim.files if f.connector == "epcis-file"]

    async def run() -> tuple[Any, dict[str, Any]]:
        cfg = CaptureConfig(host="127.0.0.1", port=0, topic=topics.events, dlq_topic=topics.dlq)
        async with (
            serving(cfg, home=tmp_path, bootstrap=bootstrap, serde=SERDE) as url,
            aiohttp.ClientSession(base_url=url) as http,
        ):
            streamed = await asyncio.to_thread(stream, sim.files, f"{url}/capture", 5000.0)
            jobs = {p: await finished_job(http, where) for p, where in streamed.jobs.items()}
        return streamed, jobs

    streamed, jobs = asyncio.run(run())
    assert streamed.documents == len(documents)
    # a body that is not well-formed is refused at the door: the cut-off JSON-LD
    assert [path.rsplit("-", 1)[1] for path in streamed.refused] == ["partial.jsonld"]
    assert all(status.startswith("400") for status in streamed.refused.values())
    # the XML declaring an entity is taken in, and its job refuses it
    (entity,) = [job for path, job in jobs.items() if path.endswith("-inbound.xml")]
    assert entity["success"] is False
    assert "DTDs and entities are not accepted" in json.dumps(entity["errors"])
    readable = [f for f in documents if f.path in jobs]
    unique = sum(f.events - f.duplicates for f in readable)
    published = sum(job["publishedCount"] for job in jobs.values())
    assert published == unique
    repeats = sum(job["duplicateCount"] for job in jobs.values())
    assert repeats == sum(f.duplicates for f in readable) > 0
    (trial,) = [job for path, job in jobs.items() if path.endswith("-trial.jsonld")]
    assert (trial["publishedCount"], trial["rejectedCount"]) == (1, 2)  # check digit, ADDED
    records = [SERDE.decode("trace_event", m.value, topics.events)
               for m in consume(bootstrap, topics.events, published)]  # fmt: skip
    assert len(records) == len({r["eventID"] for r in records}) == published
