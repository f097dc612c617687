"""``manifest.json``: every file written, its format, the connector that reads it, its
counts, and the faults injected (with what each should cause)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from simulator.feeds import FeedFile


def file_entry(f: FeedFile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": f.path,
        "format": f.format,
        "connector": f.connector,
        "site": f.site,
        "delivered": f.delivered.isoformat(),
        "bytes": len(f.data),
        "sha256": hashlib.sha256(f.data).hexdigest(),
    }
    if f.connector is not None:
        entry["events"] = f.events
        entry["duplicates"] = f.duplicates
        entry["rejected"] = [asdict(r) for r in f.rejected]
    entry.update(f.notes)
    return entry


def counts(files: Sequence[FeedFile]) -> dict[str, Any]:
    by_connector: dict[str, dict[str, int]] = {}
    for f in files:
        if f.connector is None:
            continue
        c = by_connector.setdefault(
            f.connector,
            {"files": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "rejectedByProcessors": 0},
        )
        c["files"] += 1
        c["accepted"] += f.events
        c["duplicates"] += f.duplicates
        c["rejected"] += sum(r.stage == "connector" for r in f.rejected)
        c["rejectedByProcessors"] += sum(r.stage == "processors" for r in f.rejected)
    return dict(sorted(by_connector.items()))


def feeds(files: Sequence[FeedFile]) -> dict[str, Any]:
    """How each connector is pointed at the folder (paths relative to it)."""
    erp: dict[str, set[str]] = {}
    staging: dict[str, Any] = {}
    for f in files:
        if f.connector == "erp-file":
            erp.setdefault(str(f.notes["mapping"]), set()).add(f.path.rsplit("/", 1)[0])
        elif f.format == "connector-config":
            staging["config"] = f.path
        elif f.format == "sql-schema":
            staging["schema"] = f.path
        elif f.connector == "erp-postgres":
            staging.setdefault("loads", []).append({"table": f.notes["table"], "rows": f.path})
    return {
        "epcis-file": {"paths": ["epcis"], "alsoByStream": "POST /capture (--stream)"},
        "erp-file": [{"mapping": m, "paths": sorted(p)} for m, p in sorted(erp.items())],
        "erp-postgres": staging,
        "mqtt": {"config": "mqtt/mqtt.yaml", "messages": "mqtt/telemetry.jsonl"},
    }


def manifest(
    meta: dict[str, Any], files: Sequence[FeedFile], faults: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        **meta,
        "counts": {**extra, "byConnector": counts(files)},
        "faults": faults,
        "files": [file_entry(f) for f in sorted(files, key=lambda f: f.path)],
    }


def dumps(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()
