"""Traces computed together equal traces computed one by one (they only share work)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.ledger import trace_json, trace_json_many
from tests.unit.test_ledger_worked import worked_facts


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_many_equals_one_by_one(data: st.DataObject) -> None:
    facts = worked_facts()
    lots = facts.lots()
    chosen = data.draw(st.lists(st.sampled_from(lots), min_size=1, unique=True))
    together = trace_json_many(chosen, facts)
    assert list(together) == chosen
    for lot in chosen:
        assert together[lot] == trace_json(lot, facts)
