"""The HTTP paths the compose healthchecks and the chart's probes ask for are answered by the
real applications: the capture interface (with no broker reachable: a probe must not
depend on Kafka), the resolver over a file store after the sink's start published the DID
document, and faust's production index on the worker's web server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from connectors.capture import CaptureConfig
from connectors.capture._app import create_app
from oretrail.config import Settings
from oretrail.serde import serde_for
from sink.config import SinkSettings
from sink.pipeline import Publisher
from sink.resolver import create_resolver
from tests.deploy_support import PROBES


def get(app: Any, *paths: str) -> list[tuple[int, str]]:
    """GETs over real HTTP (aiohttp's test server on loopback): status and body of each."""

    async def run() -> list[tuple[int, str]]:
        out = []
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            for path in paths:
                response = await client.get(path)
                out.append((response.status, await response.text()))
        return out

    return asyncio.run(run())


def test_capture_answers_its_probe_without_kafka(tmp_path: Path) -> None:
    app = create_app(
        CaptureConfig(), home=tmp_path, bootstrap="127.0.0.1:1", serde=serde_for(Settings())
    )
    [(status, body)] = get(app, PROBES["capture"])
    assert status == 200
    assert "/capture" in json.loads(body)["paths"]


def test_resolver_answers_its_probes_once_the_sink_started(tmp_path: Path) -> None:
    cfg = SinkSettings(storage_url=(tmp_path / "credentials").as_uri(), key_dir=tmp_path / "k")
    publisher = Publisher(cfg, tmp_path)
    try:
        before = create_resolver(publisher.store, base_url=cfg.public_base_url)
        [(not_ready, _), (alive, _)] = get(before, PROBES["sink"], PROBES["sink-live"])
        assert (not_ready, alive) == (404, 200)
        publisher.start()
        app = create_resolver(publisher.store, base_url=cfg.public_base_url)
        [(status, body), (alive, text)] = get(app, PROBES["sink"], PROBES["sink-live"])
        assert status == 200
        assert json.loads(body)["id"] == cfg.did()
        assert alive == 200
        assert text.startswith("Not found")
    finally:
        publisher.close()


def test_worker_probe_is_fausts_production_index() -> None:
    from faust.web.apps.production_index import blueprint
    from faust.web.base import PRODUCTION_BLUEPRINTS

    assert ("", "faust.web.apps.production_index:blueprint") in PRODUCTION_BLUEPRINTS
    assert PROBES["worker"] in {route.uri for route in blueprint.routes}
