"""Numbers as ERP exports write them, and units of measure as UN/CEFACT Rec 20 codes.

Quantities are kept as :class:`~decimal.Decimal` until the event is built, so ``2.5 t``
becomes exactly ``2500 KGM`` and not ``2499.9999999999995``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Rec 20 code -> (dimension, size in the dimension's base unit: kg, litre, piece)
CODES: dict[str, tuple[str, Decimal]] = {
    "KGM": ("mass", Decimal(1)),
    "TNE": ("mass", Decimal(1000)),
    "GRM": ("mass", Decimal("0.001")),
    "MGM": ("mass", Decimal("0.000001")),
    "DTN": ("mass", Decimal(100)),
    "LBR": ("mass", Decimal("0.45359237")),
    "ONZ": ("mass", Decimal("0.028349523125")),
    "STN": ("mass", Decimal("907.18474")),
    "LTN": ("mass", Decimal("1016.0469088")),
    "LTR": ("volume", Decimal(1)),
    "MLT": ("volume", Decimal("0.001")),
    "MTQ": ("volume", Decimal(1000)),
    "H87": ("count", Decimal(1)),
    "EA": ("count", Decimal(1)),
}

# What ERP exports write, lower-cased. Ambiguous spellings ("st": short ton or SAP's
# "Stück"?) are left out on purpose: a mapping file declares them under units.aliases.
ALIASES: dict[str, str] = {
    "kg": "KGM", "kgs": "KGM", "kilogram": "KGM", "kilograms": "KGM",
    "t": "TNE", "to": "TNE", "mt": "TNE", "tonne": "TNE", "tonnes": "TNE", "metric ton": "TNE",
    "g": "GRM", "gram": "GRM", "grams": "GRM",
    "mg": "MGM",
    "dt": "DTN", "dz": "DTN",
    "lb": "LBR", "lbs": "LBR", "pound": "LBR", "pounds": "LBR",
    "oz": "ONZ",
    "short ton": "STN", "long ton": "LTN",
    "l": "LTR", "litre": "LTR", "liter": "LTR",
    "ml": "MLT",
    "m3": "MTQ", "cbm": "MTQ",
    "pc": "H87", "pcs": "H87", "piece": "H87", "pieces": "H87",
    "ea": "EA", "each": "EA",
}  # fmt: skip


class UnitError(ValueError):
    pass


def unit_code(text: str, aliases: dict[str, str] | None = None) -> str:
    """The Rec 20 code of a unit as written (a code itself, a common spelling, an alias)."""
    key = text.strip()
    if aliases:
        for alias, code in aliases.items():
            if alias.lower() == key.lower():
                return code
    if key.upper() in CODES:
        return key.upper()
    found = ALIASES.get(key.lower())
    if found is None:
        raise UnitError(f"unknown unit {text!r} (declare it under units.aliases)")
    return found


@dataclass(frozen=True)
class Quantity:
    amount: Decimal
    uom: str


def convert(amount: Decimal, code: str, targets: dict[str, str]) -> Quantity:
    """``amount`` of ``code`` in the unit ``targets`` names for its dimension, if any."""
    if code not in CODES:
        return Quantity(amount, code)  # a Rec 20 code we cannot convert is passed through
    dimension, size = CODES[code]
    target = targets.get(dimension)
    if target is None or target == code:
        return Quantity(amount, code)
    target_dimension, target_size = CODES[target]
    if target_dimension != dimension:
        raise UnitError(f"cannot convert {code} ({dimension}) to {target} ({target_dimension})")
    return Quantity((amount * size / target_size).normalize(), target)


def number_pattern(decimal: str, thousands: str | None) -> re.Pattern[str]:
    d = re.escape(decimal)
    whole = r"\d+"
    if thousands is not None:
        whole = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    # a sign in front, or SAP's trailing minus ("12,5-")
    return re.compile(rf"^([+-]?)((?:{whole})(?:{d}\d*)?|{d}\d+)(-?)$")


def parse_number(value: Any, decimal: str = ".", thousands: str | None = None) -> Decimal:
    """A decimal number from an export cell (``"1.234,5"``, ``"12,5-"``) or a JSON number."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a finite number")
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a number")
    text = value.strip().replace("\u00a0", " ")
    if thousands == " ":
        text = text.replace("\u202f", " ")
    match = number_pattern(decimal, thousands).match(text)
    if match is None:
        raise ValueError(
            f"{value!r} is not a number (decimal {decimal!r}, thousands {thousands!r})"
        )
    lead, body, trail = match.groups()
    if lead and trail:
        raise ValueError(f"{value!r} has two signs")
    if thousands is not None:
        body = body.replace(thousands, "")
    body = body.replace(decimal, ".")
    try:
        number = Decimal(body.rstrip(".") or "0")
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"{value!r} is not a number") from exc
    return -number if "-" in (lead, trail) else number
