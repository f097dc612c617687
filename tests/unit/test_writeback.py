"""The per-batch table overlay: reads see the batch's own writes, each changed key reaches
the table once, and what the table ends with equals writing straight through."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams._writeback import WriteBack


class CountingTable(dict[str, Any]):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.writes: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes.append(key)
        super().__delitem__(key)


def test_reads_see_the_batch_and_the_table_sees_each_key_once() -> None:
    table = CountingTable({"a": 1, "gone": 0})
    overlay = WriteBack(table)
    overlay["b"] = 1
    overlay["b"] = 2
    overlay["a"] = overlay["a"] + 10
    del overlay["gone"]
    assert overlay["b"] == 2
    assert overlay["a"] == 11
    assert "gone" not in overlay
    assert overlay.get("gone") is None
    assert sorted(overlay) == ["a", "b"]
    assert len(overlay) == 2
    assert table == {"a": 1, "gone": 0}
    assert table.writes == []
    assert overlay.dirty == 3
    assert overlay.flush() == 3
    assert table == {"a": 11, "b": 2}
    assert table.writes == ["a", "b", "gone"]  # once each, in key order
    assert overlay.dirty == 0


def test_a_key_created_and_deleted_in_one_batch_never_reaches_the_table() -> None:
    table = CountingTable()
    overlay = WriteBack(table)
    overlay["x"] = 1
    del overlay["x"]
    assert overlay.flush() == 0
    assert table.writes == []


def test_deleting_a_missing_key_is_a_key_error() -> None:
    overlay = WriteBack({})
    with pytest.raises(KeyError, match="nope"):
        del overlay["nope"]


def test_discard_forgets_stale_reads() -> None:
    table: dict[str, Any] = {"a": 1}
    overlay = WriteBack(table)
    assert overlay["a"] == 1
    table["a"] = 2  # e.g. restored from the changelog after a rebalance
    overlay.discard()
    assert overlay["a"] == 2


ops = st.lists(
    st.tuples(st.sampled_from(["set", "del"]), st.sampled_from("abcde"), st.integers(0, 9)),
    max_size=40,
)


@given(st.dictionaries(st.sampled_from("abcde"), st.integers(0, 9)), st.lists(ops, max_size=4))
def test_batches_end_where_writing_through_ends(start: dict[str, int], batches: Any) -> None:
    direct = dict(start)
    table = CountingTable(start)
    overlay = WriteBack(table)
    for batch in batches:
        for op, key, value in batch:
            if op == "set":
                direct[key] = value
                overlay[key] = value
            elif key in direct:
                del direct[key]
                del overlay[key]
            assert dict(overlay.items()) == direct
        before = len(table.writes)
        overlay.flush()
        assert len(table.writes) - before <= len({k for _, k, _ in batch})
        assert table == direct
