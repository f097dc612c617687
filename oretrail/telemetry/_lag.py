"""Consumer lag per group and partition: log end offset minus the group's committed offset.

Measured from outside the consumer, as Kafka's own tools do: a thread asks the broker every
few seconds for the group's committed offsets and each partition's end offset, with a
client of its own that never subscribes (so it never joins the group). Any component can
watch its group this way whatever client it consumes with (faust/aiokafka, confluent). The
``oretrail.consumer.lag`` gauge reports the last measurement.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from oretrail.kafka import consumer_config
from oretrail.telemetry._instruments import meter as default_meter

log = logging.getLogger(__name__)

_lock = threading.Lock()
_monitors: list[LagMonitor] = []
_gauges: set[int] = set()  # ids of the meters that have the lag gauge


def lag_of(committed: int | None, end: int) -> int:
    """Records the group has not processed yet; a group that never committed has all of
    the log still to read (from offset 0: retention may have dropped part of it)."""
    if committed is None or committed < 0:
        return end
    return max(end - committed, 0)


def _observe(options: CallbackOptions) -> Iterable[Observation]:
    with _lock:
        monitors = list(_monitors)
    for monitor in monitors:
        for (topic, partition), lag in monitor.snapshot().items():
            attributes: dict[str, str | int] = {
                "group": monitor.group,
                "topic": topic,
                "partition": partition,
            }
            yield Observation(lag, attributes)


def _ensure_gauge(m: Meter) -> None:
    with _lock:
        if id(m) in _gauges:
            return
        _gauges.add(id(m))
    m.create_observable_gauge(
        "oretrail.consumer.lag",
        callbacks=[_observe],
        unit="{message}",
        description="records not yet committed by a consumer group, per topic and partition",
    )


class LagMonitor:
    """Measures ``group``'s lag on ``topics`` every ``interval`` seconds until :meth:`stop`."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        *,
        interval: float = 5.0,
        meter: Meter | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.group = group
        self.topics = tuple(topics)
        self.interval = interval
        self._meter = meter or default_meter()
        self._lags: dict[tuple[str, int], int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> dict[tuple[str, int], int]:
        return dict(self._lags)

    def measure(self, consumer: Any) -> dict[tuple[str, int], int]:
        """One measurement with ``consumer`` (a confluent Consumer that is not subscribed)."""
        wanted: list[TopicPartition] = []
        metadata = consumer.list_topics(timeout=10)
        for topic in self.topics:
            info = metadata.topics.get(topic)
            if info is None or info.error is not None:
                continue
            wanted.extend(TopicPartition(topic, p) for p in sorted(info.partitions))
        if not wanted:
            return {}
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(wanted, 10)}
        lags = {}
        for tp in wanted:
            _, end = consumer.get_watermark_offsets(tp, timeout=10)
            lags[(tp.topic, tp.partition)] = lag_of(committed.get((tp.topic, tp.partition)), end)
        return lags

    def _run(self) -> None:
        consumer = Consumer(consumer_config(self.bootstrap, self.group))
        try:
            while not self._stop.is_set():
                try:
                    self._lags = self.measure(consumer)
                except KafkaException as exc:
                    log.warning("consumer lag of %s not measured: %s", self.group, exc)
                self._stop.wait(self.interval)
        finally:
            consumer.close()

    def start(self) -> LagMonitor:
        _ensure_gauge(self._meter)
        with _lock:
            _monitors.append(self)
        self._thread = threading.Thread(
            target=self._run, name=f"oretrail-lag-{self.group}", daemon=True
        )
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        self._stop.set()
        with _lock:
            if self in _monitors:
                _monitors.remove(self)
        if self._thread is not None:
            self._thread.join(15)
            self._thread = None
