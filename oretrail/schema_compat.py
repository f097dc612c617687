"""Avro schema-resolution rules, used to prove every schema change stays BACKWARD compatible.

BACKWARD means a consumer on the new schema (reader) can read every record written with
the previous released schema (writer). The rules are the Avro specification's
"Schema Resolution" section; logical types resolve by their underlying type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_PROMOTIONS = {
    ("int", "long"),
    ("int", "float"),
    ("int", "double"),
    ("long", "float"),
    ("long", "double"),
    ("float", "double"),
    ("string", "bytes"),
    ("bytes", "string"),
}
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

Names = dict[str, Any]


def _fullname(schema: dict[str, Any], namespace: str | None) -> str:
    name: str = schema["name"]
    if "." in name:
        return name
    ns = schema.get("namespace", namespace)
    return f"{ns}.{name}" if ns else name


def _collect(schema: Any, namespace: str | None, names: Names) -> None:
    """Index every named type so references by name can be followed."""
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, namespace, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            full = _fullname(schema, namespace)
            names[full] = schema
            names.setdefault(full.rsplit(".", 1)[-1], schema)
            inner_ns = full.rsplit(".", 1)[0] if "." in full else None
            for fld in schema.get("fields", []):
                _collect(fld["type"], inner_ns, names)
        elif kind == "array":
            _collect(schema["items"], namespace, names)
        elif kind == "map":
            _collect(schema["values"], namespace, names)
        elif isinstance(kind, dict | list):
            _collect(kind, namespace, names)


def _deref(schema: Any, names: Names) -> Any:
    if isinstance(schema, str) and schema not in _PRIMITIVES:
        return names[schema]
    if isinstance(schema, dict) and isinstance(schema.get("type"), str | list | dict):
        kind = schema["type"]
        if kind not in ("record", "error", "enum", "fixed", "array", "map"):
            return _deref(kind, names)  # {"type": "long", "logicalType": ...} and wrappers
    return schema


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema
    kind: str = schema["type"]
    return "record" if kind == "error" else kind


def _short(schema: Any) -> str:
    return str(schema["name"]).rsplit(".", 1)[-1]


def _resolve(
    reader: Any, writer: Any, rn: Names, wn: Names, path: str, seen: set[Any]
) -> list[str]:
    reader, writer = _deref(reader, rn), _deref(writer, wn)
    rk, wk = _kind(reader), _kind(writer)
    if wk == "union":
        return [
            p
            for i, w in enumerate(writer)
            for p in _resolve(reader, w, rn, wn, f"{path}|{i}", seen)
        ]
    if rk == "union":
        for branch in reader:
            if not _resolve(branch, writer, rn, wn, path, seen):
                return []
        return [f"{path}: writer type {wk} matches no branch of the reader union"]
    if rk != wk:
        if (wk, rk) in _PROMOTIONS:
            return []
        return [f"{path}: writer {wk} cannot be read as {rk}"]
    if rk == "array":
        return _resolve(reader["items"], writer["items"], rn, wn, f"{path}[]", seen)
    if rk == "map":
        return _resolve(reader["values"], writer["values"], rn, wn, f"{path}{{}}", seen)
    if rk in ("record", "enum", "fixed"):
        aliases = {a.rsplit(".", 1)[-1] for a in reader.get("aliases", [])}
        if _short(writer) != _short(reader) and _short(writer) not in aliases:
            return [f"{path}: {rk} name {_short(writer)} does not match {_short(reader)}"]
    if rk == "fixed" and reader["size"] != writer["size"]:
        return [f"{path}: fixed size {writer['size']} != {reader['size']}"]
    if rk == "enum":
        missing = set(writer["symbols"]) - set(reader["symbols"])
        if missing and "default" not in reader:
            return [f"{path}: reader enum lacks symbols {sorted(missing)} and has no default"]
    if rk == "record":
        key = (id(reader), id(writer))
        if key in seen:  # recursive types: already being checked further up
            return []
        seen = seen | {key}
        wfields = {f["name"]: f for f in writer["fields"]}
        problems: list[str] = []
        for rf in reader["fields"]:
            candidates = [rf["name"], *rf.get("aliases", [])]
            wf = next((wfields[c] for c in candidates if c in wfields), None)
            if wf is None:
                if "default" not in rf:
                    problems.append(f"{path}.{rf['name']}: new field without a default")
                continue
            problems += _resolve(rf["type"], wf["type"], rn, wn, f"{path}.{rf['name']}", seen)
        return problems
    return []


def backward_problems(reader: dict[str, Any], writer: dict[str, Any]) -> list[str]:
    """Why records written with ``writer`` cannot be read with ``reader`` (empty if they can)."""
    rn: Names = {}
    wn: Names = {}
    _collect(reader, None, rn)
    _collect(writer, None, wn)
    return _resolve(reader, writer, rn, wn, _short(reader), set())


def check_folder(current: Path, released: Path) -> dict[str, list[str]]:
    """Compare every released ``.avsc`` with its current version; a removed schema is a problem."""
    report: dict[str, list[str]] = {}
    for old in sorted(released.glob("*.avsc")):
        new = current / old.name
        if not new.exists():
            report[old.name] = ["schema removed: consumers of its topic would break"]
            continue
        problems = backward_problems(json.loads(new.read_text()), json.loads(old.read_text()))
        if problems:
            report[old.name] = problems
    return report
