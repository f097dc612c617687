from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oretrail import cbv
from oretrail.cbv import CbvError, Vocabulary, is_standard, normalise, to_uri

ALL_TERMS = [(vocab, term) for vocab in get_args(Vocabulary) for term in sorted(cbv.TERMS[vocab])]


@pytest.mark.parametrize(
    ("vocab", "urn", "web"),
    [
        ("BizStep", "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping"),
        ("Disp", "urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-in_transit"),
        ("BTT", "urn:epcglobal:cbv:btt:po", "https://ref.gs1.org/cbv/BTT-po"),
        ("SDT", "urn:epcglobal:cbv:sdt:owning_party", "https://ref.gs1.org/cbv/SDT-owning_party"),
        ("ER", "urn:epcglobal:cbv:er:incorrect_data", "https://ref.gs1.org/cbv/ER-incorrect_data"),
    ],
)  # fmt: skip
def test_three_forms_of_a_term_are_one_value(vocab: Vocabulary, urn: str, web: str) -> None:
    word = web.rsplit("-", 1)[1] if vocab != "BizStep" else "shipping"
    curie = web.replace("https://ref.gs1.org/cbv/", "cbv:")
    for form in (word, urn, web, curie, f"  {word}\n"):
        assert normalise(vocab, form) == word
        assert to_uri(vocab, form) == web
        assert is_standard(vocab, form)


@pytest.mark.parametrize(("vocab", "term"), ALL_TERMS)
def test_every_term_round_trips_through_its_uri(vocab: Vocabulary, term: str) -> None:
    uri = to_uri(vocab, term)
    assert uri == f"https://ref.gs1.org/cbv/{vocab}-{term}"
    assert normalise(vocab, uri) == term
    assert normalise(vocab, f"urn:epcglobal:cbv:{cbv.URN_SEGMENTS[vocab]}:{term}") == term


@pytest.mark.parametrize(
    "value",
    ["https://ns.example.com/steps/leaching", "urn:example:x", "http://epcis.example.com/bs/x"],
)
def test_other_vocabularies_pass_unchanged(value: str) -> None:
    assert normalise("BizStep", value) == value
    assert to_uri("BizStep", value) == value
    assert not is_standard("BizStep", value)


@pytest.mark.parametrize(
    ("vocab", "value", "message"),
    [
        ("BizStep", "foo", "non-standard bizStep 'foo': "),
        ("BizStep", "Shipping", "did you mean 'shipping'"),
        ("Disp", "in transit", "non-standard disposition 'in transit'"),
        ("BizStep", "urn:epcglobal:cbv:bizstep:leaching", "non-standard bizStep"),
        ("BizStep", "https://ref.gs1.org/cbv/BizStep-leaching", "non-standard bizStep"),
        ("BizStep", "urn:epcglobal:cbv:disp:in_transit", "is a CBV 'disp' value, not a bizStep"),
        ("SDT", "https://ref.gs1.org/cbv/BTT-po", "not a CBV SDT value"),
        ("BTT", "https://ref.gs1.org/cbv/po", "not a CBV BTT value"),
        ("ER", "  ", "empty error reason"),
    ],
)
def test_non_standard_values_are_errors(vocab: Vocabulary, value: str, message: str) -> None:
    with pytest.raises(CbvError, match=message):
        normalise(vocab, value)
    with pytest.raises(CbvError):
        to_uri(vocab, value)
    assert not is_standard(vocab, value)


def test_a_term_of_one_vocabulary_is_not_one_of_another() -> None:
    assert is_standard("Disp", "in_transit")
    assert not is_standard("BizStep", "in_transit")


def test_unknown_vocabulary_is_refused() -> None:
    with pytest.raises(CbvError, match="unknown CBV vocabulary"):
        normalise("Comp", "x")  # type: ignore[arg-type]


@given(vocab=st.sampled_from(get_args(Vocabulary)), value=st.text())
def test_any_text_is_a_term_a_foreign_uri_or_a_cbv_error(vocab: Vocabulary, value: str) -> None:
    try:
        word = normalise(vocab, value)
    except CbvError:
        assert not is_standard(vocab, value)
        return
    assert word in cbv.TERMS[vocab] or ":" in word
    assert is_standard(vocab, value) == (word in cbv.TERMS[vocab])
    assert normalise(vocab, to_uri(vocab, value)) == word
