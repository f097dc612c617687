"""Durable source positions: one small JSON file per connector instance, replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        if not self.path.exists():
            return None
        position = json.loads(self.path.read_text()).get("position")
        return position if isinstance(position, str) else None

    def save(self, position: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            json.dump({"position": position}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)  # atomic: a crash leaves the old or the new position, never half
