from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oretrail.keys import lot_key

LOT_A = "https://id.gs1.org/01/09506000134352/10/A"
LOT_B = "https://id.gs1.org/01/09506000134420/10/B"


def test_transformation_is_keyed_by_its_output() -> None:
    event = {
        "eventID": "e1",
        "inputQuantityList": [{"epcClass": LOT_A, "quantity": 1.0, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": LOT_B, "quantity": 1.0, "uom": "KGM"}],
    }
    assert lot_key(event) == LOT_B


def test_aggregation_is_keyed_by_parent() -> None:
    assert lot_key({"eventID": "e", "parentID": LOT_A, "childEPCs": [LOT_B]}) == LOT_A


def test_object_event_by_first_object_and_fallback_to_event_id() -> None:
    assert lot_key({"eventID": "e", "epcList": [], "quantityList": [{"epcClass": LOT_A}]}) == LOT_A
    assert lot_key({"eventID": "ni:///sha-256;ab?ver=CBV2.0", "epcList": []}) == (
        "ni:///sha-256;ab?ver=CBV2.0"
    )


@given(lots=st.lists(st.text(min_size=1), min_size=1, max_size=4))
def test_same_lot_same_key_regardless_of_event_kind(lots: list[str]) -> None:
    commissioning = {"eventID": "a", "quantityList": [{"epcClass": lots[0]}]}
    shipping = {
        "eventID": "b",
        "epcList": [],
        "quantityList": [{"epcClass": lots[0]}, *[{"epcClass": x} for x in lots[1:]]],
    }
    assert lot_key(commissioning) == lot_key(shipping) == lots[0]
