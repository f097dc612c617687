"""What a faust worker needs from telemetry: the ``/metrics`` page on its web server, and the
log format applied again once faust has set up its own logging (it replaces the root
handlers when the worker starts, after :func:`oretrail.telemetry.configure` ran)."""

from __future__ import annotations

from typing import Any

from oretrail.telemetry._logs import apply_format, log_format
from oretrail.telemetry._prometheus import register_faust_page


def instrument_faust(app: Any) -> None:
    """Register ``GET /metrics`` and the log format on a faust app (typed Any: faust ships
    no types). Call it before the worker starts."""
    register_faust_page(app)
    fmt = log_format()

    async def log_format_again() -> None:
        apply_format(fmt)

    app.task(log_format_again)
