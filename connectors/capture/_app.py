"""The aiohttp application of the EPCIS 2.0 capture interface (GS1 REST binding subset).

Routes: ``OPTIONS|POST|GET /capture``, ``OPTIONS|GET /capture/{captureID}``,
``OPTIONS|POST /events`` and ``GET /openapi.json``. Bodies are spooled to disk under a hard
size cap, checked synchronously (well-formed, event count), and captured by worker threads;
the jobs and the captured-event index live in SQLite, so a restart loses nothing and takes
up the jobs it interrupted.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from aiohttp import web

from connectors.capture import _problems as p
from connectors.capture._config import CaptureConfig
from connectors.capture._jobs import Behaviour, JobStore, job_document, new_capture_id
from connectors.capture._openapi import openapi_document
from connectors.capture._publish import DuplicateEvent, Publisher
from connectors.capture._scan import MalformedBody, TooManyEvents, count_events
from connectors.capture._single import single_event
from connectors.sdk import DeliveryError
from oretrail.epcis import EpcisParseError, EpcisValidationError, from_trace_event, merged_context
from oretrail.serde import Serde

log = logging.getLogger(__name__)
_CHUNK = 64 * 1024
_JSON = "application/json"


class _Capture:
    """What the handlers share: config, job store, publisher, worker pools, running jobs."""

    def __init__(self, cfg: CaptureConfig, home: Path, bootstrap: str, serde: Serde) -> None:
        self.cfg = cfg
        self.bodies = home / "capture" / "bodies"
        self.bodies.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(home / "capture" / "capture.sqlite3")
        self.publisher = Publisher(cfg, bootstrap, serde, self.store)
        self.jobs_pool = ThreadPoolExecutor(cfg.workers, thread_name_prefix="capture-job")
        self.events_pool = ThreadPoolExecutor(4, thread_name_prefix="capture-event")
        self.running: set[asyncio.Future[bool]] = set()

    def submit(self, capture_id: str, body: Path, kind: p.BodyKind, behaviour: Behaviour) -> None:
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(
            self.jobs_pool, self.publisher.run_job, capture_id, body, kind, behaviour
        )
        self.running.add(job)
        job.add_done_callback(self._finished)

    def _finished(self, job: asyncio.Future[bool]) -> None:
        self.running.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("capture job crashed", exc_info=job.exception())

    def resume(self) -> None:
        """Take up the jobs a previous run left running; drop bodies no job needs."""
        wanted = set()
        for job in self.store.recover():
            body = self.bodies / job.capture_id
            kind = p.body_kind(job.media_type)
            if not body.is_file() or kind is None:
                lost = p.event_problem(None, "parse", "the request body was lost in a restart")
                self.store.add_errors(job.capture_id, [lost])
                self.store.finish(
                    job.capture_id, success=False, published=0, rejected=job.event_count
                )
                continue
            wanted.add(body.name)
            self.store.restart(job.capture_id)
            self.submit(job.capture_id, body, kind, job.behaviour)
            log.info("resuming capture job %s", job.capture_id)
        for leftover in self.bodies.iterdir():
            if leftover.name not in wanted:
                leftover.unlink(missing_ok=True)

    async def close(self) -> None:
        self.publisher.stop()
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
        self.jobs_pool.shutdown(wait=True)
        self.events_pool.shutdown(wait=True)
        await asyncio.get_running_loop().run_in_executor(None, self.publisher.close)
        self.store.close()


CAPTURE = web.AppKey("capture", _Capture)


class _TooLarge(Exception):
    pass


def _problem(
    kind: str, title: str, status: int, detail: str | None = None, **headers: str
) -> web.Response:
    return web.json_response(
        p.problem(kind, title, status, detail),
        status=status,
        content_type=p.PROBLEM_JSON,
        headers=headers or None,
    )


def _too_large(cfg: CaptureConfig, detail: str) -> web.Response:
    return _problem(
        p.CAPTURE_LIMIT,
        "Capture payload too large",
        413,
        detail,
        **{
            "GS1-EPCIS-Capture-Limit": str(cfg.max_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(cfg.max_bytes),
        },
    )


def _not_acceptable(detail: str) -> web.Response:
    return _problem(p.NOT_ACCEPTABLE, "Not acceptable", 406, detail)


def _versions_problem(request: web.Request) -> web.Response | None:
    headers = request.headers
    if not p.version_supported(headers.get("GS1-EPCIS-Version"), p.EPCIS_MIN, p.EPCIS_MAX):
        return _not_acceptable(f"GS1-EPCIS-Version must be {p.EPCIS_MIN} to {p.EPCIS_MAX}")
    if not p.version_supported(headers.get("GS1-CBV-Version"), p.CBV_MIN, p.CBV_MAX):
        return _not_acceptable(f"GS1-CBV-Version must be {p.CBV_MIN} to {p.CBV_MAX}")
    return None


def _unsupported(request: web.Request) -> web.Response:
    return _problem(
        p.UNSUPPORTED_MEDIA,
        "Unsupported Media Type",
        415,
        f"{request.content_type} is not one of {', '.join(p.MEDIA_TYPES)}",
    )


async def _read_body(request: web.Request, sink: IO[bytes], limit: int) -> None:
    """Copy the body to ``sink``; _TooLarge as soon as it passes ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _TooLarge
    total = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        sink.write(chunk)


