"""Capture jobs and the index of captured event ids, in SQLite so both survive a restart.

One small database under ``<home>/capture``. A job row is written when ``POST /capture``
is accepted and updated as the job runs; its errors and the duplicates it skipped sit in
their own tables so a job with thousands of rejected events stays cheap to update.

The captured-event index is what makes ``409`` and "never published twice" hold: an
event id is *claimed* (pending) before it is produced, *confirmed* once Kafka acknowledged
it and *released* when it was not. Pending claims left by a crash are dropped on start-up,
so a lost acknowledgement leads to one more publication (harmless downstream, where event
ids are idempotent), never to a lost event.

The dead letters a job wrote are recorded once Kafka acknowledged them, and kept when the job
is run again after a restart: a resumed job lists its invalid events again but does not
dead-letter them a second time.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Behaviour = Literal["rollback", "proceed"]
BEHAVIOURS: tuple[Behaviour, ...] = ("rollback", "proceed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    capture_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    running INTEGER NOT NULL,
    success INTEGER NOT NULL,
    behaviour TEXT NOT NULL,
    media_type TEXT NOT NULL,
    event_count INTEGER NOT NULL DEFAULT 0,
    published INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS job_errors (
    capture_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    problem TEXT NOT NULL,
    PRIMARY KEY (capture_id, seq)
);
CREATE TABLE IF NOT EXISTS job_duplicates (
    capture_id TEXT NOT NULL,
    event_index INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (capture_id, event_index)
);
CREATE TABLE IF NOT EXISTS job_dead_letters (
    capture_id TEXT NOT NULL,
    position TEXT NOT NULL,
    stage TEXT NOT NULL,
    PRIMARY KEY (capture_id, position, stage)
);
CREATE TABLE IF NOT EXISTS captured (
    event_id TEXT PRIMARY KEY,
    capture_id TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    captured_at TEXT NOT NULL
);
"""
_SELECT_JOBS = (
    "SELECT seq, capture_id, created_at, finished_at, running, success, behaviour, media_type, "
    "event_count, published, rejected FROM jobs"
)


class Claim(enum.Enum):
    NEW = "new"  # claimed now: produce it, then confirm or release
    OURS = "ours"  # confirmed for this very capture by an attempt before a restart
    TAKEN = "taken"  # captured (or being captured) already: a duplicate


@dataclass(frozen=True, slots=True)
class Duplicate:
    index: int
    event_id: str


