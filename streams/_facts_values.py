"""Values of the ``ot:`` vocabulary as either EPCIS binding writes them, and masses in kg.

The JSON-LD binding gives numbers and lists; the XML reader (connectors.epcis._xml_extensions)
gives the text of an element as a string (``"0.30"``), a repeated element as a list but a
single one as an object, and an element with attributes as ``{"@attr": ..., "#text": ...}``.
JSON-LD may also write a value object ``{"@value": ...}``. Keys are compact ``prefix:local``
names whose prefix is the document's own, so they are compared as full IRIs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from oretrail.epcis import BUILTIN_NAMESPACES

OT = "https://oretrail.dev/ns/epcis/"
CBVMDA = BUILTIN_NAMESPACES["cbvmda"]
_SEPARATORS = "/#:"


def term(namespace: str, local: str) -> str:
    """A member's name, independent of how its namespace IRI ends: EPCIS XML documents bind
    ``urn:epcglobal:cbv:mda`` where the JSON-LD context has ``urn:epcglobal:cbv:mda:``."""
    return f"{namespace.rstrip(_SEPARATORS)} {local}"


#: prefixes of the member names of the ot: and cbvmda: vocabularies: ``OT_ + "elementContent"``
OT_ = term(OT, "")
CBVMDA_ = term(CBVMDA, "")

# A decimal number as XML Schema writes one; Python's float() would also take "nan",
# "infinity" and "1_000", none of which is a quantity.
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")

#: UN/CEFACT Recommendation 20 codes of units of mass -> kg per unit
KG_PER_UNIT: Mapping[str, float] = {
    "KGM": 1.0,
    "GRM": 1e-3,
    "MGM": 1e-6,
    "MC": 1e-9,  # microgram
    "DJ": 1e-2,  # decagram
    "HGM": 1e-1,  # hectogram
    "DTN": 1e2,  # decitonne
    "TNE": 1e3,
    "KTN": 1e6,
    "LBR": 0.45359237,
    "ONZ": 0.028349523125,
    "APZ": 0.0311034768,  # troy ounce
    "STN": 907.18474,  # short ton (US)
    "LTN": 1016.0469088,  # long ton (UK)
}
#: no uom, or one of these: the quantity counts items (EPCIS: "a count of instances")
COUNT_UNITS = frozenset((None, "EA", "H87", "C62"))


class FactsError(ValueError):
    """A value that cannot be read as the fact it should state (a mass, a fraction...)."""


def to_kg(quantity: float, uom: str | None) -> float:
    """``quantity`` in ``uom`` as kilograms; FactsError for a count or a unit that is no mass."""
    if uom in COUNT_UNITS:
        raise FactsError(
            f"quantity {fmt(quantity)} {uom or '(no uom)'} is a count of items, not a mass"
        )
    factor = KG_PER_UNIT.get(uom or "")
    if factor is None:
        raise FactsError(f"uom {uom!r} is not a unit of mass")
    if isinstance(quantity, bool) or not math.isfinite(quantity) or quantity < 0:
        raise FactsError(f"quantity {quantity!r} is not a mass (a finite number >= 0)")
    return float(quantity) * factor


class Names:
    """Full IRIs of the keys of one event, from the prefixes its document declares."""

    def __init__(self, context: Any) -> None:
        self.prefixes: dict[str, str] = {**BUILTIN_NAMESPACES, "ot": OT}
        for entry in _context_entries(context):
            for prefix, target in entry.items():
                iri = target.get("@id") if isinstance(target, Mapping) else target
                if isinstance(prefix, str) and isinstance(iri, str):
                    self.prefixes[prefix] = iri

    def expand(self, key: str) -> str:
        """The name of a ``prefix:local`` or absolute-IRI key (see ``term``)."""
        prefix, sep, local = key.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return term(self.prefixes[prefix], local)
        cut = max(key.rfind(c) for c in _SEPARATORS)
        return term(key[:cut], key[cut + 1 :]) if cut > 0 else key

    def members(self, value: Mapping[str, Any]) -> dict[str, Any]:
        """The members of an object by name (``term``); XML attributes and JSON-LD keywords are not
        members. A key that two prefixes spell differently keeps its first spelling's value."""
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and not key.startswith(("@", "#")):
                out.setdefault(self.expand(key), item)
        return out


def _context_entries(context: Any) -> list[Mapping[Any, Any]]:
    if isinstance(context, str):
        try:
            context = json.loads(context)
        except ValueError:
            return []
    if isinstance(context, Mapping):
        context = [context]
    if not isinstance(context, list):
        return []
    return [entry for entry in context if isinstance(entry, Mapping)]


def unwrap(value: Any) -> Any:
    """The plain value of an XML element with attributes or of a JSON-LD value object."""
    while isinstance(value, Mapping):
        if "#text" in value:
            value = value["#text"]
        elif "@value" in value:
            value = value["@value"]
        else:
            break
    return value


def items(value: Any) -> list[Any]:
    """A JSON array, or what XML gives for it: one object when the element was not repeated."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def single(value: Any, name: str) -> Any:
    """The one value of a member declared once (XML repeats an element to make a list)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise FactsError(f"{name} is given {len(value)} times; it is a single value")
        return value[0]
    return value


def number(value: Any, name: str) -> float:
    plain = unwrap(single(value, name))
    if isinstance(plain, int | float) and not isinstance(plain, bool):
        result = _float(plain)
    elif isinstance(plain, str) and _DECIMAL.match(plain.strip()):
        result = float(plain.strip())
    else:
        raise FactsError(f"{name} {_shown(plain)} is not a number")
    if not math.isfinite(result):
        raise FactsError(f"{name} {_shown(plain)} is not a finite number")
    return result


def _float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the range of a double
        return math.inf


def fmt(value: float) -> str:
    """A number as a message shows it: short, yet exact enough to see why it is wrong."""
    return f"{value:.12g}"


def fraction(value: Any, name: str) -> float:
    result = number(value, name)
    if not 0.0 <= result <= 1.0:
        raise FactsError(f"{name} {fmt(result)} is not a fraction between 0 and 1")
    return result


def non_negative(value: Any, name: str) -> float:
    result = number(value, name)
    if result < 0:
        raise FactsError(f"{name} {fmt(result)} is negative")
    return result


def text(value: Any, name: str) -> str:
    plain = unwrap(single(value, name))
    if not isinstance(plain, str) or not plain.strip():
        raise FactsError(f"{name} {_shown(plain)} is not a text value")
    return plain.strip()


def obj(value: Any, name: str, names: Names) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise FactsError(f"{name} {_shown(value)} is not an object")
    return names.members(value)


def _shown(value: Any) -> str:
    # Numbers show as numbers whichever binding wrote them, so a message names the value
    # the same way for the same event in JSON and in XML.
    if isinstance(value, float):
        return fmt(value)
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
