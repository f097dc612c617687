"""The worker's web endpoint: ``GET /trace/{id}`` answers from the live tables.

``id`` is the lot's Digital Link URI, percent-encoded as one path segment (or not: the
route takes the rest of the path). The address the worker listens on is recorded in
``<ORETRAIL_HOME>/worker/<app id>.json`` for ``oretrail trace``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from oretrail import telemetry
from streams.processors import Processors


def lot_known(processors: Processors, lot: str) -> bool:
    view = processors.view
    return bool(
        view.lot(lot)
        or view.produced_by(lot)
        or view.aggregations_of(lot)
        or view.consumed_by(lot)
        or view.parents_of(lot)
    )


def register(app: Any, processors: Processors, record: Path) -> None:
    # /metrics on faust's web server; JSON logs again after faust replaced the handlers
    telemetry.instrument_faust(app)

    async def trace(web: Any, request: Any, lot: str) -> Any:
        lot = unquote(lot)
        if not lot_known(processors, lot):
            return web.json({"error": f"no facts about {lot}"}, status=404)
        return web.json(processors.trace(lot))

    async def announce() -> None:
        conf = app.conf
        info = {
            "url": f"http://{conf.web_host}:{conf.web_port}",
            "pid": os.getpid(),
            "appId": processors.cfg.app_id,
            "eventsTopic": processors.cfg.events_topic,
            "factsTopic": processors.cfg.facts_topic,
        }
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(record)

    app.page("/trace/{lot:.+}")(trace)
    app.task(announce)
