from __future__ import annotations

import string
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oretrail.identifiers import IdentifierError, gs1_check_digit, to_digital_link

DL = "https://id.gs1.org"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("0950600013435", "2"),  # GTIN-13 of the GS1 Digital Link examples
        ("400638133393", "1"),  # GTIN-13 4006381333931
        ("10614141234567890", "8"),  # SSCC 106141412345678908
        ("401234500001", "6"),  # GLN 4012345000016
        ("0", "0"),
    ],
)
def test_check_digit(body: str, check: str) -> None:
    assert gs1_check_digit(body) == check


@pytest.mark.parametrize("bad", ["", "12a4", "١٢٣", " 123", "12.3"])
def test_check_digit_needs_ascii_digits(bad: str) -> None:
    with pytest.raises(IdentifierError, match="digits"):
        gs1_check_digit(bad)


@pytest.mark.parametrize(
    ("urn", "link"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "/01/10614141073464/21/2017"),
        ("urn:epc:id:sgtin:415056789012.0.987654", "/01/04150567890128/21/987654"),
        ("urn:epc:class:lgtin:4012345.011111.4444", "/01/04012345111118/10/4444"),
        ("urn:epc:idpat:sgtin:4054739.099914.*", "/01/04054739999148"),
        ("urn:epc:id:sscc:4012345.0000000333", "/00/040123450000003338"),
        ("urn:epc:id:sgln:0614141.07346.1234", "/414/0614141073467/254/1234"),
        ("urn:epc:id:sgln:4012345.00001.0", "/414/4012345000016"),
        ("urn:epc:id:pgln:4000001.00000", "/417/4000001000005"),
        ("urn:epc:id:pgln:999999999999.", "/417/9999999999994"),
        ("urn:epc:id:grai:4012345.00022.334455", "/8003/04012345000221334455"),
        ("urn:epc:idpat:grai:4012345.66666.*", "/8003/04012345666663"),
        ("urn:epc:id:giai:4012345.ABC345", "/8004/4012345ABC345"),
        ("urn:epc:id:gsrn:4012345.0000006765", "/8018/401234500000067657"),
        ("urn:epc:id:gsrnp:4012345.0000000007", "/8017/401234500000000074"),
        ("urn:epc:id:gdti:4012345.11111.123", "/253/4012345111118123"),
        ("urn:epc:id:gdti:987659999999..9", "/253/98765999999929"),
        ("urn:epc:id:sgcn:4012345.99999.44", "/255/401234599999044"),
        (
            "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
            "/8010/061414111111111111111-A%23%2F/8011/1234",
        ),
        ("urn:epc:idpat:cpi:4012345.ABC.*", "/8010/4012345ABC"),
        ("urn:epc:id:ginc:0614141.xyz47%2F11", "/401/0614141xyz47%2F11"),
        ("urn:epc:id:gsin:4012345.222333444", "/402/40123452223334442"),
        ("urn:epc:id:itip:4012345.011111.01.02.987", "/8006/040123451111180102/21/987"),
        (
            "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
            "/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB",
        ),
        ("URN:EPC:ID:SGTIN:0614141.107346.2017", "/01/10614141073464/21/2017"),
    ],
)
def test_epc_urn_to_digital_link(urn: str, link: str) -> None:
    assert to_digital_link(urn) == DL + link
    assert to_digital_link(DL + link) == DL + link  # already canonical: unchanged


