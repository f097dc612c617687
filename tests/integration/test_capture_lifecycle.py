"""The capture interface's lifecycle on the real broker: jobs and captured event ids survive
a restart, a job interrupted by a crash is resumed (and dead-letters its invalid events only
once), and the CLI commands stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from confluent_kafka import Producer

from connectors.capture import JobStore
from connectors.capture._kafka import dead_letter, produce
from connectors.sdk import HEADER_PREFIX, Rejected
from oretrail._process import free_port
from oretrail.kafka import producer_config
from tests.capture_client import (
    CONTEXT,
    SERDE,
    Topics,
    capture,
    capture_api,
    consume,
    document,
    event,
    finished_job,
    make_topics,
    record_count,
    trace_events,
)
from tests.cli_helpers import ORETRAIL, oretrail_env


@pytest.fixture
def topics(bootstrap: str, unique_name: str) -> Topics:
    return make_topics(bootstrap, unique_name)


def test_jobs_and_captured_ids_survive_a_restart(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    single = {"@context": CONTEXT, **event(0)}

    async def first_run() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            async with http.post("/events", json=single) as response:
                assert response.status == 201
            return await capture(http, document(event(1)))

    async def second_run(capture_id: str) -> tuple[Any, int]:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            job = await finished_job(http, f"/capture/{capture_id}")
            async with http.post("/events", json=single) as response:
                return job, response.status

    job = asyncio.run(first_run())
    again, status = asyncio.run(second_run(job["captureID"]))
    assert again == job
    assert status == 409


def test_a_job_interrupted_by_a_crash_is_resumed_at_start(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    # What a crash leaves: the spooled body, the job still running, a claim never confirmed.
    events = [event(0), event(1)]
    store = JobStore(tmp_path / "capture" / "capture.sqlite3")
    store.create("idcrashed", "rollback", "application/ld+json", 2)
    store.claim(events[0]["eventID"], "idcrashed")
    store.close()
    bodies = tmp_path / "capture" / "bodies"
    bodies.mkdir(parents=True)
    (bodies / "idcrashed").write_bytes(document(*events))
    (bodies / "stray.part").write_bytes(b"half a body")

    async def scenario() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await finished_job(http, "/capture/idcrashed")

    job = asyncio.run(scenario())
    assert job["success"] is True, job
    assert (job["publishedCount"], job["duplicateCount"]) == (2, 0)
    assert len(trace_events(bootstrap, topics.events, 2)) == 2
    assert list(bodies.iterdir()) == []


def _positions(bootstrap: str, topics: Topics, capture_id: str, expect: int) -> list[str]:
    """The source positions of the committed dead letters of one job, in order."""
    return [
        m.headers[HEADER_PREFIX + "source.position"].decode()
        for m in consume(bootstrap, topics.dlq, expect)
        if m.headers[HEADER_PREFIX + "source.name"] == f"capture/{capture_id}".encode()
    ]


def test_a_resumed_rollback_job_dead_letters_its_invalid_events_once(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    body = document(event(0), event(1, action="WIGGLE"), event(2, action="WOBBLE"))
    store = JobStore(tmp_path / "capture" / "capture.sqlite3")
    store.create("idrolled", "rollback", "application/ld+json", 3)
    store.close()
    bodies = tmp_path / "capture" / "bodies"
    bodies.mkdir(parents=True)
    (bodies / "idrolled").write_bytes(body)
    # A crash in the middle of writing the dead letters: the job's transaction left open.
    torn = Producer(producer_config(bootstrap, **{"transactional.id": "oretrail-capture-idrolled"}))
    torn.init_transactions(30)
    torn.begin_transaction()
    half = Rejected("capture/idrolled", "1", "validate", "EpcisValidationError", "torn", b"{}")
    topic, key, value, headers = dead_letter(SERDE, topics.dlq, half, capture_id="idrolled")
    produce(torn, topic, key, value, headers=headers)
    torn.flush(30)

    async def resumed() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await finished_job(http, "/capture/idrolled")

    first = asyncio.run(resumed())  # fences the torn transaction, dead-letters both events
    assert first["success"] is False
    assert [e["eventIndex"] for e in first["errors"]] == [1, 2]
    # A crash after the dead letters were acknowledged, before the job was marked finished.
    store = JobStore(tmp_path / "capture" / "capture.sqlite3")
    store.restart("idrolled")
    store.close()
    (bodies / "idrolled").write_bytes(body)
    again = asyncio.run(resumed())
    assert again["errors"] == first["errors"]  # listed again, as the job document says
    assert (again["publishedCount"], again["rejectedCount"]) == (0, 3)
    assert _positions(bootstrap, topics, "idrolled", 2) == ["1", "2"]
    assert record_count(bootstrap, topics.dlq) > 2  # the torn letter is there, aborted
    assert record_count(bootstrap, topics.events) == 0
    assert list(bodies.iterdir()) == []


def test_stopping_leaves_a_running_job_for_the_next_start_which_finishes_it(
    bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    events = [event(i) for i in range(4000)]
    invalid = {0: event(0, action="WIGGLE"), 3999: event(3999, action="WOBBLE")}
    sent = [invalid.get(i, e) for i, e in enumerate(events)]

    async def interrupted() -> str:
        async with (
            capture_api(tmp_path, bootstrap, topics) as http,
            http.post(
                "/capture",
                data=document(*sent),
                headers={
                    "Content-Type": "application/json",
                    "GS1-Capture-Error-Behaviour": "proceed",
                },
            ) as response,
        ):
            assert response.status == 202
            return response.headers["Location"]
        # leaving the block stops the service while the job is under way

    location = asyncio.run(interrupted())
    store = JobStore(tmp_path / "capture" / "capture.sqlite3")
    left = store.get(location.rsplit("/", 1)[1])
    store.close()
    assert left is not None
    assert left.running  # not finished, not failed: left for the next start

    async def resumed() -> Any:
        async with capture_api(tmp_path, bootstrap, topics) as http:
            return await finished_job(http, location)

    job = asyncio.run(resumed())
    assert [(e["eventIndex"], e["stage"]) for e in job["errors"]] == [
        (0, "validate"),
        (3999, "validate"),
    ]
    assert (job["publishedCount"], job["rejectedCount"], job["duplicateCount"]) == (3998, 2, 0)
    records = trace_events(bootstrap, topics.events, 3998)
    valid = [e for i, e in enumerate(sent) if i not in invalid]
    assert sorted(r["eventID"] for r in records) == sorted(e["eventID"] for e in valid)
    # dead-lettered once, whether the first attempt had got to them or not
    assert _positions(bootstrap, topics, job["captureID"], 2) == ["0", "3999"]


@pytest.mark.parametrize("command", ["capture", "run"])
def test_the_cli_command_serves_and_stops_cleanly_on_sigterm(
    bootstrap: str, tmp_path: Path, command: str
) -> None:
    port, resolver = free_port(), free_port()
    proc = subprocess.Popen(
        [ORETRAIL, command],
        env=oretrail_env(
            bootstrap,
            tmp_path,
            capture_port=str(port),
            sink_resolver_port=str(resolver),
            sink_public_base_url=f"http://127.0.0.1:{resolver}",
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = _options_when_up(port, proc)
        assert status == 204
        if command == "run":  # the sink's resolver runs too, with the issuer's DID document
            did = _did_when_up(resolver, proc)
            assert did["id"] == f"did:web:127.0.0.1%3A{resolver}"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}" in stderr
    assert (tmp_path / "capture" / "capture.sqlite3").is_file()


def _did_when_up(port: int, proc: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/.well-known/did.json"
    while True:
        assert proc.poll() is None, "the command exited early"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                document: dict[str, Any] = json.loads(response.read())
                return document
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, "the resolver did not answer"
            time.sleep(0.3)


def _options_when_up(port: int, proc: subprocess.Popen[str]) -> int:
    async def probe() -> int:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                assert proc.poll() is None, "the command exited early"
                try:
                    async with http.options(f"http://127.0.0.1:{port}/capture") as response:
                        return response.status
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "the capture interface never came up"
                    await asyncio.sleep(0.2)

    return asyncio.run(probe())
