"""The agents: events → facts (parallel), facts → state → passport updates and alerts.

Stage 1, ``reduce_events`` on ``oretrail.events``: decode the Avro TraceEvent, reduce it to
facts (``streams.facts.extract``); bytes that do not decode and events the facts reject go
to ``oretrail.dlq`` with the reason; the rest are forwarded as JSON to ``<app id>-facts``.

Stage 2, ``apply_facts`` on ``<app id>-facts`` (one partition, see ``streams.app``):

- de-duplicate by event id: the ``seen`` table remembers where (events partition:offset) an
  event was first read. The same event read from another offset is a duplicate and changes
  nothing; the same offset read again is a redelivery after a crash and is re-applied with
  every table write re-sent, because faust may have written RocksDB before the changelog
  record reached the broker;
- merge the facts into the ``facts``/``index`` tables (``streams._tables``);
- mark the affected lots (the event's lots and every lot downstream of them) pending;
- on the leader's ticks (sent to the same topic, so table writes stay inside the stream),
  lots quiet for the debounce interval get their passport recomputed and, when its content
  hash changed, a new version on ``oretrail.passport-updates`` (Avro PassportUpdate) and
  the alerts it introduces on ``oretrail.alerts`` (JSON).

Guarantee: at-least-once with idempotent state and deterministic outputs (``streams.app``).

Observability (``oretrail.telemetry``): when tracing is on, each event is processed in a
CONSUMER span, child of the context its message headers carry, and every record sent
carries its PRODUCER span's context in a ``traceparent`` header: events -> facts -> the
passport update (whose parent is the processing of the last event that touched the lot,
kept in the pending entry) and its alerts. When tracing is off the agents make one check
per event (stage 1) or per batch (stage 2). Metrics: records in and out per topic, dead
letters, alerts, processing time per event / batch / flush, and the consumer group's lag.
"""

from __future__ import annotations

import dataclasses
import json
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from faust.streams import _current_event
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Tracer

from connectors.sdk import Rejected, dead_letter_headers, dead_letter_value
from oretrail import telemetry
from oretrail.serde import Serde
from oretrail.telemetry import tracing
from streams import ledger
from streams._state import FactState, Forwarded, affected_lots, reduce_event
from streams._writeback import WriteBack
from streams.app import WorkerConfig
from streams.ledger import LedgerConfig
from streams.passports import PassportState, new_alerts, next_update

__all__ = ["FactState", "Forwarded", "Processors", "affected_lots", "reduce_event"]

PROCESSOR = "oretrail-processors"
COMPONENT = "worker"
_TICK_KEY = b"tick"
_REDUCE = {"stage": "reduce"}
_APPLY = {"stage": "apply"}
_FLUSH = {"stage": "flush"}


def _now_us() -> int:
    return time.time_ns() // 1000