def test_serial_is_decoded_from_the_urn_then_encoded_for_digital_link() -> None:
    urn = "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()"
    assert to_digital_link(urn) == f"{DL}/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29"


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("https://example.com/01/09506000134352/10/LOT1", "/01/09506000134352/10/LOT1"),
        (
            "http://EXAMPLE.com/shop/01/9506000134352/21/X?linkType=all#top",
            "/01/09506000134352/21/X",
        ),
        ("https://id.gs1.org/gtin/09780345418913", "/01/09780345418913"),
        (
            "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
            "/01/09780345418913/21/765tz",
        ),
        ("https://example.com/01/09506000134352/22/2A/10/L/21/S", "/01/09506000134352/21/S"),
        ("https://example.com/01/09506000134352/22/2A", "/01/09506000134352"),
        ("https://example.com/01/96385074/10/L", "/01/00000096385074/10/L"),
        ("https://example.com/01/614141123452/", "/01/00614141123452"),
        ("https://example.com/414/4012345000054/254/x%2fy", "/414/4012345000054/254/x%2Fy"),
        ("https://example.com/gln/4012345000054/glnx/a!b", "/414/4012345000054/254/a%21b"),
        ("https://example.com/8018/401234500000067657/8019/12", "/8018/401234500000067657"),
        ("https://example.com/8010/0614141ABC/8011/12", "/8010/0614141ABC/8011/12"),
        ("https://example.com/8003/040123450007718765", "/8003/040123450007718765"),
        ("https://example.com/00/106141412345678908", "/00/106141412345678908"),
    ],
)
def test_digital_link_to_canonical(link: str, canonical: str) -> None:
    assert to_digital_link(link) == DL + canonical


@pytest.mark.parametrize(
    "value",
    [
        "urn:uuid:6b1b9a8e-4c4e-4a4e-9c4e-4a4e9c4e4a4e",
        "https://ns.example.com/steps/leaching",
        "http://example.com/",
        "https://example.com/01",
        "urn:epc:id:gid:95100000.12345.400",
        "urn:epc:idpat:sgtin:0614141.*.*",
        "urn:epcglobal:cbv:bt:5200001000008:4711",
        "urn:example:x",
        "geo:50.9475,6.9221",
        "",
        "shipping",
    ],
)
def test_other_values_come_back_unchanged(value: str) -> None:
    assert to_digital_link(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("urn:epc:id:sgtin:06141.1073460.2017", "company prefix"),
        ("urn:epc:id:sgtin:0614141.10734.2017", "does not fit"),
        ("urn:epc:id:sgtin:0614141.107346", "3 '.'-separated parts"),
        ("urn:epc:id:sgtin:0614141.107346.20%zz", "percent escape"),
        ("urn:epc:id:sgtin:0614141.107346.a/b", "must be percent-encoded"),
        ("urn:epc:id:sgtin:0614141.107346.123456789012345678901", "1 to 20"),
        ("urn:epc:id:sgtin:0614141.107346.%7E", "outside the GS1 set"),
        ("urn:epc:id:sscc:4012345.000000033", "does not fit"),
        ("urn:epc:id:sgcn:4012345.99999.4A", "digits"),
        ("urn:epc:id:itip:4012345.011111.1.02.987", "piece"),
        ("urn:epc:idpat:sgtin:4054739.099914.5", "must end in"),
        ("urn:epc:idpat:sscc:4012345.*", "must end in"),
        ("https://example.com/01/09506000134353", "check digit 3, expected 2"),
        ("https://example.com/01/0950600013435", "GTIN"),
        ("https://example.com/00/106141412345678909", "check digit"),
        ("https://example.com/414/401234500005", "GLN"),
        ("https://example.com/01/09506000134352/21/S/21/T", "repeats"),
        ("https://example.com/01/09506000134352/21/%GG", "percent escape"),
    ],
)
def test_invalid_identifiers_are_rejected_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(IdentifierError, match=why) as caught:
        to_digital_link(value)
    assert isinstance(caught.value, ValueError)


# --------------------------------------------------------------------------- properties

company_prefix_length = st.integers(min_value=6, max_value=12)
# what an EPC URN writes as is; everything else of the GS1 set travels as %XX
_URN_PLAIN = set(string.ascii_letters + string.digits + "-_.!'()*+,:;=")
gs1_text = st.text(alphabet="!\"%&'()*+,-./:;<=>?_" + string.ascii_letters + string.digits)


def _urn_escape(value: str) -> str:
    return "".join(c if c in _URN_PLAIN else f"%{ord(c):02X}" for c in value)


@given(
    body=st.text(alphabet=string.digits, min_size=13, max_size=13),
    cp_len=company_prefix_length,
    serial=gs1_text.filter(lambda s: 1 <= len(s) <= 20),
)
def test_sgtin_round_trip(body: str, cp_len: int, serial: str) -> None:
    gtin = body + gs1_check_digit(body)
    indicator, company, item = gtin[0], gtin[1 : 1 + cp_len], gtin[1 + cp_len : 13]
    link = to_digital_link(f"urn:epc:id:sgtin:{company}.{indicator}{item}.{_urn_escape(serial)}")
    prefix = f"{DL}/01/{gtin}/21/"
    assert link.startswith(prefix)
    assert unquote(link[len(prefix) :]) == serial
    assert to_digital_link(link) == link
    assert to_digital_link(link.replace(DL, "https://brand.example.com/p")) == link


