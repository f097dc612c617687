"""The capture job store (SQLite): jobs, errors, duplicates, the captured-event index, and
what survives reopening the database, plus the CaptureJob document shape."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.capture import Claim, JobStore, job_document
from connectors.capture._jobs import Duplicate, Job, new_capture_id, timestamp


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "capture" / "capture.sqlite3")


def test_a_new_job_is_running_and_successful_so_far(store: JobStore) -> None:
    job = store.create("id1", "rollback", "application/ld+json", 3)
    got = store.get("id1")
    assert got is not None
    assert (got.running, got.success, got.behaviour, got.event_count) == (True, True, "rollback", 3)
    assert got.created_at == job.created_at
    assert got.finished_at is None
    assert store.get("nope") is None


def test_errors_and_duplicates_are_kept_in_order_and_fail_the_job(store: JobStore) -> None:
    store.create("id1", "proceed", "application/json", 4)
    store.add_errors("id1", [{"type": "t", "title": "a", "eventIndex": 1}])
    store.add_errors("id1", [{"type": "t", "title": "b", "eventIndex": 3}])
    store.add_duplicates("id1", [Duplicate(2, "urn:uuid:x")])
    store.finish("id1", success=False, published=1, rejected=2)
    job = store.get("id1")
    assert job is not None
    assert [e["title"] for e in job.errors] == ["a", "b"]
    assert job.duplicates == (Duplicate(2, "urn:uuid:x"),)
    assert (job.running, job.success, job.published, job.rejected) == (False, False, 1, 2)
    assert job.finished_at is not None
    assert job.finished_at >= job.created_at


def test_job_document_has_the_binding_capture_job_members(store: JobStore) -> None:
    store.create("id1", "proceed", "application/xml", 2)
    store.add_errors("id1", [{"type": "epcisException:ValidationException", "title": "x"}])
    store.add_duplicates("id1", [Duplicate(0, "ni:///sha-256;ab?ver=CBV2.0")])
    store.finish("id1", success=False, published=0, rejected=1)
    job = store.get("id1")
    assert job is not None
    doc = job_document(job)
    assert doc["captureID"] == "id1"
    assert doc["captureErrorBehaviour"] == "proceed"
    assert doc["running"] is False
    assert doc["success"] is False
    assert doc["errors"] == [{"type": "epcisException:ValidationException", "title": "x"}]
    assert doc["createdAt"].endswith("Z")
    assert doc["finishedAt"].endswith("Z")
    assert (doc["eventCount"], doc["publishedCount"], doc["rejectedCount"]) == (2, 0, 1)
    assert doc["duplicates"] == [{"eventIndex": 0, "eventID": "ni:///sha-256;ab?ver=CBV2.0"}]


def test_a_running_job_document_has_no_finished_at() -> None:
    job = Job("id9", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), None, True, True, "rollback", "x")
    doc = job_document(job)
    assert "finishedAt" not in doc
    assert doc["createdAt"] == "2026-01-02T03:04:05.000Z"
    assert doc["errors"] == []


def test_timestamps_are_utc_with_z() -> None:
    from datetime import timedelta, timezone

    when = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp(when) == "2026-05-01T10:00:00.000Z"


def test_pages_follow_creation_order_and_end(store: JobStore) -> None:
    ids = [new_capture_id() for _ in range(5)]
    for capture_id in ids:
        store.create(capture_id, "rollback", "application/json", 0)
    first, after = store.page(2)
    assert [j.capture_id for j in first] == ids[:2]
    assert after is not None
    second, after = store.page(2, after)
    assert [j.capture_id for j in second] == ids[2:4]
    assert after is not None
    last, after = store.page(2, after)
    assert [j.capture_id for j in last] == ids[4:]
    assert after is None
    exact, after = store.page(5)
    assert len(exact) == 5
    assert after is None


def test_claims_make_an_event_id_captured_once(store: JobStore) -> None:
    assert store.claim("e1", "jobA") is Claim.NEW
    # pending: another capture, or the same one meeting it twice, sees it as taken
    assert store.claim("e1", "jobB") is Claim.TAKEN
    assert store.claim("e1", "jobA") is Claim.TAKEN
    assert store.captured_by("e1") is None
    store.confirm(["e1"])
    assert store.captured_by("e1") == "jobA"
    assert store.claim("e1", "jobB") is Claim.TAKEN
    # after a restart, the job that published it recognises its own event
    assert store.claim("e1", "jobA") is Claim.OURS


def test_release_drops_only_unconfirmed_claims(store: JobStore) -> None:
    store.claim("e1", "jobA")
    store.claim("e2", "jobA")
    store.confirm(["e1"])
    store.release(["e1", "e2"])
    assert store.captured_by("e1") == "jobA"
    assert store.claim("e2", "jobB") is Claim.NEW


def test_everything_survives_reopening_and_recover_drops_pending_claims(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    first = JobStore(path)
    first.create("done", "rollback", "application/json", 1)
    first.finish("done", success=True, published=1, rejected=0)
    first.create("busy", "proceed", "text/xml", 7)
    first.claim("acked", "busy")
    first.confirm(["acked"])
    first.claim("in-flight", "busy")
    first.close()

    again = JobStore(path)
    running = again.recover()
    assert [j.capture_id for j in running] == ["busy"]
    assert running[0].media_type == "text/xml"
    assert running[0].event_count == 7
    assert again.captured_by("acked") == "busy"
    assert again.claim("in-flight", "other") is Claim.NEW  # the unacknowledged claim is gone
    done = again.get("done")
    assert done is not None
    assert done.success
    assert not done.running


def test_restart_forgets_what_the_interrupted_attempt_reported(store: JobStore) -> None:
    store.create("id1", "proceed", "application/json", 3)
    store.add_errors("id1", [{"type": "t", "title": "x"}])
    store.add_duplicates("id1", [Duplicate(1, "e")])
    store.restart("id1")
    job = store.get("id1")
    assert job is not None
    assert (job.running, job.success, job.errors, job.duplicates) == (True, True, (), ())
    assert job.event_count == 3


def test_concurrent_claims_of_one_id_give_exactly_one_winner(store: JobStore) -> None:
    results: list[Claim] = []
    barrier = threading.Barrier(8)

    def claim(owner: str) -> None:
        barrier.wait()
        results.append(store.claim("contested", owner))

    threads = [threading.Thread(target=claim, args=(f"job{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(Claim.NEW) == 1
    assert results.count(Claim.TAKEN) == 7


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=15))
def test_any_sequence_of_ids_is_claimed_new_exactly_once_per_distinct_id(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str]
) -> None:
    store = JobStore(tmp_path_factory.mktemp("claims") / "c.sqlite3")
    outcomes = [store.claim(event_id, "job") for event_id in ids]
    assert outcomes.count(Claim.NEW) == len(set(ids))
    store.confirm(ids)
    assert all(store.captured_by(event_id) == "job" for event_id in ids)
    store.close()


def test_dead_letters_outlive_a_restart_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    first = JobStore(path)
    first.create("id1", "rollback", "application/json", 3)
    first.create("id2", "proceed", "application/json", 1)
    first.add_dead_letters("id1", [("1", "validate"), ("2", "validate")])
    first.add_dead_letters("id1", [("2", "validate"), ("2", "parse")])  # recorded once each
    first.restart("id1")  # the job runs again; what is on Kafka already stays recorded
    first.close()
    again = JobStore(path)
    assert again.dead_letters("id1") == {("1", "validate"), ("2", "validate"), ("2", "parse")}
    assert again.dead_letters("id2") == set()
    again.close()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("0123"), st.sampled_from(["parse", "validate"]))),
        max_size=5,
    )
)
def test_dead_letters_recorded_in_any_batches_are_their_union(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[str, str]]]
) -> None:
    store = JobStore(tmp_path_factory.mktemp("letters") / "c.sqlite3")
    for batch in batches:
        store.add_dead_letters("job", batch)
    assert store.dead_letters("job") == {letter for batch in batches for letter in batch}
    assert store.dead_letters("other") == set()
    store.close()
