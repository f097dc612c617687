"""GS1 keys an ERP knows under other names: verified check digits, keys built from a company
prefix, and the GS1 Digital Link URIs the events carry (``https://id.gs1.org/01/…/10/…``).

Pure functions; every failure is a ``ValueError`` whose message says what is wrong with the
value, so the caller can name the column it came from.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from oretrail.identifiers import DIGITAL_LINK_BASE, gs1_check_digit, to_digital_link

DIGITAL_LINK = DIGITAL_LINK_BASE
_DIGITS = re.compile(r"^[0-9]+$")
# GS1 AI encodable character set 82 (GS1 General Specifications §7.11, figure 7.11-1)
_CSET82 = re.compile(r"""^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$""")
_GTIN_LENGTHS = (8, 12, 13, 14)


def _checked(key: str, what: str, lengths: tuple[int, ...]) -> str:
    key = key.strip()
    if not _DIGITS.match(key) or len(key) not in lengths:
        sizes = "/".join(str(n) for n in lengths)
        raise ValueError(f"{what} {key!r} is not {sizes} digits")
    expected = gs1_check_digit(key[:-1])
    if key[-1] != expected:
        raise ValueError(f"{what} {key!r} has a bad check digit (expected {expected})")
    return key


def gtin14(key: str) -> str:
    """A GTIN-8/12/13/14 with a verified check digit, as the 14 digits Digital Link uses."""
    return _checked(key, "GTIN", _GTIN_LENGTHS).rjust(14, "0")


def gln(key: str) -> str:
    """A 13-digit GLN with a verified check digit."""
    return _checked(key, "GLN", (13,))


def from_prefix(company_prefix: str, reference: str, *, what: str) -> str:
    """The 13-digit key (GTIN-13 or GLN) of ``reference`` under a GS1 Company Prefix."""
    reference = reference.strip()
    if not _DIGITS.match(reference):
        raise ValueError(f"{what} reference {reference!r} is not all digits")
    room = 12 - len(company_prefix)
    if len(reference) > room:
        raise ValueError(
            f"{what} reference {reference!r} is longer than the {room} digits company prefix "
            f"{company_prefix} leaves"
        )
    body = company_prefix + reference.rjust(room, "0")
    return body + gs1_check_digit(body)


def company_prefix(value: str) -> str:
    if not _DIGITS.match(value) or not 4 <= len(value) <= 12:
        raise ValueError(f"GS1 company prefix {value!r} is not 4 to 12 digits")
    return value


def _segment(value: str, what: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > max_length:
        raise ValueError(f"{what} {value!r} is longer than {max_length} characters")
    if not _CSET82.match(value):
        raise ValueError(f"{what} {value!r} has characters outside the GS1 character set 82")
    return quote(value, safe="")


def lgtin_uri(gtin: str, lot: str) -> str:
    """Digital Link of a batch/lot of a trade item (AI 01 + AI 10)."""
    # canonical percent-encoding, as the TraceEvent record will hold it
    return to_digital_link(f"{DIGITAL_LINK}/01/{gtin14(gtin)}/10/{_segment(lot, 'lot', 20)}")


def gtin_uri(gtin: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin14(gtin)}"


def sgln_uri(key: str, extension: str | None = None) -> str:
    """Digital Link of a physical location (AI 414, with its AI 254 extension if any)."""
    base = f"{DIGITAL_LINK}/414/{gln(key)}"
    if extension is None or not extension.strip():
        return base
    return to_digital_link(f"{base}/254/{_segment(extension, 'GLN extension', 20)}")


def pgln_uri(key: str) -> str:
    """Digital Link of a party (AI 417)."""
    return f"{DIGITAL_LINK}/417/{gln(key)}"
