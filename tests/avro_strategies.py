"""Hypothesis strategies that generate records valid for an Avro schema (test helper)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LIMITS = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _micros_datetimes() -> st.SearchStrategy[datetime]:
    # Whole microseconds within a plausible range: timestamp-micros keeps exactly these.
    return st.integers(0, 4_102_444_800 * 10**6).map(lambda us: _EPOCH + timedelta(microseconds=us))


def strategy(schema: Any, names: dict[str, Any] | None = None, ns: str | None = None) -> Any:
    names = {} if names is None else names
    if isinstance(schema, list):
        return st.one_of([strategy(branch, names, ns) for branch in schema])
    if isinstance(schema, str):
        if schema in names:
            return st.deferred(lambda: strategy(names[schema], names, ns))
        schema = {"type": schema}
    kind = schema["type"]
    if isinstance(kind, dict | list):
        return strategy(kind, names, ns)
    if schema.get("logicalType") in ("timestamp-micros", "timestamp-millis"):
        strat = _micros_datetimes()
        if schema["logicalType"] == "timestamp-millis":
            strat = strat.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
        return strat
    simple = {
        "null": st.none(),
        "boolean": st.booleans(),
        "float": st.floats(width=32, allow_nan=False),
        "double": st.floats(allow_nan=False),
        "bytes": st.binary(max_size=64),
        "string": st.text(max_size=40),
    }
    if kind in simple:
        return simple[kind]
    if kind in _LIMITS:
        lo, hi = _LIMITS[kind]
        return st.integers(lo, hi)
    if kind == "array":
        return st.lists(strategy(schema["items"], names, ns), max_size=3)
    if kind == "map":
        return st.dictionaries(
            st.text(max_size=10), strategy(schema["values"], names, ns), max_size=3
        )
    name = schema["name"]
    space = schema.get("namespace", ns)
    full = name if "." in name or not space else f"{space}.{name}"
    names[full] = schema
    names[name] = schema
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    inner = full.rsplit(".", 1)[0] if "." in full else None
    fields = {f["name"]: strategy(f["type"], names, inner) for f in schema["fields"]}
    return st.fixed_dictionaries(fields)
