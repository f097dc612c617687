"""JSON lines that several processes append to one file (``file://`` exporters).

``oretrail run`` and its worker process share the ``ORETRAIL_TRACES`` / ``ORETRAIL_METRICS``
settings, so both write the same file. Each export is written with one ``write`` on an
``O_APPEND`` descriptor: the kernel places it at the end of the file, so lines from
different processes never interleave (a buffered text file could split a long line into
several writes).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class AppendOnly:
    """A write-only text sink for ``path``: every ``write`` is one append."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        os.write(self._fd, data)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def span_line(span: ReadableSpan) -> str:
    text: str = span.to_json(indent=None)
    return text + "\n"


class JsonLinesSpanExporter(SpanExporter):
    """Finished spans as JSON lines (the SDK's span JSON), one append per batch."""

    def __init__(self, out: AppendOnly) -> None:
        self._out = out

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if spans:
            self._out.write("".join(span_line(s) for s in spans))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._out.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
