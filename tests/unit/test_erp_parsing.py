"""ERP cell parsing: numbers as exports write them, units of measure, GS1 keys, export rows,
and the safe resume points inside a staging-table transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.erp import _gs1
from connectors.erp._model import CsvFormat
from connectors.erp._rows import FileError, csv_lines, json_array_lines, jsonl_lines
from connectors.erp._units import CODES, UnitError, convert, parse_number, unit_code
from connectors.erp._watermark import Cuts

# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("14,300", ",", ".", "14.300"),
        ("10.000,000", ",", ".", "10000.000"),
        ("1,234.5", ".", ",", "1234.5"),
        ("12,5-", ",", None, "-12.5"),  # SAP writes the minus behind
        ("-0.25", ".", None, "-0.25"),
        (".5", ".", None, "0.5"),
        ("1 234,5", ",", " ", "1234.5"),
        ("7", ".", None, "7"),
    ],
)
def test_parse_number_export_forms(
    text: str, decimal: str, thousands: str | None, expected: str
) -> None:
    assert parse_number(text, decimal, thousands) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "decimal", "thousands"),
    [("1.2.3", ".", None), ("12,34.5", ".", ","), ("1.2345", ",", "."), ("-1-", ".", None),
     ("abc", ".", None), ("", ".", None), ("1e3", ".", None), ("1.000,5", ".", ",")],
)  # fmt: skip
def test_parse_number_refuses_malformed(text: str, decimal: str, thousands: str | None) -> None:
    with pytest.raises(ValueError, match=r"not a number|two signs"):
        parse_number(text, decimal, thousands)


def test_parse_number_json_values() -> None:
    assert parse_number(Decimal("19.94")) == Decimal("19.94")
    assert parse_number(8) == 8
    assert parse_number(0.1) == Decimal("0.1")  # the float's shortest repr, not its binary
    for bad in (True, None, float("nan"), [1]):
        with pytest.raises(ValueError):
            parse_number(bad)


def _written(amount: Decimal, decimal: str, thousands: str | None) -> str:
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    if thousands is not None:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = thousands.join([whole, *groups])
    return sign + whole + (decimal + fraction if fraction else "")


_separators = st.sampled_from(
    [(".", None), (".", ","), (",", None), (",", "."), (",", " "), (".", "'")]
)
_amounts = st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False)


@given(_amounts, _separators, st.booleans())
def test_parse_number_reads_what_any_locale_writes(
    amount: Decimal, separators: tuple[str, str | None], sap_minus: bool
) -> None:
    decimal, thousands = separators
    text = _written(amount, decimal, thousands)
    if sap_minus and text.startswith("-"):
        text = text[1:] + "-"
    assert parse_number(text, decimal, thousands) == amount


# -- units --------------------------------------------------------------------------------


def test_unit_codes() -> None:
    assert unit_code("TO") == "TNE"
    assert unit_code(" kg ") == "KGM"
    assert unit_code("lbs") == "LBR"
    assert unit_code("KGM") == "KGM"
    assert unit_code("ST", {"st": "H87"}) == "H87"  # SAP's "Stück", declared by the mapping
    with pytest.raises(UnitError, match="unknown unit 'st'"):
        unit_code("st")


def test_convert_is_exact_decimal() -> None:
    assert convert(Decimal("2.5"), "TNE", {"mass": "KGM"}).amount == Decimal(2500)
    assert convert(Decimal("14.300"), "TNE", {"mass": "KGM"}) == convert(Decimal(14300), "KGM", {})
    assert convert(Decimal(1), "LBR", {"mass": "KGM"}).amount == Decimal("0.45359237")
    assert convert(Decimal(3), "TNE", {}).uom == "TNE"  # no target: kept as written
    assert convert(Decimal(3), "LTR", {"mass": "KGM"}).uom == "LTR"  # other dimension
    with pytest.raises(UnitError, match="cannot convert"):
        convert(Decimal(1), "LTR", {"volume": "KGM"})


_mass = sorted(code for code, (dimension, _) in CODES.items() if dimension == "mass")


@given(_amounts.filter(lambda a: a >= 0), st.sampled_from(_mass), st.sampled_from(_mass))
def test_conversion_round_trips_and_keeps_mass(amount: Decimal, code: str, target: str) -> None:
    there = convert(amount, code, {"mass": target})
    assert there.uom == target
    back = convert(there.amount, target, {"mass": code})
    assert abs(back.amount - amount) <= abs(amount) * Decimal("1e-20")
    in_kg = convert(amount, code, {"mass": "KGM"}).amount
    assert abs(convert(there.amount, target, {"mass": "KGM"}).amount - in_kg) <= in_kg * Decimal(
        "1e-20"
    )


@given(_amounts.filter(lambda a: a >= 0), _amounts.filter(lambda a: a >= 0))
def test_conversion_to_kilograms_is_additive(a: Decimal, b: Decimal) -> None:
    def kg(x: Decimal) -> Decimal:
        return convert(x, "TNE", {"mass": "KGM"}).amount

    assert kg(a) + kg(b) == kg(a + b)


# -- GS1 keys -----------------------------------------------------------------------------


def test_known_keys() -> None:
    assert _gs1.gtin14("09506000134352") == "09506000134352"
    assert _gs1.gtin14("9506000134352") == "09506000134352"  # a GTIN-13
    assert _gs1.gln("0950600022349") == "0950600022349"
    assert _gs1.from_prefix("9506000", "13435", what="item") == "9506000134352"
    with pytest.raises(ValueError, match="bad check digit"):
        _gs1.gtin14("09506000134353")
    with pytest.raises(ValueError, match="longer than the 5 digits"):
        _gs1.from_prefix("9506000", "123456", what="item")


def test_digital_links() -> None:
    assert _gs1.lgtin_uri("09506000134352", "KOL-2026-0917") == (
        "https://id.gs1.org/01/09506000134352/10/KOL-2026-0917"
    )
    assert (
        _gs1.lgtin_uri("09506000134352", "A/B") == "https://id.gs1.org/01/09506000134352/10/A%2FB"
    )
    assert _gs1.sgln_uri("0950600022349", "0001") == "https://id.gs1.org/414/0950600022349/254/0001"
    assert _gs1.pgln_uri("0950600022349") == "https://id.gs1.org/417/0950600022349"
    with pytest.raises(ValueError, match="character set 82"):
        _gs1.lgtin_uri("09506000134352", "LOT#1")
    with pytest.raises(ValueError, match="longer than 20"):
        _gs1.lgtin_uri("09506000134352", "X" * 21)


@given(st.text("0123456789", min_size=12, max_size=12), st.integers(0, 12), st.integers(1, 9))
def test_check_digit_catches_every_single_digit_error(body: str, where: int, shift: int) -> None:
    key = body + _gs1.gs1_check_digit(body)
    assert _gs1.gln(key) == key
    wrong = key[:where] + str((int(key[where]) + shift) % 10) + key[where + 1 :]
    with pytest.raises(ValueError, match="check digit"):
        _gs1.gln(wrong)


# -- export rows --------------------------------------------------------------------------


def test_csv_rows_keep_line_numbers_and_text() -> None:
    text = 'A;B\n1;"two\nlines"\n\n3;4;5\n6;7'
    lines = list(csv_lines(text, CsvFormat(delimiter=";")))
    assert [(line.number, line.row, line.error) for line in lines] == [
        (2, {"A": "1", "B": "two\nlines"}, None),
        (5, None, "the row has 3 fields, the header 2"),
        (6, {"A": "6", "B": "7"}, None),
    ]
    assert lines[0].raw == '1;"two\nlines"\n'


def test_json_rows() -> None:
    lines = list(json_array_lines('[\n {"q": 1.50},\n\n {"q":\n 2}, 7\n]'))
    assert [(line.number, line.row, line.error) for line in lines] == [
        (2, {"q": Decimal("1.50")}, None),
        (4, {"q": 2}, None),
        (5, None, "a record must be a JSON object, got int"),
    ]
    assert lines[1].raw == '{"q":\n 2}'
    with pytest.raises(FileError, match="not JSON") as caught:
        list(json_array_lines('[{"a": 1},\n{"a": }]'))
    assert caught.value.line == 2
    jsonl = list(jsonl_lines('{"a": 1}\nnope\n'))
    assert jsonl[1].number == 2
    assert jsonl[1].error is not None
    assert jsonl[1].error.startswith("not JSON")


# -- resume points inside a transaction ---------------------------------------------------


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_cuts_never_split_a_group(group_of_row: list[int]) -> None:
    cuts = Cuts(group_of_row)
    published: set[int] = set()
    order = cuts.order()
    assert [cuts.rows(g)[-1] for g in order] == sorted(cuts.rows(g)[-1] for g in order)
    for group in order:
        published.add(group)
        cut = cuts.publish(group)
        behind = set(group_of_row[: cut + 1])
        ahead = set(group_of_row[cut + 1 :])
        # everything behind the mark was published, and a re-read from the mark sees every
        # group whole or not at all: never an order without some of its lines
        assert behind <= published
        assert not behind & ahead
    assert cut == len(group_of_row) - 1


def test_cuts_wait_for_a_straddling_group() -> None:
    cuts = Cuts(["G", "H", "G", "I", "H"])
    assert cuts.order() == ["G", "I", "H"]
    assert [cuts.publish(g) for g in ("G", "I", "H")] == [-1, -1, 4]
    singles = Cuts([1, 2, 3])
    assert [singles.publish(g) for g in (1, 2, 3)] == [0, 1, 2]
