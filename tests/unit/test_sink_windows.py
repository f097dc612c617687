"""sink.pipeline._windows: which events share a DTE batch, when a window closes, and which
positions stay held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sink.pipeline._windows import Buffered, Position, Windows, event_time

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WINDOW = 60.0


def record(event_id: str, seconds: float, site: str = "A") -> dict[str, Any]:
    return {"eventID": event_id, "eventTime": T0 + timedelta(seconds=seconds), "bizLocation": site}


def windows() -> Windows:
    return Windows(WINDOW, lambda r: str(r.get("bizLocation") or r.get("readPoint") or "unknown"))


def add(w: Windows, rec: dict[str, Any], offset: int, now: float) -> None:
    w.add(Buffered(rec, Position("events", 0, offset)), now)


def test_event_time_reads_datetimes_and_avro_microseconds() -> None:
    assert event_time({"eventTime": T0}) == T0
    micros = int(T0.timestamp() * 1_000_000)
    assert event_time({"eventTime": micros}) == T0


def test_events_of_one_facility_and_window_form_one_batch_sorted_by_id() -> None:
    w = windows()
    now = T0.timestamp() + 5
    add(w, record("urn:e:2", 1), 0, now)
    add(w, record("urn:e:1", 2), 1, now)
    add(w, record("urn:e:3", 3, site="B"), 2, now)
    add(w, record("urn:e:4", WINDOW + 1), 3, now)  # next window
    batches = w.take_all()
    assert [(b.facility, b.event_ids) for b in batches] == [
        ("A", ("urn:e:1", "urn:e:2")),
        ("A", ("urn:e:4",)),
        ("B", ("urn:e:3",)),
    ]
    assert len(w) == 0
    assert list(w.positions()) == []


def test_a_window_closes_once_ended_and_quiet_for_a_window_length() -> None:
    w = windows()
    start = T0.timestamp()
    add(w, record("urn:e:1", 1), 0, start + 1)
    assert w.due(start + 30) == []  # the window has not ended
    add(w, record("urn:e:2", 50), 1, start + 50)
    assert w.due(start + 100) == []  # ended, but an event joined 50 s ago
    (batch,) = w.due(start + 110)
    assert batch.event_ids == ("urn:e:1", "urn:e:2")


def test_a_second_delivery_of_a_buffered_event_changes_nothing() -> None:
    w = windows()
    add(w, record("urn:e:1", 1), 4, T0.timestamp())
    add(w, record("urn:e:1", 1), 9, T0.timestamp())
    assert list(w.positions()) == [Position("events", 0, 4)]
    (batch,) = w.take_containing(["urn:e:1", "urn:e:unknown"])
    assert batch.event_ids == ("urn:e:1",)
    assert not w.holds("urn:e:1")


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.floats(0, 600), st.sampled_from("ABC")),
        max_size=40,
    )
)
def test_every_event_lands_in_exactly_one_batch_of_its_facility_and_window(
    events: list[tuple[int, float, str]],
) -> None:
    w = windows()
    expected: dict[str, tuple[str, int]] = {}
    for offset, (n, seconds, site) in enumerate(events):
        rec = record(f"urn:e:{n}", seconds, site)
        add(w, rec, offset, T0.timestamp())
        expected.setdefault(rec["eventID"], w.key_of(rec))
    batches = w.take_all()
    seen = [e for b in batches for e in b.event_ids]
    assert sorted(seen) == sorted(expected)
    for batch in batches:
        assert list(batch.event_ids) == sorted(batch.event_ids)
        assert all(expected[e] == (batch.facility, batch.window) for e in batch.event_ids)
