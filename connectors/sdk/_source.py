"""The base class every source connector implements, and its lifecycle.

Lifecycle, driven by :class:`connectors.sdk.SourceRunner`::

    source = MySource(config)      # validate config only; no I/O
    source.open(state)             # connect, read the last committed position from `state`
    for item in source.poll():     # SourceRecord, Rejected, or None when idle, in source order
        ...                        # the runner produces / dead-letters them; on None it
                                   # serves delivery reports and commits what was acked
    source.stop()                  # any thread / signal handler: poll() returns soon after
    source.commit(position)        # called once every record up to `position` was acked
    source.close()                 # release connections; called even after errors

A source never produces to Kafka itself and never commits on its own: the runner owns
delivery, so "commit only after the broker acknowledged" holds for every connector.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from pydantic_settings import BaseSettings

from connectors.sdk._records import Rejected, SourceRecord
from connectors.sdk._state import StateStore


class Source(ABC):
    #: registered name (entry point ``oretrail.connectors``), also used in DLQ headers
    name: ClassVar[str]
    #: the pydantic-settings model of this connector's configuration (env ORETRAIL_<NAME>_*)
    config_model: ClassVar[type[BaseSettings]]
    #: one line for `oretrail connectors list`
    summary: ClassVar[str] = ""

    def __init__(self, config: BaseSettings) -> None:
        if not isinstance(config, self.config_model):
            raise TypeError(f"{self.name} expects {self.config_model.__name__}")
        self.config = config
        self.state: StateStore | None = None
        self._stop = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask an endless source (MQTT, polling) to return from poll(); safe from any thread."""
        self._stop.set()

    def wait(self, seconds: float) -> bool:
        """Sleep between polls, waking early on stop(); True when stopping."""
        return self._stop.wait(seconds)

    def open(self, state: StateStore) -> None:
        self.state = state

    @abstractmethod
    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        """Yield what the source has, in order; return when exhausted or stopping.

        An endless source yields ``None`` while it waits (at least every second or so), so
        the runner can commit positions that were acknowledged meanwhile.
        """

    def commit(self, position: str) -> None:
        if self.state is not None:
            self.state.save(position)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