def _versions() -> dict[str, str]:
    return {"GS1-EPCIS-Version": p.EPCIS_VERSION, "GS1-CBV-Version": p.CBV_VERSION}


async def options_capture(request: web.Request) -> web.Response:
    cfg = request.app[CAPTURE].cfg
    return web.Response(
        status=204,
        headers=_discovery("OPTIONS, POST, GET")
        | {
            "GS1-EPCIS-Capture-Limit": str(cfg.max_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(cfg.max_bytes),
            "GS1-Capture-Error-Behaviour": "all",
        },
    )


def _discovery(allow: str) -> dict[str, str]:
    return {
        "Allow": allow,
        **_versions(),
        "GS1-EPCIS-Min": p.EPCIS_MIN,
        "GS1-EPCIS-Max": p.EPCIS_MAX,
        "GS1-CBV-Min": p.CBV_MIN,
        "GS1-CBV-Max": p.CBV_MAX,
    }


async def post_capture(request: web.Request) -> web.Response:
    capture = request.app[CAPTURE]
    cfg = capture.cfg
    kind = p.body_kind(request.content_type)
    if kind is None:
        return _unsupported(request)
    refused = _versions_problem(request)
    if refused is not None:
        return refused
    try:
        behaviour = p.behaviour_of(request.headers.get("GS1-Capture-Error-Behaviour"))
    except ValueError as exc:
        return _problem(p.VALIDATION, "Invalid request header", 400, str(exc))
    spool = capture.bodies / f"{uuid.uuid4().hex}.part"
    try:
        try:
            with spool.open("wb") as sink:
                await _read_body(request, sink, cfg.max_bytes)
        except _TooLarge:
            return _too_large(cfg, f"the body is larger than {cfg.max_bytes} bytes")
        loop = asyncio.get_running_loop()
        try:
            count = await loop.run_in_executor(None, count_events, spool, kind, cfg.max_events)
        except TooManyEvents as exc:
            return _too_large(cfg, str(exc))
        except MalformedBody as exc:
            return _problem(p.VALIDATION, "Unreadable EPCIS document", 400, str(exc))
        capture_id = new_capture_id()
        body = spool.rename(capture.bodies / capture_id)
    finally:
        spool.unlink(missing_ok=True)
    capture.store.create(capture_id, behaviour, request.content_type, count)
    capture.submit(capture_id, body, kind, behaviour)
    return web.Response(status=202, headers={"Location": f"/capture/{capture_id}", **_versions()})


async def get_captures(request: web.Request) -> web.Response:
    if not p.accepts(request.headers.get("Accept"), _JSON):
        return _not_acceptable("capture jobs are served as application/json")
    capture = request.app[CAPTURE]
    size = p.per_page(request.query.get("perPage"), capture.cfg.page_size)
    after = p.page_token(request.query.get("nextPageToken"))
    jobs, next_after = capture.store.page(size, after) if after is not None else ([], None)
    headers = {"GS1-EPCIS-Version": p.EPCIS_VERSION}
    if next_after is not None:
        headers["Link"] = f'</capture?perPage={size}&nextPageToken={next_after}>; rel="next"'
    return web.json_response([job_document(j) for j in jobs], headers=headers)


def _job_or_404(request: web.Request) -> tuple[Any, web.Response | None]:
    job = request.app[CAPTURE].store.get(request.match_info["captureID"])
    if job is None:
        return None, _problem(
            p.NO_SUCH_NAME,
            "Resource not found",
            404,
            f"no capture job {request.match_info['captureID']}",
        )
    return job, None


async def get_capture(request: web.Request) -> web.Response:
    job, missing = _job_or_404(request)
    if missing is not None:
        return missing
    if not p.accepts(request.headers.get("Accept"), _JSON):
        return _not_acceptable("capture jobs are served as application/json")
    return web.json_response(job_document(job), headers={"GS1-EPCIS-Version": p.EPCIS_VERSION})


async def options_capture_job(request: web.Request) -> web.Response:
    _, missing = _job_or_404(request)
    return missing or web.Response(status=204, headers=_discovery("OPTIONS, GET"))


async def options_events(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=_discovery("OPTIONS, POST"))


async def post_events(request: web.Request) -> web.Response:
    capture = request.app[CAPTURE]
    kind = p.body_kind(request.content_type)
    if kind is None:
        return _unsupported(request)
    refused = _versions_problem(request)
    if refused is not None:
        return refused
    if not p.accepts(request.headers.get("Accept"), _JSON, "application/ld+json"):
        return _not_acceptable("the captured event is answered as application/json")
    buffer = io.BytesIO()
    try:
        await _read_body(request, buffer, capture.cfg.max_bytes)
    except _TooLarge:
        return _too_large(capture.cfg, f"the body is larger than {capture.cfg.max_bytes} bytes")
    loop = asyncio.get_running_loop()
    try:
        event = single_event(buffer.getvalue(), kind)
        record = await loop.run_in_executor(
            capture.events_pool, capture.publisher.capture_event, event, kind
        )
    except DuplicateEvent as exc:
        return _problem(p.ALREADY_EXISTS, "Event already captured", 409, str(exc))
    except EpcisParseError as exc:
        return _problem(p.VALIDATION, "Unreadable EPCIS event", 400, str(exc))
    except (EpcisValidationError, ValueError) as exc:
        return _problem(p.VALIDATION, "Invalid EPCIS event", 400, str(exc))
    except DeliveryError as exc:
        return _problem(p.IMPLEMENTATION, "Kafka did not acknowledge the event", 500, str(exc))
    captured = {"@context": merged_context([record]), **from_trace_event(record)}
    location = f"/events/{quote(record['eventID'], safe='')}"
    return web.json_response(captured, status=201, headers={"Location": location, **_versions()})


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[CAPTURE].cfg))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _implementation_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:  # an unexpected fault is a 500 problem, not a bare traceback page
        log.exception("capture request %s %s failed", request.method, request.path)
        return _problem(p.IMPLEMENTATION, "A server-side error occurred", 500, type(exc).__name__)


