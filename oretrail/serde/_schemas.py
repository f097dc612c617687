"""The Avro contract shipped in ``schemas/``: current schemas and released snapshots.

``schemas/<name>.avsc`` is the current version; ``schemas/released/<version>/`` holds
the schemas as released, which decoders still accept as writer schemas and which the
evolution check compares against.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import fastavro

SCHEMA_NAMES = (
    "trace_event",
    "sensor_reading",
    "passport_update",
    "credential_published",
    "dead_letter",
)


class SchemaNotFoundError(LookupError):
    """No ``.avsc`` of that name ships with this installation."""


@cache
def schemas_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_schemas", here.parent / "schemas"):  # wheel, then checkout
        if candidate.is_dir():
            return candidate
    raise SchemaNotFoundError(f"no schemas/ folder next to {here}")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.name.split(".") if p.isdigit())


def released_versions() -> list[Path]:
    """Released snapshot folders, oldest first."""
    root = schemas_dir() / "released"
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir()), key=_version_key)


@cache
def raw_schema(name: str) -> dict[str, Any]:
    path = schemas_dir() / f"{name}.avsc"
    if not path.exists():
        raise SchemaNotFoundError(f"unknown schema {name!r}: no {path}")
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


@cache
def parsed_schema(name: str) -> dict[str, Any]:
    parsed = fastavro.parse_schema(raw_schema(name))
    if not isinstance(parsed, dict):
        raise SchemaNotFoundError(f"{name}.avsc is not a record schema")
    return parsed


def schema_text(name: str) -> str:
    return json.dumps(raw_schema(name), separators=(",", ":"))


def historic_schemas(name: str) -> list[dict[str, Any]]:
    """Every released version of ``name`` plus the current one (duplicates included)."""
    found = []
    for folder in released_versions():
        path = folder / f"{name}.avsc"
        if path.exists():
            found.append(json.loads(path.read_text()))
    found.append(raw_schema(name))
    return found
