"""Passport versions: canonical hashing, changed pointers, the debounce, alerts sent once."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from streams.passports import (
    PassportState,
    Pending,
    canonical_json,
    changed_pointers,
    content_hash,
    granularity,
    new_alerts,
    next_update,
    touch,
)

LOT = "https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def resolve(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        doc = doc[token.replace("~1", "/").replace("~0", "~")]
    return doc


@given(json_values)
def test_canonical_json_is_independent_of_key_order(value: Any) -> None:
    text = canonical_json(value)
    if isinstance(value, dict):
        reordered = dict(reversed(list(value.items())))
        assert canonical_json(reordered) == text
    assert json.loads(text) == value


@given(st.dictionaries(st.text(), json_values), st.dictionaries(st.text(), json_values))
def test_changed_pointers_name_exactly_the_differing_members(old: Any, new: Any) -> None:
    pointers = changed_pointers(old, new)
    assert len(pointers) == len(set(pointers))
    if canonical_json(old) == canonical_json(new):
        assert pointers == []
    for pointer in pointers:
        # a changed member is missing on one side or has another value there
        try:
            before = resolve(old, pointer)
        except (KeyError, TypeError):
            continue
        try:
            after = resolve(new, pointer)
        except (KeyError, TypeError):
            continue
        assert canonical_json(before) != canonical_json(after)


def test_changed_pointers_escape_and_nest() -> None:
    old = {"elements": {"Co": {"massKg": 1.0}, "a/b~c": 1}, "inputs": [1]}
    new = {"elements": {"Co": {"massKg": 2.0}, "a/b~c": 2}, "inputs": [1], "alerts": []}
    assert changed_pointers(old, new) == [
        "/alerts",
        "/elements/Co/massKg",
        "/elements/a~1b~0c",
    ]
    assert changed_pointers(1, 1.0) == [""]  # a type change is a change


def test_first_version_then_unchanged_then_second() -> None:
    passport = {"id": LOT, "massKg": 14300.0, "alerts": []}
    first = next_update(LOT, passport, None, ["e2", "e1"], 10)
    assert first is not None
    record, state = first
    assert record["version"] == 1
    assert record["previousHash"] is None
    assert record["changed"] == [""]
    assert record["sourceEventIDs"] == ["e1", "e2"]
    assert record["granularity"] == "batch"
    assert record["contentHash"] == content_hash(canonical_json(passport)) == state.content_hash
    assert json.loads(record["passport"]) == passport

    # the same content (keys in another order) is no new version
    same = {"alerts": [], "massKg": 14300.0, "id": LOT}
    assert next_update(LOT, same, state, ["e3"], 20) is None

    changed = {**passport, "massKg": 15000.0}
    second = next_update(LOT, changed, state, ["e3"], 30)
    assert second is not None
    record2, state2 = second
    assert (record2["version"], record2["previousHash"]) == (2, state.content_hash)
    assert record2["changed"] == ["/massKg"]
    assert PassportState.from_json(state2.to_json()) == state2


def test_item_granularity_for_serialised_ids() -> None:
    assert granularity("https://id.gs1.org/01/09506000134420/21/SN1") == "item"
    assert granularity(LOT) == "batch"


def test_pending_is_due_after_a_quiet_interval() -> None:
    pending = touch(None, ["e1"], 1_000_000)
    pending = touch(pending, ["e2", "e1"], 1_500_000)
    assert pending.events == ("e1", "e2")
    assert not pending.due(2_000_000, 1_000_000)  # touched 0.5 s ago, debounce 1 s
    assert pending.due(2_500_000, 1_000_000)
    assert Pending.from_json(pending.to_json()) == pending


def test_alerts_are_new_only_once() -> None:
    alert = {"type": "mass_balance_violation", "element": "Co", "eventID": "e1"}
    passport = {"id": LOT, "alerts": [alert]}
    assert new_alerts(None, passport) == [alert]
    first = next_update(LOT, passport, None, [], 0)
    assert first is not None
    assert new_alerts(first[1], {**passport, "massKg": 1.0}) == []