@given(body=st.text(alphabet=string.digits, min_size=17, max_size=17), cp_len=company_prefix_length)
def test_sscc_round_trip(body: str, cp_len: int) -> None:
    sscc = body + gs1_check_digit(body)
    extension, company, serial_ref = sscc[0], sscc[1 : 1 + cp_len], sscc[1 + cp_len : 17]
    link = to_digital_link(f"urn:epc:id:sscc:{company}.{extension}{serial_ref}")
    assert link == f"{DL}/00/{sscc}"
    assert to_digital_link(f"https://example.com/sscc/{sscc}") == link


@given(body=st.text(alphabet=string.digits, min_size=12, max_size=12), cp_len=company_prefix_length)
def test_gln_round_trip(body: str, cp_len: int) -> None:
    gln = body + gs1_check_digit(body)
    company, location = gln[:cp_len], gln[cp_len:12]
    assert to_digital_link(f"urn:epc:id:sgln:{company}.{location}.0") == f"{DL}/414/{gln}"
    assert to_digital_link(f"urn:epc:id:sgln:{company}.{location}.7") == f"{DL}/414/{gln}/254/7"
    assert to_digital_link(f"urn:epc:id:pgln:{company}.{location}") == f"{DL}/417/{gln}"


keys = st.sampled_from([("01", 14), ("00", 18), ("414", 13), ("417", 13), ("8018", 18)])


@given(key=keys, data=st.data())
def test_any_single_digit_corruption_is_rejected(key: tuple[str, int], data: st.DataObject) -> None:
    ai, size = key
    body = data.draw(st.text(alphabet=string.digits, min_size=size - 1, max_size=size - 1))
    valid = body + gs1_check_digit(body)
    position = data.draw(st.integers(min_value=0, max_value=size - 1))
    wrong = data.draw(st.sampled_from([d for d in string.digits if d != valid[position]]))
    corrupted = valid[:position] + wrong + valid[position + 1 :]
    assert to_digital_link(f"https://example.com/{ai}/{valid}") == f"{DL}/{ai}/{valid}"
    with pytest.raises(IdentifierError, match="check digit"):
        to_digital_link(f"https://example.com/{ai}/{corrupted}")


schemes = st.sampled_from(
    [
        "sgtin",
        "sscc",
        "sgln",
        "pgln",
        "grai",
        "giai",
        "gsrn",
        "gsrnp",
        "gdti",
        "sgcn",
        "cpi",
        "ginc",
        "gsin",
        "itip",
        "upui",
        "lgtin",
    ]
)
urn_like = st.builds(
    lambda kind, scheme, body: f"urn:epc:{kind}:{scheme}:{body}",
    st.sampled_from(["id", "class", "idpat", "ID"]),
    schemes,
    st.text(alphabet=string.digits + ".%*AZaz/!2F", max_size=40),
)
link_like = st.builds(
    lambda host, ai, value, tail: f"{host}/{ai}/{value}{tail}",
    st.sampled_from(["https://id.gs1.org", "http://x.example", "https://[::1", "HTTPS://a"]),
    st.sampled_from(["01", "gtin", "00", "414", "8003", "8004", "253", "255", "8006", "8010"]),
    st.text(alphabet=string.digits + "%/AZ~ é", max_size=30),
    st.sampled_from(["", "/21/x", "/10/%", "/254/1", "/8011/2", "/21/a/21/b", "?q=1", "/"]),
)


@given(value=st.one_of(st.text(), urn_like, link_like))
def test_arbitrary_input_raises_nothing_but_identifier_error(value: str) -> None:
    try:
        result = to_digital_link(value)
    except IdentifierError:
        return
    assert isinstance(result, str)
    if result != value:
        assert result.startswith(f"{DL}/")
        assert to_digital_link(result) == result
