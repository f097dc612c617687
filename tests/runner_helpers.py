"""A source connector run by the SDK's runner in a thread, as ``oretrail`` would run it."""

from __future__ import annotations

import threading
from pathlib import Path

from confluent_kafka import Producer

from connectors.sdk import Counts, Source, SourceRunner, StateStore
from oretrail.kafka import producer_config
from oretrail.serde import Serde, SingleObjectSerde


class Running:
    """``source`` publishing to the real broker until :meth:`stop`, offsets kept in ``state``."""

    def __init__(
        self, bootstrap: str, source: Source, dlq: str, state: Path, serde: Serde | None = None
    ) -> None:
        self.source = source
        self.runner = SourceRunner(
            Producer(producer_config(bootstrap)), serde or SingleObjectSerde(), dlq_topic=dlq
        )
        self.counts: Counts | None = None
        self.thread = threading.Thread(target=self._run, args=(StateStore(state),))
        self.thread.start()

    def _run(self, state: StateStore) -> None:
        self.counts = self.runner.run(self.source, state)

    def stop(self) -> Counts:
        """Ask the source to stop and wait for the runner's final counts."""
        self.source.stop()
        self.thread.join(30)
        assert self.counts is not None, "the runner did not return"
        return self.counts
