"""The --stream schedule: which documents go to the capture interface, in which order, when."""

from __future__ import annotations

import pytest

from simulator.run import simulate
from simulator.scenario import scenario
from simulator.stream import MEDIA_TYPES, schedule


def test_every_epcis_document_once_in_delivery_order_paced_by_the_events_before_it() -> None:
    files = simulate(scenario("default"), 2, 0.2).files
    planned = schedule(files, rate=100.0)
    epcis = [f for f in files if f.connector == "epcis-file"]
    assert sorted(f.path for _, f in planned) == sorted(f.path for f in epcis)
    assert {f.format for _, f in planned} == set(MEDIA_TYPES)  # 2.0 JSON-LD, 2.0 and 1.2 XML
    delivered = [f.delivered for _, f in planned]
    assert delivered == sorted(delivered)
    before = 0
    for offset, f in planned:
        assert offset == pytest.approx(before / 100.0)
        before += max(1, f.events + len(f.rejected))
    # the late documents go last
    late = {f.path for f in epcis if f.path.endswith("-late.jsonld")}
    assert late
    assert {f.path for _, f in planned[-len(late) :]} == late


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        schedule([], 0)
