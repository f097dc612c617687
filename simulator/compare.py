"""Compare a lot's ground truth (``ground_truth.json``) with what the pipeline says about
it (``oretrail trace --json``, ``streams.ledger.trace_json``). Pure; returns the
differences as sentences, none when they agree.

Compared, per lot: ``massKg``; the set of elements; per element ``massKg``,
``recycledShare.preConsumer`` and ``.postConsumer``, ``primaryOrigin`` (same countries,
same shares); ``carbonFootprint.totalKgCO2e``; the alert types raised on the lot
(``alerts[].type``) and the alert marks it carries (``flags`` ``alert:<type>``); and that
the pipeline holds every fact the lot needs (``complete``). Numbers agree within a relative
tolerance (the trace prints 12 significant digits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

REL_TOL = 1e-9
#: below this a share is zero: 1e-9 relative of a share of 1
ABS_TOL = 1e-12


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare(lot: str, expected: Mapping[str, Any], traced: Mapping[str, Any]) -> list[str]:
    out: list[str] = []

    def number(what: str, want: float, got: float) -> None:
        if not _close(want, got):
            out.append(f"{lot}: {what} is {got!r}, expected {want!r}")

    number("massKg", expected["massKg"], traced["massKg"])
    number(
        "carbonFootprint.totalKgCO2e",
        expected["carbonFootprint"]["totalKgCO2e"],
        traced["carbonFootprint"]["totalKgCO2e"],
    )
    want_elements, got_elements = expected["elements"], traced["elements"]
    if set(want_elements) != set(got_elements):
        out.append(f"{lot}: elements {sorted(got_elements)}, expected {sorted(want_elements)}")
    for element in sorted(set(want_elements) & set(got_elements)):
        want, got = want_elements[element], got_elements[element]
        number(f"{element} massKg", want["massKg"], got["massKg"])
        for kind in ("preConsumer", "postConsumer"):
            number(f"{element} {kind}", want["recycledShare"][kind], got["recycledShare"][kind])
        w_origin, g_origin = want["primaryOrigin"], got["primaryOrigin"]
        if set(w_origin) != set(g_origin):
            out.append(f"{lot}: {element} origins {sorted(g_origin)}, expected {sorted(w_origin)}")
        for country in sorted(set(w_origin) & set(g_origin)):
            number(f"{element} origin {country}", w_origin[country], g_origin[country])
    alerts = sorted({a["type"] for a in traced.get("alerts", ())})
    if alerts != sorted(expected["alerts"]):
        out.append(f"{lot}: alerts {alerts}, expected {expected['alerts']}")
    marks = sorted(f[len("alert:") :] for f in traced.get("flags", ()) if f.startswith("alert:"))
    if marks != sorted(expected["alertMarks"]):
        out.append(f"{lot}: alert marks {marks}, expected {expected['alertMarks']}")
    if traced.get("complete") is False:
        out.append(f"{lot}: the pipeline lacks facts this lot needs (complete is false)")
    return out
