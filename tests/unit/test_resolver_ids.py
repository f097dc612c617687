"""Which lot or item a resolver path or a command-line ID names (sink.resolver._ids)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oretrail.identifiers import gs1_check_digit
from sink.resolver._ids import MalformedIdError, ProductIdError, ProductRef, from_path, from_text

BASE = "http://127.0.0.1:8780"
LOT = "https://id.gs1.org/01/09520123456788/10/LOT1"


@pytest.mark.parametrize(
    ("path", "product_id"),
    [
        ("/01/09520123456788/10/LOT1", LOT),
        ("/01/9520123456788/10/LOT1", LOT),  # GTIN-13 padded to 14 digits
        ("/01/09520123456788/10/LOT1/", LOT),  # a trailing slash is no segment
        ("/01/95012346/21/7", "https://id.gs1.org/01/00000095012346/21/7"),  # GTIN-8
        ("/01/614141123452/21/S1", "https://id.gs1.org/01/00614141123452/21/S1"),  # GTIN-12
        # an escaped '/' stays inside the lot; the serial wins over the lot (the item)
        ("/01/09520123456788/10/A%2FB", "https://id.gs1.org/01/09520123456788/10/A%2FB"),
        ("/01/09520123456788/10/L/21/S", "https://id.gs1.org/01/09520123456788/21/S"),
        ("/gtin/09520123456788/lot/LOT1", LOT),  # GS1 short names
    ],
)
def test_paths_name_the_canonical_lot_or_item(path: str, product_id: str) -> None:
    ref = from_path(path)
    assert ref.product_id == product_id
    assert ref.path == product_id.removeprefix("https://id.gs1.org")
    assert ref.link(BASE + "/") == BASE + ref.path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/09520123456789/10/LOT1", "check digit 9, expected 8"),
        ("/01/952012345678/10/LOT1", "check digit"),
        ("/01/0952012345678/10/LOT1", "check digit"),
        ("/01/123456789/10/LOT1", "8 or 12 or 13 or 14 digits"),
        ("/01/0952012345678x/10/LOT1", "digits"),
        ("/01/09520123456788/10/a b", "must be percent-encoded"),
        ("/01/09520123456788/10/" + "L" * 21, "1 to 20 characters"),
    ],
)
def test_invalid_identifiers_are_malformed(path: str, reason: str) -> None:
    with pytest.raises(MalformedIdError, match=reason):
        from_path(path)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/09520123456788", "without a lot"),
        ("/01/09520123456788/22/V1", "without a lot"),
        ("/01/09520123456788/10", "without a value"),
        ("/414/4012345000016", "not a GS1 Digital Link of a GTIN"),
        ("/credentials/abc", "not a GS1 Digital Link of a GTIN"),
    ],
)
def test_paths_that_name_no_lot_or_item(path: str, reason: str) -> None:
    with pytest.raises(ProductIdError, match=reason) as caught:
        from_path(path)
    assert not isinstance(caught.value, MalformedIdError)


@pytest.mark.parametrize(
    ("text", "lot", "serial", "product_id"),
    [
        (LOT, None, None, LOT),
        ("https://brand.example/shop/01/9520123456788/10/LOT1?x=1", None, None, LOT),
        ("urn:epc:class:lgtin:4012345.011111.4444", None, None,
         "https://id.gs1.org/01/04012345111118/10/4444"),
        ("urn:epc:id:sgtin:0614141.107346.2017", None, None,
         "https://id.gs1.org/01/10614141073464/21/2017"),
        ("9520123456788", "LOT1", None, LOT),
        ("09520123456788", None, "A/B?", "https://id.gs1.org/01/09520123456788/21/A%2FB%3F"),
        (" /01/09520123456788/10/LOT1 ", None, None, LOT),
    ],
)  # fmt: skip
def test_command_line_ids(text: str, lot: str | None, serial: str | None, product_id: str) -> None:
    assert from_text(text, lot=lot, serial=serial).product_id == product_id


@pytest.mark.parametrize(
    ("text", "lot", "serial", "reason"),
    [
        ("9520123456788", None, None, "needs --lot or --serial"),
        ("LOT1", None, None, "needs --lot or --serial"),
        ("9520123456788", "L", "S", "not both"),
        ("https://id.gs1.org/01/09520123456788/10/L", "L", None, "bare GTIN"),
        ("https://id.gs1.org/01/09520123456788", None, None, "without a lot"),
        ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", None, None, "not a GS1 Digital Link"),
        ("9520123456789", "LOT1", None, "check digit"),
    ],
)
def test_command_line_ids_refused(
    text: str, lot: str | None, serial: str | None, reason: str
) -> None:
    with pytest.raises(ProductIdError, match=reason):
        from_text(text, lot=lot, serial=serial)


_CSET82 = string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_"


@st.composite
def gtins(draw: st.DrawFn) -> str:
    size = draw(st.sampled_from([8, 12, 13, 14]))
    body = draw(st.text(string.digits, min_size=size - 1, max_size=size - 1))
    return body + gs1_check_digit(body)


@given(gtin=gtins(), value=st.text(_CSET82, min_size=1, max_size=20), serial=st.booleans())
def test_any_valid_lot_or_serial_round_trips(gtin: str, value: str, serial: bool) -> None:
    """A bare GTIN with the value as printed, its link, and the path of that link all name
    the same product; the path carries the 14-digit GTIN."""
    ref = from_text(gtin, lot=None if serial else value, serial=value if serial else None)
    assert isinstance(ref, ProductRef)
    assert ref.path.startswith(f"/01/{gtin.zfill(14)}/{'21' if serial else '10'}/")
    assert from_path(ref.path) == ref
    assert from_text(ref.link(BASE)) == ref
