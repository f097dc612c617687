"""GS1 identifiers: EPC URNs and GS1 Digital Link URIs to one canonical Digital Link form.

The canonical form is the one CBV 2.0 asks for in the event hash ("constrained canonical GS1
Digital Link"): host ``https://id.gs1.org``, numeric AIs instead of short names, GTINs padded
to 14 digits, no query string or path prefix, and only the most specific key + qualifier set
(a serial wins over a lot, the CPV is dropped). Check digits are computed for EPC URNs
(which do not carry them) and verified for Digital Link input.

Values are percent-decoded from the URN / URI escape form, checked against the GS1 character
sets of EPC Tag Data Standard 2.0, then percent-encoded the way the published CBV hash vectors
expect: ``! " % & ( ) * + , / : < > ?`` (and ``#``) are escaped, ``' ; =`` stay as they are.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from urllib.parse import urlsplit

DIGITAL_LINK_BASE = "https://id.gs1.org"


class IdentifierError(ValueError):
    """A value that claims to be a GS1 identifier (an EPC URN or a GS1 Digital Link URI) but
    is not a valid one: wrong check digit, wrong length, a company prefix that does not fit,
    a character outside the GS1 character set..."""


_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# GS1 AI encodable character set 82 and the CPI character set 39 (GS1 General Specifications)
_CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
_CSET39 = frozenset(string.ascii_uppercase + string.digits + "#-/")
_URN_RAW = frozenset(string.ascii_letters + string.digits + "-_.!'()*+,:;=")
_DL_RAW = frozenset(string.ascii_letters + string.digits + "-._';=")
# what RFC 3986 lets a path segment carry unescaped (pchar)
_PCHAR = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")
_HEX = frozenset(string.hexdigits)


def gs1_check_digit(digits_without_check: str) -> str:
    """The GS1 mod-10 check digit of a key given without it (GTIN, GLN, SSCC, GSRN ...)."""
    if not _ASCII_DIGITS.fullmatch(digits_without_check):
        raise IdentifierError(
            f"a check digit needs a string of digits, got {digits_without_check!r}"
        )
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(digits_without_check))
    )
    return str(-total % 10)


@functools.lru_cache(maxsize=1 << 16)
def to_digital_link(uri: str) -> str:
    """The canonical GS1 Digital Link URI of an EPC URN or Digital Link URI.

    Any other value (``urn:uuid:``, other http(s) URIs, EPC schemes that are no GS1 key,
    private URNs) is returned unchanged. IdentifierError when the value has the form of a
    GS1 identifier but is not a valid one.
    """
    match = _EPC_URN.match(uri)
    if match is not None:
        return _from_epc_urn(uri, match.group(1).lower(), match.group(2).lower(), match.group(3))
    if uri[:7].lower() == "http://" or uri[:8].lower() == "https://":
        return _from_digital_link(uri)
    return uri


# ---------------------------------------------------------------- shared value handling


def _decode(value: str, raw_allowed: frozenset[str], where: str) -> str:
    """Undo %XX escapes; any other character must be one the syntax allows unescaped."""
    if "%" not in value and raw_allowed.issuperset(value):
        return value  # the common case, without the per-character walk
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "%":
            hex_pair = value[i + 1 : i + 3]
            if len(hex_pair) != 2 or not set(hex_pair) <= _HEX:
                raise IdentifierError(f"{where}: bad percent escape in {value!r}")
            out.append(chr(int(hex_pair, 16)))
            i += 3
            continue
        if char not in raw_allowed:
            raise IdentifierError(f"{where}: character {char!r} must be percent-encoded")
        out.append(char)
        i += 1
    return "".join(out)


def _encode(value: str) -> str:
    return "".join(c if c in _DL_RAW else f"%{ord(c):02X}" for c in value)


def _text(value: str, what: str, max_len: int, charset: frozenset[str] = _CSET82) -> str:
    if not 1 <= len(value) <= max_len:
        raise IdentifierError(f"{what} {value!r} must have 1 to {max_len} characters")
    bad = sorted(set(value) - charset)
    if bad:
        raise IdentifierError(f"{what} {value!r} has characters outside the GS1 set: {bad}")
    return value


def _digits(value: str, what: str, lengths: tuple[int, ...]) -> str:
    if not _ASCII_DIGITS.fullmatch(value) or len(value) not in lengths:
        sizes = " or ".join(str(n) for n in lengths)
        raise IdentifierError(f"{what} {value!r} must be {sizes} digits")
    return value


def _with_check(body: str) -> str:
    return body + gs1_check_digit(body)


def _verify(key: str, what: str) -> str:
    expected = gs1_check_digit(key[:-1])
    if key[-1] != expected:
        raise IdentifierError(f"{what} {key!r} has check digit {key[-1]}, expected {expected}")
    return key


# ---------------------------------------------------------------- EPC URNs (TDS 2.0 §6)

_EPC_URN = re.compile(r"^urn:epc:(id|class|idpat):([A-Za-z0-9]+):(.*)$", re.IGNORECASE)


def _company(cp: str, ref: str, total: int, what: str) -> None:
    """Company prefix (6..12 digits) + the numeric reference after it fill ``total`` digits."""
    if not _ASCII_DIGITS.fullmatch(cp) or not 6 <= len(cp) <= 12:
        raise IdentifierError(f"{what}: company prefix {cp!r} must be 6 to 12 digits")
    if (ref and not _ASCII_DIGITS.fullmatch(ref)) or len(cp) + len(ref) != total:
        raise IdentifierError(
            f"{what}: reference {ref!r} does not fit company prefix {cp!r} "
            f"({len(cp)} digits + {len(ref)} must be {total})"
        )


def _free_company(cp: str, ref: str, max_len: int, what: str, charset: frozenset[str]) -> str:
    if not _ASCII_DIGITS.fullmatch(cp) or not 6 <= len(cp) <= 12:
        raise IdentifierError(f"{what}: company prefix {cp!r} must be 6 to 12 digits")
    return cp + _text(ref, f"{what} reference", max_len - len(cp), charset)


def _gtin(cp: str, ir: str, what: str) -> str:
    _company(cp, ir, 13, what)
    return _with_check(ir[:1] + cp + ir[1:])


def _gs1_12(cp: str, ref: str, what: str) -> str:
    _company(cp, ref, 12, what)
    return _with_check(cp + ref)


# A builder gets the decoded components and None instead of the last one for an ID pattern
# ending in ".*" (EPC ID pattern URIs name the class of a key without its serial part).
_Builder = Callable[[list[str], str | None], str]


def _sgtin(p: list[str], serial: str | None) -> str:
    gtin = _gtin(p[0], p[1], "sgtin")
    return f"/01/{gtin}" if serial is None else f"/01/{gtin}/21/{_enc(serial, 'serial', 20)}"


def _lgtin(p: list[str], lot: str | None) -> str:
    return f"/01/{_gtin(p[0], p[1], 'lgtin')}/10/{_enc(lot or '', 'lot', 20)}"


def _sscc(p: list[str], _: str | None) -> str:
    _company(p[0], p[1], 17, "sscc")
    return f"/00/{_with_check(p[1][:1] + p[0] + p[1][1:])}"


def _sgln(p: list[str], ext: str | None) -> str:
    gln = _gs1_12(p[0], p[1], "sgln")
    if ext is None or ext == "0":
        return f"/414/{gln}"
    return f"/414/{gln}/254/{_enc(ext, 'GLN extension', 20)}"


def _pgln(p: list[str], _: str | None) -> str:
    return f"/417/{_gs1_12(p[0], p[1], 'pgln')}"


def _grai(p: list[str], serial: str | None) -> str:
    grai = "0" + _gs1_12(p[0], p[1], "grai")
    return f"/8003/{grai}" if serial is None else f"/8003/{grai}{_enc(serial, 'serial', 16)}"


def _giai(p: list[str], _: str | None) -> str:
    return f"/8004/{_encode(_free_company(p[0], p[1], 30, 'giai', _CSET82))}"


def _gsrn(ai: str, scheme: str) -> _Builder:
    def build(p: list[str], _: str | None) -> str:
        _company(p[0], p[1], 17, scheme)
        return f"/{ai}/{_with_check(p[0] + p[1])}"

    return build


def _gdti(p: list[str], serial: str | None) -> str:
    gdti = _gs1_12(p[0], p[1], "gdti")
    return f"/253/{gdti}" if serial is None else f"/253/{gdti}{_enc(serial, 'serial', 17)}"


def _sgcn(p: list[str], serial: str | None) -> str:
    gcn = _gs1_12(p[0], p[1], "sgcn")
    return f"/255/{gcn}" if serial is None else f"/255/{gcn}{_digits_up_to(serial, 12)}"


def _cpi(p: list[str], serial: str | None) -> str:
    cpid = _encode(_free_company(p[0], p[1], 30, "cpi", _CSET39))
    return f"/8010/{cpid}" if serial is None else f"/8010/{cpid}/8011/{_digits_up_to(serial, 12)}"


def _ginc(p: list[str], _: str | None) -> str:
    return f"/401/{_encode(_free_company(p[0], p[1], 30, 'ginc', _CSET82))}"


def _gsin(p: list[str], _: str | None) -> str:
    _company(p[0], p[1], 16, "gsin")
    return f"/402/{_with_check(p[0] + p[1])}"


def _itip(p: list[str], serial: str | None) -> str:
    gtin = _gtin(p[0], p[1], "itip")
    piece_total = _digits(p[2], "itip piece", (2,)) + _digits(p[3], "itip total", (2,))
    key = f"/8006/{gtin}{piece_total}"
    return key if serial is None else f"{key}/21/{_enc(serial, 'serial', 20)}"


def _upui(p: list[str], tpx: str | None) -> str:
    gtin = _gtin(p[0], p[1], "upui")
    return f"/01/{gtin}" if tpx is None else f"/01/{gtin}/235/{_enc(tpx, 'TPX', 28)}"


def _enc(value: str, what: str, max_len: int) -> str:
    return _encode(_text(value, what, max_len))


def _digits_up_to(value: str, max_len: int) -> str:
    if not _ASCII_DIGITS.fullmatch(value) or len(value) > max_len:
        raise IdentifierError(f"serial {value!r} must be 1 to {max_len} digits")
    return value


# scheme -> (number of '.'-separated components, builder, may end in '.*' as an ID pattern)
_ID_SCHEMES: dict[str, tuple[int, _Builder, bool]] = {
    "sgtin": (3, _sgtin, True),
    "sscc": (2, _sscc, False),
    "sgln": (3, _sgln, False),
    "pgln": (2, _pgln, False),
    "grai": (3, _grai, True),
    "giai": (2, _giai, False),
    "gsrn": (2, _gsrn("8018", "gsrn"), False),
    "gsrnp": (2, _gsrn("8017", "gsrnp"), False),
    "gdti": (3, _gdti, True),
    "sgcn": (3, _sgcn, True),
    "cpi": (3, _cpi, True),
    "ginc": (2, _ginc, False),
    "gsin": (2, _gsin, False),
    "itip": (5, _itip, True),
    "upui": (3, _upui, True),
}
_CLASS_SCHEMES: dict[str, tuple[int, _Builder, bool]] = {"lgtin": (3, _lgtin, False)}


def _from_epc_urn(uri: str, kind: str, scheme: str, body: str) -> str:
    table = _CLASS_SCHEMES if kind == "class" else _ID_SCHEMES
    spec = table.get(scheme)
    if spec is None:
        return uri  # an EPC scheme that is no GS1 key (gid, usdod, adi, bic, imovn ...)
    count, build, has_pattern = spec
    raw = body.split(".", count - 1)  # the last part (a serial) may itself contain dots
    where = f"EPC URN {uri!r}"
    if len(raw) != count:
        raise IdentifierError(f"{where} must have {count} '.'-separated parts, has {len(raw)}")
    if kind == "idpat":
        if "*" in raw[:-1]:
            return uri  # a wider pattern (e.g. CP.*.*) is a range, not one key
        if raw[-1] != "*" or not has_pattern:
            raise IdentifierError(f"{where}: an ID pattern must end in '.*' for {scheme}")
    parts = [_decode(part, _URN_RAW, where) for part in raw]
    last = None if kind == "idpat" else parts[-1]
    try:
        return DIGITAL_LINK_BASE + build(parts, last)
    except IdentifierError as exc:
        raise IdentifierError(f"{where}: {exc}") from None


# ---------------------------------------------------------------- GS1 Digital Link URIs

_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417",
    "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253",
    "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004", "cpv": "22",
    "lot": "10", "ser": "21", "glnx": "254", "cpsn": "8011", "srin": "8019", "tpx": "235",
}  # fmt: skip
# primary key AI -> the key qualifiers the Digital Link grammar allows after it
_QUALIFIERS: dict[str, frozenset[str]] = {
    "01": frozenset({"22", "10", "21", "235"}),
    "8006": frozenset({"22", "10", "21"}),
    "414": frozenset({"254"}),
    "8010": frozenset({"8011"}),
    "8017": frozenset({"8019"}),
    "8018": frozenset({"8019"}),
    **{ai: frozenset() for ai in ("00", "417", "8003", "8004", "253", "255", "401", "402")},
}


def _key_value(ai: str, value: str) -> str:
    """Validate a primary key value; return it in canonical (encoded) form."""
    what = f"AI ({ai})"
    if ai == "01":
        return _verify(_digits(value, "GTIN", (8, 12, 13, 14)).zfill(14), "GTIN")
    if ai in ("00", "8017", "8018"):
        return _verify(_digits(value, what, (18,)), what)
    if ai in ("414", "417"):
        return _verify(_digits(value, "GLN", (13,)), "GLN")
    if ai == "402":
        return _verify(_digits(value, "GSIN", (17,)), "GSIN")
    if ai == "8006":
        digits = _digits(value, "ITIP", (18,))
        return _verify(digits[:14], "ITIP GTIN") + digits[14:]
    if ai in ("8003", "253", "255"):
        size = 14 if ai == "8003" else 13
        head = _verify(_digits(value[:size], what, (size,)), what)
        tail = value[len(head) :]
        if ai == "255":
            return head + (_digits_up_to(tail, 12) if tail else "")
        return head + (_enc(tail, f"{what} serial", 16 if ai == "8003" else 17) if tail else "")
    if ai == "8010":
        return _encode(_text(value, "CPID", 30, _CSET39))
    return _enc(value, what, 30)  # 8004 GIAI, 401 GINC


def _qualifier_value(ai: str, value: str) -> str:
    if ai in ("8011", "8019"):
        return _digits_up_to(value, 12 if ai == "8011" else 10)
    return _enc(value, f"AI ({ai})", 28 if ai == "235" else 20)


def _from_digital_link(uri: str) -> str:
    try:
        path = urlsplit(uri).path
    except ValueError:
        return uri  # not even a URI (bad IPv6 literal ...): nothing GS1 about it
    segments = path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    ais = [_SHORT_NAMES.get(s, s) for s in segments]
    for start, ai in enumerate(ais):
        allowed = _QUALIFIERS.get(ai)
        rest = ais[start + 2 :: 2]
        if allowed is None or (len(ais) - start) % 2 or not set(rest) <= allowed:
            continue
        if len(set(rest)) != len(rest):
            raise IdentifierError(f"Digital Link {uri!r} repeats a key qualifier")
        where = f"Digital Link {uri!r}"
        values = [_decode(v, _PCHAR, where) for v in segments[start + 1 :: 2]]
        qualifiers = dict(zip(rest, values[1:], strict=True))
        try:
            return DIGITAL_LINK_BASE + _canonical(ai, values[0], qualifiers)
        except IdentifierError as exc:
            raise IdentifierError(f"Digital Link {uri!r}: {exc}") from None
    return uri


def _canonical(ai: str, value: str, qualifiers: dict[str, str]) -> str:
    out = f"/{ai}/{_key_value(ai, value)}"
    for qualifier in ("254", "8011"):
        if qualifier in qualifiers:
            out += f"/{qualifier}/{_qualifier_value(qualifier, qualifiers[qualifier])}"
    # only the most specific level identifies the object: a serial wins over a lot
    for qualifier in ("21", "10", "235"):
        if qualifier in qualifiers:
            return f"{out}/{qualifier}/{_qualifier_value(qualifier, qualifiers[qualifier])}"
    return out
