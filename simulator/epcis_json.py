"""EPCIS 2.0 JSON-LD documents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from simulator.events import CONTEXT, local_time


def document(events: Sequence[dict[str, Any]], created: datetime, offset: str) -> bytes:
    doc = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": local_time(created, offset),
        "epcisBody": {"eventList": list(events)},
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
