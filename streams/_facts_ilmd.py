"""The ``ot:`` composition vocabulary: what an ILMD declares about its lots, and the members a
TransformationEvent carries (chain of custody, process emissions).

Every reader appends what it cannot accept to ``problems`` and leaves that member out, so one
bad value never hides the rest. A value out of its range (a fraction above 1) is left out; a
set of valid values that disagrees as a whole (mass fractions summing above 1) is kept and
reported, since no single member of it is the wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from streams._facts_values import (
    CBVMDA_,
    OT_,
    FactsError,
    Names,
    fmt,
    fraction,
    items,
    non_negative,
    number,
    obj,
    single,
    text,
    to_kg,
    unwrap,
)
from streams.model import DEFAULT_CHAIN_OF_CUSTODY, ELEMENTS, ChainOfCustody, RecycledShare

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SYMBOL = re.compile(r"^[A-Z][a-z]{0,2}$")
# float sums of fractions written with a few decimals may land a hair above 1
_EPSILON = 1e-9
CHAINS: tuple[ChainOfCustody, ...] = get_args(ChainOfCustody)


@dataclass
class Declared:
    """What one ILMD says about every lot it applies to."""

    element_content: dict[str, float] = field(default_factory=dict)
    recycled: dict[str, RecycledShare] = field(default_factory=dict)
    country_of_origin: str | None = None
    carbon_kg_per_kg: float | None = None
    carbon_stage: str | None = None
    #: cbvmda:netWeight: the mass of each instance (an EPC, or one of a counted quantity)
    net_weight_kg: float | None = None


def read_ilmd(ilmd: Mapping[str, Any], names: Names, problems: list[str]) -> Declared:
    members = names.members(ilmd)
    declared = Declared()
    if (value := members.get(OT_ + "elementContent")) is not None:
        declared.element_content = _element_content(value, names, problems)
    if (value := members.get(OT_ + "recycledShare")) is not None:
        declared.recycled = _recycled(value, names, problems)
    if (value := members.get(CBVMDA_ + "countryOfOrigin")) is not None:
        declared.country_of_origin = _guard(problems, _country, value)
    if (value := members.get(OT_ + "carbonFootprint")) is not None:
        footprint = _guard(problems, _carbon, value, names)
        if footprint is not None:
            declared.carbon_kg_per_kg, declared.carbon_stage = footprint
    if (value := members.get(CBVMDA_ + "netWeight")) is not None:
        declared.net_weight_kg = _guard(problems, _net_weight, value)
    return declared


def chain_of_custody(extensions: Mapping[str, Any], problems: list[str]) -> ChainOfCustody:
    value = extensions.get(OT_ + "chainOfCustody")
    if value is None:
        return DEFAULT_CHAIN_OF_CUSTODY
    try:
        word = text(value, "ot:chainOfCustody")
    except FactsError as exc:
        problems.append(f"{exc}; {DEFAULT_CHAIN_OF_CUSTODY} assumed")
        return DEFAULT_CHAIN_OF_CUSTODY
    for chain in CHAINS:
        if word == chain:
            return chain
    problems.append(
        f"ot:chainOfCustody {word!r} is not one of {', '.join(CHAINS)}; "
        f"{DEFAULT_CHAIN_OF_CUSTODY} assumed"
    )
    return DEFAULT_CHAIN_OF_CUSTODY


def process_emissions(
    extensions: Mapping[str, Any], names: Names, problems: list[str]
) -> tuple[float, str | None]:
    value = extensions.get(OT_ + "processEmissions")
    if value is None:
        return 0.0, None
    try:
        members = obj(single(value, "ot:processEmissions"), "ot:processEmissions", names)
        if OT_ + "kgCO2e" not in members:
            raise FactsError("ot:processEmissions has no ot:kgCO2e")
        kg = non_negative(members[OT_ + "kgCO2e"], "ot:processEmissions ot:kgCO2e")
        stage = _optional_text(members.get(OT_ + "stage"), "ot:processEmissions ot:stage")
    except FactsError as exc:
        problems.append(str(exc))
        return 0.0, None
    return kg, stage


def _guard(problems: list[str], read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except FactsError as exc:
        problems.append(str(exc))
        return None


def _symbol(members: Mapping[str, Any], where: str) -> str:
    if OT_ + "element" not in members:
        raise FactsError(f"an {where} entry has no ot:element")
    symbol = text(members[OT_ + "element"], f"{where} ot:element")
    if not _SYMBOL.match(symbol):
        raise FactsError(f"{where} ot:element {symbol!r} is not a chemical element symbol")
    return symbol


def _entries(value: Any, where: str, names: Names, problems: list[str]) -> list[dict[str, Any]]:
    out = []
    for entry in items(value):
        try:
            out.append(obj(entry, f"an {where} entry", names))
        except FactsError as exc:
            problems.append(str(exc))
    return out


def _element_content(value: Any, names: Names, problems: list[str]) -> dict[str, float]:
    where = "ot:elementContent"
    fractions: dict[str, float] = {}
    for members in _entries(value, where, names, problems):
        try:
            symbol = _symbol(members, where)
            if OT_ + "massFraction" not in members:
                raise FactsError(f"{where} entry for {symbol} has no ot:massFraction")
            share = fraction(members[OT_ + "massFraction"], f"ot:massFraction of {symbol}")
        except FactsError as exc:
            problems.append(str(exc))
            continue
        if symbol in fractions:
            problems.append(f"{where} declares {symbol} more than once; the first is kept")
            continue
        fractions[symbol] = share
    total = sum(fractions.values())
    if total > 1 + _EPSILON:
        problems.append(f"{where} mass fractions sum to {fmt(total)}, more than 1")
    # Elements beyond the tracked six are checked and counted in the sum, not kept.
    return {symbol: fractions[symbol] for symbol in sorted(fractions) if symbol in ELEMENTS}


def _recycled(value: Any, names: Names, problems: list[str]) -> dict[str, RecycledShare]:
    where = "ot:recycledShare"
    shares: dict[str, RecycledShare] = {}
    for members in _entries(value, where, names, problems):
        try:
            symbol = _symbol(members, where)
            pre = _share(members, "preConsumer", symbol)
            post = _share(members, "postConsumer", symbol)
            if pre + post > 1 + _EPSILON:
                raise FactsError(
                    f"{where} of {symbol}: ot:preConsumer {fmt(pre)} + ot:postConsumer "
                    f"{fmt(post)} is more than 1"
                )
        except FactsError as exc:
            problems.append(str(exc))
            continue
        if symbol in shares:
            problems.append(f"{where} declares {symbol} more than once; the first is kept")
            continue
        shares[symbol] = RecycledShare(pre_consumer=pre, post_consumer=post)
    return {symbol: shares[symbol] for symbol in sorted(shares) if symbol in ELEMENTS}


def _share(members: Mapping[str, Any], local: str, symbol: str) -> float:
    value = members.get(OT_ + local)
    # absent means none of the element's mass is recycled that way
    return 0.0 if value is None else fraction(value, f"ot:{local} of {symbol}")


def _country(value: Any) -> str:
    code = text(value, "cbvmda:countryOfOrigin")
    if not _COUNTRY.match(code):
        raise FactsError(f"cbvmda:countryOfOrigin {code!r} is not an ISO 3166-1 alpha-2 code")
    return code


def _carbon(value: Any, names: Names) -> tuple[float, str | None]:
    members = obj(single(value, "ot:carbonFootprint"), "ot:carbonFootprint", names)
    if OT_ + "kgCO2ePerKg" not in members:
        raise FactsError("ot:carbonFootprint has no ot:kgCO2ePerKg")
    per_kg = non_negative(members[OT_ + "kgCO2ePerKg"], "ot:carbonFootprint ot:kgCO2ePerKg")
    return per_kg, _optional_text(members.get(OT_ + "stage"), "ot:carbonFootprint ot:stage")


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else text(value, name)


def _net_weight(value: Any) -> float:
    value = single(value, "cbvmda:netWeight")
    unit = "KGM"
    if isinstance(value, Mapping):
        given = value.get("@measurementUnitCode", value.get("measurementUnitCode"))
        unit = "KGM" if given is None else text(given, "cbvmda:netWeight measurementUnitCode")
    weight = number(unwrap(value), "cbvmda:netWeight")
    try:
        return to_kg(weight, unit)
    except FactsError as exc:
        raise FactsError(f"cbvmda:netWeight: {exc}") from exc
