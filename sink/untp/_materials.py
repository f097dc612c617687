"""The element ledger of a passport as UNTP materials: who supplied which kilogram.

A passport (the trace JSON of ``oretrail trace --json``) gives per element its mass, the
pre-/post-consumer recycled shares of that mass, and the country shares of the primary
(non-recycled) rest. That partitions the element mass exactly::

    primary kg from country c = mass * (1 - pre - post) * origin[c]
    recycled kg               = mass * pre  (pre-consumer),  mass * post  (post-consumer)

Each part becomes one UNTP ``Material`` (massFraction = part / lot mass, recycledMassFraction
0 or 1), so mass fractions add up to each element's share of the lot; what no element
accounts for (oxygen, water, sulphate...) is one "other material" entry, so the fractions of
a passport add up to 1 as UNTP asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sink.untp._common import number

ELEMENT_NAMES: Mapping[str, str] = {
    "Li": "Lithium",
    "Co": "Cobalt",
    "Ni": "Nickel",
    "Mn": "Manganese",
    "C": "Graphite",
    "Cu": "Copper",
    "Pb": "Lead",
    "Al": "Aluminium",
    "Fe": "Iron",
    "P": "Phosphorus",
}
#: the ledger's canonical element order (streams.model.ELEMENTS), then others by symbol
_ORDER = ("Li", "Co", "Ni", "Mn", "C", "Cu")

CRMA_ID = "https://eur-lex.europa.eu/eli/reg/2024/1252/oj"
#: elements on the EU Critical Raw Materials Act list (Regulation (EU) 2024/1252, Annex II):
#: the battery metals, bauxite/aluminium, phosphorus, silicon, titanium, the PGMs, the rare
#: earths and the minor metals. The ledger's C is battery graphite, listed as natural graphite.
CRITICAL_RAW_MATERIALS = frozenset(
    {
        "Li", "Co", "Ni", "Mn", "C", "Cu", "Al", "Sb", "As", "Be", "Bi", "B", "Ga", "Ge",
        "Hf", "He", "Mg", "Nb", "P", "Sc", "Si", "Sr", "Ta", "Ti", "W", "V",
        "Pt", "Pd", "Rh", "Ru", "Ir", "Os",
        "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y",
    }
)  # fmt: skip

CRITICAL_RAW_MATERIAL = {
    "type": ["Classification"],
    "id": f"{CRMA_ID}#anx_II",
    "code": "critical-raw-material",
    "name": "Critical raw material (EU Critical Raw Materials Act, Annex II)",
    "schemeID": CRMA_ID,
    "schemeName": "Regulation (EU) 2024/1252 (Critical Raw Materials Act)",
}

UNKNOWN_ORIGIN = "unknown"
_COUNTRY = re.compile(r"[A-Z]{2}")
#: parts smaller than this share of the lot are float noise, not material
_NOISE = 1e-12

PartKind = Literal["primary", "pre_consumer", "post_consumer"]


class PassportError(ValueError):
    """A passport that does not have the trace shape the builders read."""


@dataclass(frozen=True)
class MaterialPart:
    element: str
    kind: PartKind
    country: str | None  # ISO 3166-1 alpha-2 of primary material; None: unknown / recycled
    kg: float


def element_name(symbol: str) -> str:
    return ELEMENT_NAMES.get(symbol, symbol)


def element_order(symbol: str) -> tuple[int, str]:
    return (_ORDER.index(symbol) if symbol in _ORDER else len(_ORDER), symbol)


def real(node: Mapping[str, Any], key: str, where: str) -> float:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PassportError(f"{where}.{key} must be a number, got {value!r}")
    return float(value)


def obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PassportError(f"{where} must be a JSON object, got {type(value).__name__}")
    return value


def elements(passport: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The passport's elements in the ledger's order."""
    found = obj(passport.get("elements", {}), "passport.elements")
    return [(e, obj(found[e], f"passport.elements.{e}")) for e in sorted(found, key=element_order)]


def material_parts(passport: Mapping[str, Any]) -> list[MaterialPart]:
    """Every element's mass split into primary-by-country and recycled pre/post parts."""
    parts: list[MaterialPart] = []
    for element, led in elements(passport):
        where = f"passport.elements.{element}"
        mass = real(led, "massKg", where)
        shares = obj(led.get("recycledShare", {}), f"{where}.recycledShare")
        pre = real(shares, "preConsumer", f"{where}.recycledShare") if shares else 0.0
        post = real(shares, "postConsumer", f"{where}.recycledShare") if shares else 0.0
        primary = max(0.0, mass * (1.0 - pre - post))
        origin = obj(led.get("primaryOrigin", {}), f"{where}.primaryOrigin")
        if not origin:
            # primary mass nobody declared a country for is of unknown origin
            origin = {UNKNOWN_ORIGIN: 1.0}
        for country in sorted(origin):
            kg = primary * real(origin, country, f"{where}.primaryOrigin")
            code = country if _COUNTRY.fullmatch(country) else None
            parts.append(MaterialPart(element, "primary", code, kg))
        parts.append(MaterialPart(element, "pre_consumer", None, mass * pre))
        parts.append(MaterialPart(element, "post_consumer", None, mass * post))
    return [p for p in parts if p.kg > 0]


def _part_name(part: MaterialPart) -> str:
    name = f"{element_name(part.element)} ({part.element})"
    if part.kind == "primary":
        return f"{name}, primary, origin {part.country or 'unknown'}"
    return f"{name}, recycled {part.kind.replace('_', '-')}"


def materials_provenance(passport: Mapping[str, Any]) -> list[dict[str, Any]]:
    """UNTP ``materialsProvenance`` entries of a passport (see the module docstring)."""
    lot_kg = real(passport, "massKg", "passport")
    out: list[dict[str, Any]] = []
    accounted = 0.0
    for part in material_parts(passport):
        if lot_kg > 0 and part.kg <= _NOISE * lot_kg:
            continue
        entry: dict[str, Any] = {"name": _part_name(part)}
        if part.country:
            entry["originCountry"] = part.country
        if part.element in CRITICAL_RAW_MATERIALS:
            entry["materialType"] = dict(CRITICAL_RAW_MATERIAL)
        if lot_kg > 0:
            entry["massFraction"] = number(part.kg / lot_kg)
        entry["mass"] = {"value": number(part.kg), "unit": "KGM"}
        entry["recycledMassFraction"] = 0.0 if part.kind == "primary" else 1.0
        entry["hazardous"] = False
        out.append(entry)
        accounted += part.kg
    rest = lot_kg - accounted
    if lot_kg > 0 and rest > _NOISE * lot_kg * max(1, len(out)):
        out.append(
            {
                "name": "Other material (not traced by element)",
                "massFraction": number(rest / lot_kg),
                "mass": {"value": number(rest), "unit": "KGM"},
                "hazardous": False,
            }
        )
    return out


def recycled_content(passport: Mapping[str, Any]) -> float | None:
    """Recycled share (pre- + post-consumer) of the traced element mass; None without any.

    The basis is the element mass the ledger traces, not the whole lot: the ledger knows
    nothing about the recycled share of the rest (oxygen, sulphate, water)."""
    total = recycled = 0.0
    for part in material_parts(passport):
        total += part.kg
        if part.kind != "primary":
            recycled += part.kg
    return number(recycled / total) if total > 0 else None
