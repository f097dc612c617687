"""``GET /metrics``: the process's metrics in the Prometheus text format.

The meter provider gets a Prometheus reader on a registry of its own (not the
prometheus_client global one, so nothing else ends up on the page); the page renders that
registry at each scrape. Routes: :func:`add_metrics_route` for an aiohttp application (the
resolver of ``oretrail sink`` / ``run``), :func:`register_faust_page` for the worker's faust
web server. When metrics are off the page answers 404 and says how to switch them on.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

PATH = "/metrics"
OFF = (
    b"metrics are off in this process: set ORETRAIL_METRICS (prometheus, console or "
    b"file://path) or OTEL_EXPORTER_OTLP_ENDPOINT\n"
)

_registry: CollectorRegistry | None = None


def new_reader() -> PrometheusMetricReader:
    """A reader for the meter provider; its registry is the one the page renders."""
    global _registry
    _registry = CollectorRegistry(auto_describe=True)
    return PrometheusMetricReader(registry=_registry)


def forget() -> None:
    global _registry
    _registry = None


def render() -> bytes | None:
    """The page, or None when metrics are off."""
    return None if _registry is None else generate_latest(_registry)


async def _aiohttp_page(request: web.Request) -> web.Response:
    body = render()
    if body is None:
        return web.Response(status=404, body=OFF, content_type="text/plain")
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_metrics_route(app: web.Application) -> None:
    """``GET /metrics`` on an aiohttp application (before it is started)."""
    app.router.add_get(PATH, _aiohttp_page)


def register_faust_page(app: Any) -> None:
    """``GET /metrics`` on a faust app's web server (typed Any: faust ships no types)."""

    async def metrics_page(web_: Any, request: Any) -> Any:
        body = render()
        if body is None:
            return web_.bytes(OFF, content_type="text/plain", status=404)
        return web_.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.page(PATH)(metrics_page)