class Processors:
    """The tables, topics and agents of one app (built once per process)."""

    def __init__(
        self, app: Any, cfg: WorkerConfig, serde: Serde, ledger_config: LedgerConfig
    ) -> None:
        self.app = app
        self.cfg = cfg
        self.serde = serde
        self.ledger_config = ledger_config
        raw = {"key_serializer": "raw", "value_serializer": "raw"}
        self.events = app.topic(cfg.events_topic, **raw)
        self.facts_topic = app.topic(
            cfg.facts_topic,
            partitions=1,
            internal=True,
            key_serializer="raw",
            value_serializer="json",
        )
        self.passports_topic = app.topic(cfg.passports_topic, **raw)
        self.alerts_topic = app.topic(cfg.alerts_topic, **raw)
        self.dlq_topic = app.topic(cfg.dlq_topic, **raw)
        table = {"partitions": 1}  # keys and values: faust's default json
        names = ("facts", "index", "seen", "pending", "passports")
        # the agents read and write the tables through per-batch overlays (streams._writeback)
        self.overlays = {name: WriteBack(app.Table(name, **table)) for name in names}
        self.passports = self.overlays["passports"]
        o = self.overlays
        self.state = FactState(o["facts"], o["index"], o["seen"], o["pending"], ledger_config)
        self.view = self.state.view
        self._obs = telemetry.Instruments.of()
        app.agent(self.events, name="reduce_events")(self._reduce_events)
        app.agent(self.facts_topic, name="apply_facts")(self._apply_facts)
        app.timer(cfg.debounce_seconds / 2, on_leader=True, name="tick")(self._tick)
        app.on_rebalance_complete.connect(self._on_rebalanced)
        if telemetry.metrics_enabled():
            app.task(self._watch_lag)

    async def _watch_lag(self) -> None:
        """Measure this worker's consumer lag (a thread with a client of its own)."""
        bootstrap = ",".join(f"{url.host}:{url.port}" for url in self.app.conf.broker)
        topics = [self.cfg.events_topic, self.cfg.facts_topic]
        telemetry.LagMonitor(bootstrap, self.cfg.app_id, topics).start()

    async def _send(
        self,
        channel: Any,
        topic: str,
        key: bytes | None,
        value: Any,
        *,
        headers: list[tuple[str, bytes]] | None = None,
        trace: str | None = None,
    ) -> Any:
        """Send one record (traced when tracing is on: a PRODUCER span whose context goes
        into the headers; ``trace`` names its parent, else the current span is)."""
        tracer = tracing.active()
        if tracer is not None:
            parent = tracing.context_from_traceparent(trace) if trace else None
            span = tracing.send_span(tracer, topic, key, parent)
            headers = tracing.with_context(span, headers)
            span.end()
        sent = await channel.send(key=key, value=value, headers=headers)
        self._obs.produced.add(1, {"component": COMPONENT, "topic": topic})
        return sent

    async def _on_rebalanced(self, sender: Any = None, **kwargs: Any) -> None:
        self.state.forget_pending_index()

    # stage 1

    async def _reduce_events(self, stream: Any) -> None:
        consumed = {"component": COMPONENT, "topic": self.cfg.events_topic}
        async for event in stream.events():
            msg = event.message
            started = time.perf_counter()
            tracer = tracing.active()
            if tracer is None:
                await self._reduce(msg)
            else:
                span = tracing.faust_process_span(tracer, msg, self.cfg.app_id)
                with otel_trace.use_span(span, end_on_exit=True):
                    await self._reduce(msg)
            self._obs.consumed.add(1, consumed)
            self._obs.worker_duration.record(time.perf_counter() - started, _REDUCE)

    async def _reduce(self, msg: Any) -> None:
        value = msg.value if isinstance(msg.value, bytes) else b""
        out = reduce_event(self.serde, value, msg.topic, msg.partition, msg.offset)
        if isinstance(out, Rejected):
            await self._dead_letter(out, msg.topic, msg.partition, msg.offset)
        else:
            topic = self.cfg.facts_topic
            await self._send(self.facts_topic, topic, out.event_id.encode(), out.to_json())

    async def _dead_letter(
        self, rejected: Rejected, topic: str, partition: int, offset: int
    ) -> None:
        value = dead_letter_value(PROCESSOR, rejected)
        value.update(sourceTopic=topic, sourcePartition=partition, sourceOffset=offset)
        await self._send(
            self.dlq_topic,
            self.cfg.dlq_topic,
            None,
            self.serde.encode("dead_letter", value, self.cfg.dlq_topic),
            headers=dead_letter_headers(PROCESSOR, rejected),
        )
        self._obs.dead_letters.add(1, {"component": COMPONENT, "stage": rejected.stage})

    # stage 2

    async def _apply_facts(self, stream: Any) -> None:
        # faust acks a batch's events only after this body ran for it, so offsets are
        # committed after the batch's table writes (see streams._writeback)
        size, within = self.cfg.batch_size, self.cfg.batch_seconds
        async for batch in stream.take_events(size, within=within):
            # faust writes a table key into the partition of the "current event", which
            # only plain stream iteration sets; the facts topic has one partition, so any
            # event of the batch names the right one
            token = _current_event.set(weakref.ref(batch[-1]))
            try:
                await self._apply_batch(batch)
            finally:
                _current_event.reset(token)

    async def _apply_batch(self, batch: list[Any]) -> None:
        for overlay in self.overlays.values():
            overlay.discard()  # nothing is dirty between batches; drop stale reads
        now = _now_us()
        started = time.perf_counter()
        events = [e for e in batch if e.key != _TICK_KEY]
        facts = [Forwarded.from_json(e.value) for e in events]
        tracer = tracing.active()
        if tracer is None:
            self.state.apply_all(facts, now)
        else:
            self.state.apply_all(self._traced(tracer, events, facts), now)
        if len(facts) < len(batch):
            await self.flush(now)
        for overlay in self.overlays.values():
            overlay.flush()
        self._obs.consumed.add(len(events), {"component": COMPONENT, "topic": self.cfg.facts_topic})
        self._obs.worker_duration.record(time.perf_counter() - started, _APPLY)

    def _traced(
        self, tracer: Tracer, events: list[Any], facts: list[Forwarded]
    ) -> Iterator[Forwarded]:
        """Each fact inside its CONSUMER span (open while ``apply_all`` applies it), carrying
        the span's traceparent into the pending entries it writes."""
        for event, fwd in zip(events, facts, strict=True):
            span = tracing.faust_process_span(tracer, event.message, self.cfg.app_id)
            try:
                yield dataclasses.replace(fwd, trace=tracing.traceparent(span))
            finally:
                span.end()

    async def _tick(self) -> None:
        await self.facts_topic.send(key=_TICK_KEY, value={"tick": True})

    async def flush(self, now_us: int) -> None:
        debounce_us = int(self.cfg.debounce_seconds * 1_000_000)
        # at most so many passports a tick: a burst that touched 10^5 lots (e.g. mines
        # commissioning a season's lots) is published over the next ticks instead of as one
        # flush holding every trace and every update in memory at once
        due = self.state.due(now_us, debounce_us)[: self.cfg.max_passports_per_tick]
        if not due:
            return
        started = time.perf_counter()
        # the due lots share most of their upstream: one read cache for all their traces
        with self.view.cached():
            traces = ledger.trace_json_many([lot for lot, _ in due], self.view, self.ledger_config)
            updates = [
                (lot, p.trace, self._next_passport(lot, traces[lot], p.events)) for lot, p in due
            ]
        # every update is sent before any is awaited (one broker round trip per tick, not
        # per lot); the tables remember them only once all are acknowledged
        sent = []
        topic = self.cfg.passports_topic
        for lot, trace, update in updates:
            if update is not None:
                value = self.serde.encode("passport_update", update[0], topic)
                sent.append(
                    await self._send(self.passports_topic, topic, lot.encode(), value, trace=trace)
                )
        for fut in sent:
            await fut
        for lot, trace, update in updates:
            if update is not None:
                await self._remember(lot, *update[1:], trace=trace)
            self.state.updated(lot)
        self._obs.worker_duration.record(time.perf_counter() - started, _FLUSH)

    def trace(self, lot: str) -> dict[str, Any]:
        result: dict[str, Any] = ledger.trace_json(lot, self.view, self.ledger_config)
        return result

    def _next_passport(
        self, lot: str, passport: dict[str, Any], events: Iterable[str]
    ) -> tuple[dict[str, Any], PassportState, PassportState | None, dict[str, Any]] | None:
        """The PassportUpdate record, the state to remember, the previous state and the
        passport; None when the content did not change."""
        raw = self.passports.get(lot)
        previous = None if raw is None else PassportState.from_json(raw)
        update = next_update(lot, passport, previous, list(events), _now_us())
        if update is None:
            return None
        return update[0], update[1], previous, passport

    async def _remember(
        self,
        lot: str,
        state: PassportState,
        previous: PassportState | None,
        passport: dict[str, Any],
        trace: str | None = None,
    ) -> None:
        """After the update was acknowledged: its new alerts, then the table. A crash in
        between re-sends the same version, it never skips one."""
        topic = self.cfg.alerts_topic
        for alert in new_alerts(previous, passport):
            body = {**alert, "passport": lot, "passportVersion": state.version}
            value = json.dumps(body).encode()
            await self._send(self.alerts_topic, topic, lot.encode(), value, trace=trace)
            self._obs.alerts.add(1, {"type": str(alert.get("type", "unknown"))})
        self.passports[lot] = state.to_json()