@dataclass(frozen=True, slots=True)
class Job:
    capture_id: str
    created_at: datetime
    finished_at: datetime | None
    running: bool
    success: bool
    behaviour: Behaviour
    media_type: str
    event_count: int = 0
    published: int = 0
    rejected: int = 0
    errors: tuple[Mapping[str, Any], ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    seq: int = 0


def timestamp(when: datetime) -> str:
    """RFC 3339 UTC with a ``Z``, the form of the binding's examples."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_document(job: Job) -> dict[str, Any]:
    """The binding's CaptureJob object, plus counts saying what happened to each event."""
    doc: dict[str, Any] = {
        "captureID": job.capture_id,
        "createdAt": timestamp(job.created_at),
        "running": job.running,
        "success": job.success,
        "captureErrorBehaviour": job.behaviour,
        "errors": [dict(e) for e in job.errors],
    }
    if job.finished_at is not None:
        doc["finishedAt"] = timestamp(job.finished_at)
    doc["eventCount"] = job.event_count
    doc["publishedCount"] = job.published
    doc["rejectedCount"] = job.rejected
    doc["duplicateCount"] = len(job.duplicates)
    doc["duplicates"] = [{"eventIndex": d.index, "eventID": d.event_id} for d in job.duplicates]
    return doc


def new_capture_id() -> str:
    return f"id{uuid.uuid4().hex}"


class JobStore:
    """Thread-safe: the HTTP handlers and the job workers share one connection under a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- jobs ---------------------------------------------------------------------------

    def create(
        self, capture_id: str, behaviour: Behaviour, media_type: str, event_count: int
    ) -> Job:
        now = datetime.now(UTC)
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO jobs (capture_id, created_at, running, success, behaviour, "
                "media_type, event_count) VALUES (?, ?, 1, 1, ?, ?, ?)",
                (capture_id, now.isoformat(), behaviour, media_type, event_count),
            )
        return Job(
            capture_id,
            now,
            None,
            True,
            True,
            behaviour,
            media_type,
            event_count=event_count,
            seq=cur.lastrowid or 0,
        )

    def get(self, capture_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(_SELECT_JOBS + " WHERE capture_id = ?", (capture_id,)).fetchone()
            return None if row is None else self._job(row, details=True)

    def page(self, limit: int, after: int = 0) -> tuple[list[Job], int | None]:
        """Jobs in creation order after sequence number ``after``; the next ``after`` or None."""
        with self._lock:
            rows = self._db.execute(
                _SELECT_JOBS + " WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit + 1),
            ).fetchall()
            jobs = [self._job(row, details=True) for row in rows[:limit]]
        return jobs, (jobs[-1].seq if len(rows) > limit else None)

    def running(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute(_SELECT_JOBS + " WHERE running = 1 ORDER BY seq").fetchall()
            return [self._job(row, details=False) for row in rows]

    def _job(self, row: Sequence[Any], *, details: bool) -> Job:
        seq, capture_id, created, finished, running, success, behaviour = row[:7]
        errors: tuple[Mapping[str, Any], ...] = ()
        duplicates: tuple[Duplicate, ...] = ()
        if details:
            errors = tuple(
                json.loads(p)
                for (p,) in self._db.execute(
                    "SELECT problem FROM job_errors WHERE capture_id = ? ORDER BY seq",
                    (capture_id,),
                )
            )
            duplicates = tuple(
                Duplicate(i, e)
                for i, e in self._db.execute(
                    "SELECT event_index, event_id FROM job_duplicates WHERE capture_id = ? "
                    "ORDER BY event_index",
                    (capture_id,),
                )
            )
        return Job(
            capture_id=capture_id,
            created_at=datetime.fromisoformat(created),
            finished_at=None if finished is None else datetime.fromisoformat(finished),
            running=bool(running),
            success=bool(success),
            behaviour=behaviour,
            media_type=row[7],
            event_count=row[8],
            published=row[9],
            rejected=row[10],
            errors=errors,
            duplicates=duplicates,
            seq=seq,
        )

    def restart(self, capture_id: str) -> None:
        """Forget what an interrupted attempt reported; the job is run again from the start.

        Its dead letters stay recorded: they are on Kafka already."""
        with self._tx() as db:
            db.execute("DELETE FROM job_errors WHERE capture_id = ?", (capture_id,))
            db.execute("DELETE FROM job_duplicates WHERE capture_id = ?", (capture_id,))
            db.execute(
                "UPDATE jobs SET running = 1, success = 1, finished_at = NULL, published = 0, "
                "rejected = 0 WHERE capture_id = ?",
                (capture_id,),
            )

    def add_errors(self, capture_id: str, problems: Iterable[Mapping[str, Any]]) -> None:
        with self._tx() as db:
            (start,) = db.execute(
                "SELECT COUNT(*) FROM job_errors WHERE capture_id = ?", (capture_id,)
            ).fetchone()
            db.executemany(
                "INSERT INTO job_errors (capture_id, seq, problem) VALUES (?, ?, ?)",
                [
                    (capture_id, start + i, json.dumps(dict(p), ensure_ascii=False))
                    for i, p in enumerate(problems)
                ],
            )
            db.execute("UPDATE jobs SET success = 0 WHERE capture_id = ?", (capture_id,))

    def add_duplicates(self, capture_id: str, duplicates: Iterable[Duplicate]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO job_duplicates (capture_id, event_index, event_id) "
                "VALUES (?, ?, ?)",
                [(capture_id, d.index, d.event_id) for d in duplicates],
            )

    def add_dead_letters(self, capture_id: str, letters: Iterable[tuple[str, str]]) -> None:
        """Record dead letters of the job, by (position, stage), that Kafka acknowledged."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO job_dead_letters (capture_id, position, stage) "
                "VALUES (?, ?, ?)",
                [(capture_id, position, stage) for position, stage in letters],
            )

    def dead_letters(self, capture_id: str) -> set[tuple[str, str]]:
        """The (position, stage) of every dead letter the job wrote, in any attempt."""
        with self._lock:
            rows = self._db.execute(
                "SELECT position, stage FROM job_dead_letters WHERE capture_id = ?",
                (capture_id,),
            ).fetchall()
        return {(str(position), str(stage)) for position, stage in rows}

    def finish(self, capture_id: str, *, success: bool, published: int, rejected: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET running = 0, success = ?, finished_at = ?, published = ?, "
                "rejected = ? WHERE capture_id = ?",
                (int(success), datetime.now(UTC).isoformat(), published, rejected, capture_id),
            )

    # -- captured-event index --------------------------------------------------------------

    def claim(self, event_id: str, capture_id: str) -> Claim:
        with self._tx() as db:
            row = db.execute(
                "SELECT capture_id, confirmed FROM captured WHERE event_id = ?", (event_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO captured (event_id, capture_id, confirmed, captured_at) "
                    "VALUES (?, ?, 0, ?)",
                    (event_id, capture_id, datetime.now(UTC).isoformat()),
                )
                return Claim.NEW
            owner, confirmed = row
            return Claim.OURS if owner == capture_id and confirmed else Claim.TAKEN

    def confirm(self, event_ids: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany(
                "UPDATE captured SET confirmed = 1 WHERE event_id = ?", [(e,) for e in event_ids]
            )

    def release(self, event_ids: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany(
                "DELETE FROM captured WHERE event_id = ? AND confirmed = 0",
                [(e,) for e in event_ids],
            )

    def captured_by(self, event_id: str) -> str | None:
        """The capture that published ``event_id`` (``events`` for POST /events), if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT capture_id FROM captured WHERE event_id = ? AND confirmed = 1",
                (event_id,),
            ).fetchone()
            return None if row is None else str(row[0])

    def recover(self) -> list[Job]:
        """At start-up: drop claims no acknowledgement confirmed; the jobs left running."""
        with self._tx() as db:
            db.execute("DELETE FROM captured WHERE confirmed = 0")
        return self.running()
