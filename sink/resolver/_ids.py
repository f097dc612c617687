"""Which product a resolver path or a command-line ID names: its canonical GS1 Digital Link.

The sink keys passports by the canonical Digital Link the events carry
(``https://id.gs1.org/01/<gtin14>/10/<lot>`` or ``/21/<serial>``); the link printed on the
product is the same path under the resolver's base URL. Canonicalisation (check digit,
GTIN-8/12/13 padded to 14 digits, percent-encoding of the lot or serial) is
``oretrail.identifiers``'; this module only decides which inputs name a lot or an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from oretrail.identifiers import DIGITAL_LINK_BASE, IdentifierError, to_digital_link

# the qualifiers that make a GTIN a lot ("batch" passports) or one item ("item" passports)
_GRANULAR = ("10", "21")


class ProductIdError(ValueError):
    """Text that does not name a lot or a serialised item of a GTIN (the reason says why)."""


class MalformedIdError(ProductIdError):
    """A GS1 identifier that is invalid in itself: wrong check digit or length, characters
    outside the GS1 set (a resolver answers 400, not 404)."""


@dataclass(frozen=True)
class ProductRef:
    """A lot or item: ``product_id`` is the canonical Digital Link, ``path`` its path part
    (``/01/<gtin14>/10/<lot>``), the same under the resolver's base URL."""

    product_id: str
    path: str

    def link(self, base_url: str) -> str:
        """The link printed on the product: the path under the resolver's base URL."""
        return base_url.rstrip("/") + self.path


def _granular(canonical: str, given: str) -> ProductRef:
    if not canonical.startswith(DIGITAL_LINK_BASE + "/01/"):
        raise ProductIdError(f"{given!r} is not a GS1 Digital Link of a GTIN")
    path = canonical[len(DIGITAL_LINK_BASE) :]
    segments = path.split("/")
    # ['', '01', gtin, '10'|'21', value]
    if len(segments) != 5 or segments[3] not in _GRANULAR:
        raise ProductIdError(
            f"{given!r} names a GTIN without a lot (10) or serial (21): passports are kept "
            "per lot or per item"
        )
    return ProductRef(canonical, path)


def from_path(raw_path: str) -> ProductRef:
    """The product a resolver request path names, from the raw (still percent-encoded) path
    so that an escaped ``/`` in a lot stays part of the lot.

    ProductIdError when the path is no GS1 Digital Link path of a lot or item, or when the
    identifier in it is invalid (wrong check digit, wrong length, characters outside the GS1
    set).
    """
    if len(raw_path) > 1 and raw_path.endswith("/"):
        raw_path = raw_path[:-1]
    segments = raw_path.split("/")[1:]
    if len(segments) % 2:
        raise ProductIdError(f"{raw_path!r} has an application identifier without a value")
    try:
        canonical = to_digital_link(DIGITAL_LINK_BASE + raw_path)
    except IdentifierError as exc:
        raise MalformedIdError(str(exc)) from None
    return _granular(canonical, raw_path)


def from_text(text: str, *, lot: str | None = None, serial: str | None = None) -> ProductRef:
    """The product a user names: a Digital Link URI on any host, an EPC URN (``sgtin``,
    ``lgtin``), or a bare GTIN together with ``lot`` or ``serial``."""
    text = text.strip()
    if lot is not None and serial is not None:
        raise ProductIdError("give a lot or a serial, not both")
    if lot is not None or serial is not None:
        if not text.isascii() or not text.isdigit():
            raise ProductIdError(f"with a lot or serial the ID must be a bare GTIN, got {text!r}")
        ai, value = ("10", lot) if lot is not None else ("21", serial or "")
        return from_path(f"/01/{text}/{ai}/{_escape(value)}")
    if text.startswith("/"):
        return from_path(text)
    scheme = urlsplit(text).scheme.lower()
    if scheme not in ("http", "https", "urn"):
        raise ProductIdError(
            f"{text!r} is neither a GS1 Digital Link URI nor an EPC URN; a bare GTIN needs "
            "--lot or --serial"
        )
    try:
        canonical = to_digital_link(text)
    except IdentifierError as exc:
        raise MalformedIdError(str(exc)) from None
    return _granular(canonical, text)


def _escape(value: str) -> str:
    # a user types the lot as printed: escape everything a path segment cannot carry as is
    return quote(value, safe="-._~!$&'()*+,;=:@")
