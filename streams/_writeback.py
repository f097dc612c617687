"""A table seen through one batch of events: reads are remembered, writes wait for ``flush``.

Applying an event writes ~7 table keys, and neighbouring events write the same ones (a
lot's pending entry, a site's index, the lot an earlier event created). A faust table write
is a RocksDB put plus a changelog record, so the worker applies a batch of events through
these overlays and writes each changed key once, in key order, when the batch is done.

Crash safety does not change: offsets are committed only after the batch was flushed
(faust acks ``take_events`` batches after the loop body), and a batch that was not flushed
is re-delivered and re-applied like any in-flight event (``streams.processors``).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any, Final

_GONE: Final = object()  # a key deleted in this batch


class WriteBack(MutableMapping[str, Any]):
    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table
        self._seen: dict[str, Any] = {}
        self._dirty: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._seen[key]
        except KeyError:
            value = self._seen[key] = self.table.get(key, _GONE)
        if value is _GONE:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._seen[key] = value
        self._dirty.add(key)

    def __delitem__(self, key: str) -> None:
        self[key]  # KeyError for a missing key, as a mapping must
        self._seen[key] = _GONE
        self._dirty.add(key)

    def __iter__(self) -> Iterator[str]:
        for key in self.table:
            if self._seen.get(key) is not _GONE:
                yield key
        for key in self._dirty:
            if key not in self.table and self._seen[key] is not _GONE:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def dirty(self) -> int:
        return len(self._dirty)

    def flush(self) -> int:
        """Write every changed key to the table once; returns how many were written."""
        written = 0
        for key in sorted(self._dirty):
            value = self._seen[key]
            if value is _GONE:
                if key in self.table:
                    del self.table[key]
                    written += 1
            else:
                self.table[key] = value
                written += 1
        self.discard()
        return written

    def discard(self) -> None:
        """Forget what was read and written (after a flush, or when the tables were
        restored underneath, e.g. after a rebalance)."""
        self._seen.clear()
        self._dirty.clear()
