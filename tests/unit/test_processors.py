"""The processors' rules without the broker: stage 1 on real Avro bytes of the sample document,
stage 2 over plain mappings (the worker runs the same code over faust tables)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from connectors.epcis import iter_json_events
from connectors.sdk import Rejected
from oretrail.epcis import DocumentEvent, to_trace_event
from oretrail.serde import SingleObjectSerde
from streams.ledger import LedgerConfig, trace_json
from streams.passports import next_update
from streams.processors import FactState, Forwarded, reduce_event
from tests.unit.facts_events import ORIGIN, ROOT

KOL = "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
CSF = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
SERDE = SingleObjectSerde()
TOPIC = "oretrail.events"


def sample_messages() -> list[bytes]:
    with (ROOT / "examples/epcis/cobalt-refinery-batch.jsonld").open("rb") as stream:
        events = [e for e in iter_json_events(stream) if isinstance(e, DocumentEvent)]
    return [SERDE.encode("trace_event", to_trace_event(e, origin=ORIGIN), TOPIC) for e in events]


def forwarded() -> list[Forwarded]:
    out = []
    for offset, value in enumerate(sample_messages()):
        fwd = reduce_event(SERDE, value, TOPIC, 0, offset)
        assert isinstance(fwd, Forwarded)
        assert Forwarded.from_json(fwd.to_json()) == fwd  # as it travels on the facts topic
        out.append(fwd)
    return out


class CountingTable(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def new_state() -> tuple[FactState, list[CountingTable]]:
    tables = [CountingTable() for _ in range(4)]
    return FactState(*tables), tables


def test_bytes_that_are_no_trace_event_are_rejected_at_parse() -> None:
    out = reduce_event(SERDE, b"\x00garbage", TOPIC, 2, 7)
    assert isinstance(out, Rejected)
    assert (out.stage, out.position, out.payload) == ("parse", f"{TOPIC}/2/7", b"\x00garbage")


def test_an_event_with_problems_is_rejected_with_them() -> None:
    with (ROOT / "examples/epcis/cobalt-refinery-batch.jsonld").open("rb") as stream:
        first = next(e for e in iter_json_events(stream) if isinstance(e, DocumentEvent))
    first.event["ilmd"]["ot:elementContent"][0]["ot:massFraction"] = 1.7
    value = SERDE.encode("trace_event", to_trace_event(first, origin=ORIGIN), TOPIC)
    out = reduce_event(SERDE, value, TOPIC, 0, 0)
    assert isinstance(out, Rejected)
    assert out.stage == "validate"
    assert "1.7" in out.message


def final_tables(order: tuple[int, ...]) -> tuple[list[CountingTable], dict[str, Any]]:
    state, tables = new_state()
    events = forwarded()
    for i in order:
        state.apply(events[i], now_us=1)
    passport = trace_json(CSF, state.view, LedgerConfig())
    return tables[:2], passport


def test_any_arrival_order_gives_the_same_facts_and_passport() -> None:
    reference = final_tables((0, 1, 2, 3))
    for order in itertools.permutations(range(4)):
        assert final_tables(order) == reference
    assert reference[1]["massKg"] == pytest.approx(14300.0)


def test_a_duplicate_changes_nothing_and_a_redelivery_rewrites() -> None:
    state, tables = new_state()
    events = forwarded()
    for fwd in events:
        assert state.apply(fwd, now_us=1)
    snapshot = [dict(t) for t in tables]
    writes = tables[0].writes + tables[1].writes
    # the same event read again from another offset (a re-ingest): a duplicate
    duplicate = Forwarded(
        events[3].event_id,
        "5:42",
        events[3].lots,
        events[3].transformation,
        events[3].aggregation,
    )
    assert not state.apply(duplicate, now_us=5)
    assert tables == snapshot
    assert tables[0].writes + tables[1].writes == writes
    # the same message after a crash: applied again (the changelog may have lost it)
    assert state.apply(events[3], now_us=5)
    assert tables[:3] == snapshot[:3]
    assert tables[0].writes + tables[1].writes > writes


def test_lots_are_due_once_quiet_and_a_burst_yields_one_version() -> None:
    state, _ = new_state()
    for fwd in forwarded():
        state.apply(fwd, now_us=1_000_000)
    assert state.due(1_500_000, 1_000_000) == []
    due = state.due(2_000_000, 1_000_000)
    assert [lot for lot, _ in due] == sorted([KOL, CSF])
    [(_, csf)] = [(lot, p) for lot, p in due if lot == CSF]
    assert forwarded()[3].event_id in csf.events

    # replaying everything after the version was recorded gives the same hash: no new version
    passport = trace_json(CSF, state.view, LedgerConfig())
    first = next_update(CSF, passport, None, csf.events, 0)
    assert first is not None
    for fwd in forwarded():
        state.apply(fwd, now_us=3_000_000)
    again = trace_json(CSF, state.view, LedgerConfig())
    assert next_update(CSF, again, first[1], [], 0) is None


def test_due_lots_come_from_the_pending_index_and_leave_it_once_updated() -> None:
    state, tables = new_state()
    pending = tables[3]
    for fwd in forwarded():
        state.apply(fwd, now_us=1_000)
    every = sorted(pending)
    assert CSF in every
    assert state.due(now_us=1_500, debounce_us=1_000) == []  # still in the debounce
    due = state.due(now_us=2_000, debounce_us=1_000)
    assert [lot for lot, _ in due] == every
    value = pending[every[0]]
    state.updated(every[0])
    assert [lot for lot, _ in state.due(2_000, 1_000)] == every[1:]
    # written behind the index's back (as a rebalance restores a table): found after a rescan
    pending["https://id.gs1.org/01/09506000134352/10/RESTORED"] = value
    assert len(state.due(2_000, 1_000)) == len(every) - 1
    state.forget_pending_index()
    assert len(state.due(2_000, 1_000)) == len(every)
