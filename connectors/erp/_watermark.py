"""Where a staging-table reader may safely resume inside one transaction's rows.

Rows are read ordered by (transaction id, key), whole transactions at a time, and grouped
into events (an order and its lines). An event is published at its last row. After some of
a transaction's events were published, the resume mark may only move to a key ``k`` such
that the rows up to ``k`` are exactly the rows of published events: re-reading from ``k``
must never see part of a group whose other rows are already behind the mark (that would
re-publish a truncated order). :class:`Cuts` finds the furthest such key, in linear time
over the whole transaction.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

G = TypeVar("G", bound=Hashable)


class Cuts(Generic[G]):
    """The safe resume points of one transaction whose rows (in key order) form groups."""

    def __init__(self, group_of_row: Sequence[G]) -> None:
        """``group_of_row[i]`` is the group of the i-th row, rows in key order."""
        self._group = list(group_of_row)
        self._rows: dict[G, list[int]] = {}
        for index, group in enumerate(self._group):
            self._rows.setdefault(group, []).append(index)
        self._done = [False] * len(self._group)
        self._next = 0  # the first row not yet known to be published
        self._reach = -1  # the furthest last-row of the groups met so far
        self._cut = -1  # rows 0..cut are exactly whole published groups

    def order(self) -> list[G]:
        """The groups in publishing order: by their last row."""
        return sorted(self._rows, key=lambda group: self._rows[group][-1])

    def rows(self, group: G) -> list[int]:
        return self._rows[group]

    def publish(self, group: G) -> int:
        """Mark ``group`` published; the index of the furthest safe row (-1: none yet)."""
        for index in self._rows[group]:
            self._done[index] = True
        while self._next < len(self._group) and self._done[self._next]:
            self._reach = max(self._reach, self._rows[self._group[self._next]][-1])
            if self._reach == self._next:
                self._cut = self._next
            self._next += 1
        return self._cut
