"""Traces across Kafka: W3C trace context in message headers, messaging spans.

Every producer of the pipeline starts a PRODUCER span (``send <topic>``) and writes its
context into the record's ``traceparent`` (and ``tracestate``) header; every consumer starts
a CONSUMER span (``process <topic>``) whose parent is the context read from the headers.
So one event read by a connector is one trace: connector send -> worker process -> facts
send -> worker process -> passport update send -> sink process -> credential send.

Tracing is off unless :func:`install` (or ``telemetry.configure``) gave a provider; then
:func:`active` is None, and callers skip every header and span step after that one check.
Attribute names follow the OpenTelemetry messaging semantic conventions (Kafka).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "oretrail"
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_W3C_HEADERS = (TRACEPARENT, TRACESTATE)

# messaging semantic conventions (OpenTelemetry semconv, messaging/kafka)
SYSTEM = "messaging.system"
DESTINATION = "messaging.destination.name"
OPERATION_TYPE = "messaging.operation.type"
OPERATION_NAME = "messaging.operation.name"
MESSAGE_KEY = "messaging.kafka.message.key"
PARTITION = "messaging.destination.partition.id"
OFFSET = "messaging.kafka.offset"
GROUP = "messaging.consumer.group.name"
CLIENT = "messaging.client.id"

Headers = list[tuple[str, bytes]]

_propagator = TraceContextTextMapPropagator()
_tracer: Tracer | None = None


def install(provider: TracerProvider | None) -> None:
    """Trace through ``provider`` from now on (None: tracing off)."""
    global _tracer
    _tracer = None if provider is None else provider.get_tracer(TRACER_NAME)


def active() -> Tracer | None:
    """The tracer, or None when tracing is off (the one check a hot path makes)."""
    return _tracer


def _text(key: bytes | str | None) -> str | None:
    if key is None:
        return None
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return key


def context_from_headers(headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None) -> Context:
    """The trace context a message carries (an empty context when it carries none)."""
    carrier: dict[str, str] = {}
    if headers:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in pairs:
            if name in _W3C_HEADERS and value is not None:
                text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
                carrier[name] = text
    return _propagator.extract(carrier) if carrier else Context()


def context_from_traceparent(traceparent: str | None) -> Context:
    """The context a stored ``traceparent`` names (an empty context for None)."""
    if not traceparent:
        return Context()
    return _propagator.extract({TRACEPARENT: traceparent})


def traceparent(span: Span) -> str | None:
    """The W3C ``traceparent`` of ``span`` (None when it is not recording a valid trace)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def with_context(span: Span, headers: Iterable[tuple[str, bytes]] | None = None) -> Headers:
    """``headers`` (any earlier trace headers replaced) plus ``span``'s trace context."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    kept = [(k, v) for k, v in headers or () if k not in _W3C_HEADERS]
    return kept + [(k, v.encode("ascii")) for k, v in carrier.items()]


def send_span(
    tracer: Tracer,
    topic: str,
    key: bytes | str | None,
    parent: Context | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A PRODUCER span for one record to ``topic``; the caller ends it.

    ``parent`` None means the current context (a new trace when there is none)."""
    attrs: dict[str, Any] = {
        SYSTEM: "kafka",
        DESTINATION: topic,
        OPERATION_TYPE: "send",
        OPERATION_NAME: "send",
    }
    text = _text(key)
    if text is not None:
        attrs[MESSAGE_KEY] = text
    if attributes:
        attrs.update(attributes)
    return tracer.start_span(
        f"send {topic}", context=parent, kind=SpanKind.PRODUCER, attributes=attrs
    )


def process_span(
    tracer: Tracer,
    topic: str,
    partition: int | None,
    offset: int | None,
    key: bytes | str | None,
    group: str,
    headers: Iterable[tuple[str, Any]] | Mapping[str, Any] | None,
) -> Span:
    """A CONSUMER span processing one record, child of the context its headers carry."""
    attrs: dict[str, Any] = {
        SYSTEM: "kafka",
        DESTINATION: topic,
        OPERATION_TYPE: "process",
        OPERATION_NAME: "process",
        GROUP: group,
    }
    if partition is not None:
        attrs[PARTITION] = str(partition)
    if offset is not None:
        attrs[OFFSET] = offset
    text = _text(key)
    if text is not None:
        attrs[MESSAGE_KEY] = text
    parent = context_from_headers(headers)
    return tracer.start_span(
        f"process {topic}", context=parent, kind=SpanKind.CONSUMER, attributes=attrs
    )


def faust_process_span(tracer: Tracer, message: Any, group: str) -> Span:
    """:func:`process_span` for a faust ``event.message`` (aiokafka transport: its headers
    are the record's)."""
    return process_span(
        tracer,
        message.topic,
        message.partition,
        message.offset,
        message.key,
        group,
        message.headers,
    )


def delivered(span: Span, partition: int | None, offset: int | None, error: str | None) -> None:
    """End a PRODUCER span with where the broker put the record (or why it did not)."""
    if error is not None:
        span.set_status(trace.Status(trace.StatusCode.ERROR, error))
    else:
        if partition is not None:
            span.set_attribute(PARTITION, str(partition))
        if offset is not None:
            span.set_attribute(OFFSET, offset)
    span.end()
