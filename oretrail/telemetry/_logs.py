"""Logs that carry the trace: every record gets ``trace_id`` and ``span_id``; JSON lines.

The ids are added by a log record factory, not a handler filter, so they are on every
record whatever handler formats it (faust replaces the root handlers when its worker
starts). ``ORETRAIL_LOG_FORMAT=json`` makes the root handlers write one JSON object per
line (time, level, logger, message, trace_id, span_id, exception); ``text`` (the default)
leaves the format alone, and a format string can use ``%(trace_id)s`` / ``%(span_id)s``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

LOG_FORMAT_ENV = "ORETRAIL_LOG_FORMAT"
FORMATS = ("text", "json")

_installed = False


def log_format() -> str:
    """``text`` or ``json`` from ``ORETRAIL_LOG_FORMAT``; anything else is an error."""
    value = os.environ.get(LOG_FORMAT_ENV, "text").strip().lower() or "text"
    if value not in FORMATS:
        raise ValueError(f"{LOG_FORMAT_ENV}={value!r}: expected one of {', '.join(FORMATS)}")
    return value


def trace_ids() -> tuple[str, str]:
    """The current span's trace and span id in hex, or two empty strings."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return "", ""
    return trace.format_trace_id(ctx.trace_id), trace.format_span_id(ctx.span_id)


def install_record_factory() -> None:
    """Put ``trace_id`` and ``span_id`` on every log record from now on (once)."""
    global _installed
    if _installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.trace_id, record.span_id = trace_ids()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": getattr(record, "trace_id", ""),
            "span_id": getattr(record, "span_id", ""),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def apply_format(fmt: str) -> None:
    """``json``: every root handler formats JSON (a stderr handler is added when there is
    none); ``text``: handlers are left as they are."""
    if fmt != "json":
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())


def configure_logging(fmt: str | None = None) -> str:
    """Trace ids on every record, and the format asked for (default: the environment's)."""
    fmt = fmt or log_format()
    install_record_factory()
    apply_format(fmt)
    return fmt
