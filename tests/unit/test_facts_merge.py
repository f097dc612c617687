"""merge_lot: the newest declaration of each member wins, in whatever order facts arrive."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.facts import FactsError, extract, merge_lot
from streams.model import ELEMENTS, LotFacts, RecycledShare
from tests.unit.facts_events import KOL, MINE, REFINERY, commissioning, record_of

# few event ids, so that the same id declaring two different values gets exercised too
EVENT_IDS = [f"urn:uuid:00000000-0000-4000-8000-00000000000{n}" for n in range(6)]
_fraction = st.floats(0, 1, allow_nan=False)
_shares = st.builds(RecycledShare, _fraction, _fraction)


@st.composite
def declared(draw: st.DrawFn) -> LotFacts:
    """What one event may declare about the lot."""
    return LotFacts(
        lot=KOL,
        mass_kg=draw(st.none() | st.floats(0, 1e7, allow_nan=False)),
        element_content=draw(st.dictionaries(st.sampled_from(ELEMENTS), _fraction, max_size=3)),
        recycled=draw(st.dictionaries(st.sampled_from(ELEMENTS), _shares, max_size=2)),
        country_of_origin=draw(st.none() | st.sampled_from(["CD", "ZM", "AU"])),
        carbon_kg_per_kg=draw(st.none() | st.floats(0, 50, allow_nan=False)),
        carbon_stage=draw(st.none() | st.sampled_from(["RawMaterialExtraction", "Refining"])),
        certificates=tuple(sorted(draw(st.sets(st.sampled_from(["c:1", "c:2", "c:3"]))))),
        flags=tuple(sorted(draw(st.sets(st.sampled_from(["conflict_area", "unverified"]))))),
        source_events=(draw(st.sampled_from(EVENT_IDS)),),
        site=draw(st.none() | st.sampled_from([MINE, REFINERY])),
    )


def _fold(items: Sequence[LotFacts]) -> LotFacts:
    return functools.reduce(merge_lot, items)


merged = st.lists(declared(), min_size=1, max_size=4).map(_fold)


@settings(max_examples=300)
@given(merged, merged)
def test_merge_is_commutative(a: LotFacts, b: LotFacts) -> None:
    assert merge_lot(a, b) == merge_lot(b, a)


@settings(max_examples=300)
@given(merged, merged, merged)
def test_merge_is_associative(a: LotFacts, b: LotFacts, c: LotFacts) -> None:
    assert merge_lot(merge_lot(a, b), c) == merge_lot(a, merge_lot(b, c))


@given(merged)
def test_merge_is_idempotent(a: LotFacts) -> None:
    assert merge_lot(a, a) == a


@settings(max_examples=200)
@given(st.lists(declared(), min_size=1, max_size=6), st.randoms())
def test_arrival_order_and_duplicates_do_not_matter(items: list[LotFacts], rnd: Any) -> None:
    shuffled = [*items, *rnd.sample(items, k=len(items) // 2)]
    rnd.shuffle(shuffled)
    assert _fold(shuffled) == _fold(items)


def _newest(items: Sequence[LotFacts], get: Callable[[LotFacts], Any], rank: Any = None) -> Any:
    """The value the event with the largest id declared (ties: the larger value)."""
    found = [(f.source_events[0], get(f)) for f in items if get(f) is not None]
    if not found:
        return None
    return max(found, key=lambda pair: (pair[0], rank(pair[1]) if rank else pair[1]))[1]


@settings(max_examples=300)
@given(st.lists(declared(), min_size=1, max_size=6))
def test_each_member_is_the_newest_declaration_of_it(items: list[LotFacts]) -> None:
    result = _fold(items)
    for name in ("mass_kg", "country_of_origin", "carbon_kg_per_kg", "carbon_stage", "site"):
        assert getattr(result, name) == _newest(items, lambda f, n=name: getattr(f, n)), name
    for element in ELEMENTS:
        assert result.element_content.get(element) == _newest(
            items, lambda f, e=element: f.element_content.get(e)
        )
        assert result.recycled.get(element) == _newest(
            items,
            lambda f, e=element: f.recycled.get(e),
            lambda s: (s.pre_consumer, s.post_consumer),
        )
    assert result.source_events == tuple(sorted({f.source_events[0] for f in items}))
    assert result.certificates == tuple(sorted({c for f in items for c in f.certificates}))
    assert result.flags == tuple(sorted({g for f in items for g in f.flags}))


def test_an_older_event_keeps_what_the_newer_one_does_not_say() -> None:
    older, newer = EVENT_IDS[1], EVENT_IDS[2]
    first = extract(record_of({**commissioning(), "eventID": older})).lots[0]
    # a later correction of the mass alone, at another site
    event = {**commissioning(), "eventID": newer, "bizLocation": {"id": REFINERY}}
    event["quantityList"] = [{"epcClass": KOL, "quantity": 19940, "uom": "KGM"}]
    event["ilmd"] = {"ot:elementContent": [{"ot:element": "Ni", "ot:massFraction": 0.06}]}
    del event["certificationInfo"]
    second = extract(record_of(event)).lots[0]

    result = merge_lot(second, first)
    assert result.mass_kg == 19940.0
    assert result.site == REFINERY
    assert result.element_content == {"Co": 0.30, "Ni": 0.06}
    assert (result.country_of_origin, result.carbon_kg_per_kg) == ("CD", 2.1)
    assert result.certificates == first.certificates
    assert result.source_events == (older, newer)
    # what the older event alone declared remembers it came from there
    assert result.provenance == {
        "carbon_kg_per_kg": older,
        "carbon_stage": older,
        "country_of_origin": older,
        "element_content:Co": older,
        "recycled:Co": older,
    }
    assert merge_lot(first, second) == result


def test_facts_of_two_lots_do_not_merge() -> None:
    a = LotFacts(lot=KOL)
    with pytest.raises(FactsError, match="cannot merge the facts of two lots"):
        merge_lot(a, LotFacts(lot=REFINERY))