def create_app(cfg: CaptureConfig, *, home: Path, bootstrap: str, serde: Serde) -> web.Application:
    app = web.Application(client_max_size=cfg.max_bytes, middlewares=[_implementation_errors])
    capture = _Capture(cfg, home, bootstrap, serde)
    app[CAPTURE] = capture

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        capture.resume()
        yield
        await capture.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("OPTIONS", "/capture", options_capture)
    app.router.add_post("/capture", post_capture)
    app.router.add_get("/capture", get_captures, allow_head=False)
    app.router.add_route("OPTIONS", "/capture/{captureID}", options_capture_job)
    app.router.add_get("/capture/{captureID}", get_capture, allow_head=False)
    app.router.add_route("OPTIONS", "/events", options_events)
    app.router.add_post("/events", post_events)
    app.router.add_get("/openapi.json", get_openapi, allow_head=False)
    return app


@asynccontextmanager
async def serving(
    cfg: CaptureConfig, *, home: Path, bootstrap: str, serde: Serde
) -> AsyncIterator[str]:
    """Run the capture interface on ``cfg.host:cfg.port``; yields its base URL."""
    runner = web.AppRunner(create_app(cfg, home=home, bootstrap=bootstrap, serde=serde))
    await runner.setup()
    try:
        site = web.TCPSite(runner, cfg.host, cfg.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class CaptureService:
    """The capture interface as one of the long-running services of ``oretrail run``."""

    name = "capture"

    def __init__(
        self,
        cfg: CaptureConfig,
        *,
        home: Path,
        bootstrap: str,
        serde: Serde,
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.home = home
        self.bootstrap = bootstrap
        self.serde = serde
        self.on_ready = on_ready

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; running jobs are then left for the next start."""
        async with serving(
            self.cfg, home=self.home, bootstrap=self.bootstrap, serde=self.serde
        ) as url:
            if self.on_ready is not None:
                self.on_ready(url)
            await stop.wait()
