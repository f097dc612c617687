"""The aiohttp application of the EPCIS 2.0 capture interface (GS1 REST binding subset).

Routes: ``OPTIONS|POST|GET /capture``, ``OPTIONS|GET /capture/{captureID}``,
``OPTIONS|POST /events`` and ``GET /openapi.json``. Bodies are spooled to disk under a hard
size cap, checked synchronously (well-formed, event count), and captured by worker threads;
the jobs and the captured-event index live in SQLite, so a restart loses nothing and takes
up the jobs it interrupted.

Bad input gets its 400 only once its dead letter is acknowledged (a client error response
alone is no record): an unreadable ``POST /capture`` body (source ``capture``) and an
unreadable or invalid ``POST /events`` event (source ``events``). Invalid events inside a
capture job are dead-lettered by the job. Refused at the door and not dead-lettered: 413 (too
big), 415 (a media type we do not read), 406 and a 400 for a bad request header — the request
is turned away for what it is, not for what it holds, and the client still has it.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from connectors.capture import _responses as r
from connectors.capture._config import CaptureConfig
from connectors.capture._jobs import Behaviour, JobStore, job_document, new_capture_id
from connectors.capture._openapi import openapi_document
from connectors.capture._prepare import Refused, head
from connectors.capture._publish import DuplicateEvent, Publisher
from connectors.capture._scan import MalformedBody, TooManyEvents, count_events
from connectors.capture._single import single_event
from connectors.sdk import DeliveryError, Rejected
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


async def _dead_lettered(capture: _Capture, rejected: Rejected, title: str) -> web.Response:
    """400 for bad input once its dead letter is acknowledged; 500 if it could not be written."""
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(capture.events_pool, capture.publisher.dead_letter, rejected)
    except DeliveryError as exc:
        log.error("bad input from %s not dead-lettered: %s", rejected.source, exc)
        return r.problem_response(
            p.IMPLEMENTATION,
            "The bad input could not be dead-lettered",
            500,
            f"{rejected.message}; dead letter not acknowledged: {exc}",
        )
    return r.problem_response(p.VALIDATION, title, 400, rejected.message)


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return head(stream)


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


async def options_capture(request: web.Request) -> web.Response:
    cfg = request.app[CAPTURE].cfg
    return web.Response(
        status=204,
        headers=r.discovery("OPTIONS, POST, GET")
        | {
            "GS1-EPCIS-Capture-Limit": str(cfg.max_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(cfg.max_bytes),
            "GS1-Capture-Error-Behaviour": "all",
        },
    )


async def post_capture(request: web.Request) -> web.Response:
    capture = request.app[CAPTURE]
    cfg = capture.cfg
    kind = p.body_kind(request.content_type)
    if kind is None:
        return r.unsupported(request)
    refused = r.versions_problem(request)
    if refused is not None:
        return refused
    try:
        behaviour = p.behaviour_of(request.headers.get("GS1-Capture-Error-Behaviour"))
    except ValueError as exc:
        return r.problem_response(p.VALIDATION, "Invalid request header", 400, str(exc))
    spool = capture.bodies / f"{uuid.uuid4().hex}.part"
    try:
        try:
            with spool.open("wb") as sink:
                await _read_body(request, sink, cfg.max_bytes)
        except _TooLarge:
            return r.too_large(cfg, f"the body is larger than {cfg.max_bytes} bytes")
        loop = asyncio.get_running_loop()
        try:
            count = await loop.run_in_executor(None, count_events, spool, kind, cfg.max_events)
        except TooManyEvents as exc:
            return r.too_large(cfg, str(exc))
        except MalformedBody as exc:
            payload = await loop.run_in_executor(None, _head, spool)
            rejected = Rejected.from_exception(
                exc, source="capture", position="0", stage="parse", payload=payload
            )
            return await _dead_lettered(capture, rejected, "Unreadable EPCIS document")
        capture_id = new_capture_id()
        body = spool.rename(capture.bodies / capture_id)
    finally:
        spool.unlink(missing_ok=True)
    capture.store.create(capture_id, behaviour, request.content_type, count)
    capture.submit(capture_id, body, kind, behaviour)
    return web.Response(status=202, headers={"Location": f"/capture/{capture_id}", **r.versions()})


async def get_captures(request: web.Request) -> web.Response:
    if not p.accepts(request.headers.get("Accept"), _JSON):
        return r.not_acceptable("capture jobs are served as application/json")
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
        return None, r.problem_response(
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
        return r.not_acceptable("capture jobs are served as application/json")
    return web.json_response(job_document(job), headers={"GS1-EPCIS-Version": p.EPCIS_VERSION})


async def options_capture_job(request: web.Request) -> web.Response:
    _, missing = _job_or_404(request)
    return missing or web.Response(status=204, headers=r.discovery("OPTIONS, GET"))


async def options_events(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=r.discovery("OPTIONS, POST"))


async def post_events(request: web.Request) -> web.Response:
    capture = request.app[CAPTURE]
    kind = p.body_kind(request.content_type)
    if kind is None:
        return r.unsupported(request)
    refused = r.versions_problem(request)
    if refused is not None:
        return refused
    if not p.accepts(request.headers.get("Accept"), _JSON, "application/ld+json"):
        return r.not_acceptable("the captured event is answered as application/json")
    buffer = io.BytesIO()
    try:
        await _read_body(request, buffer, capture.cfg.max_bytes)
    except _TooLarge:
        return r.too_large(capture.cfg, f"the body is larger than {capture.cfg.max_bytes} bytes")
    body = buffer.getvalue()
    loop = asyncio.get_running_loop()
    try:
        event = single_event(body, kind)
        record = await loop.run_in_executor(
            capture.events_pool, capture.publisher.capture_event, event, kind
        )
    except DuplicateEvent as exc:
        return r.problem_response(p.ALREADY_EXISTS, "Event already captured", 409, str(exc))
    except Refused as exc:  # the body as sent is what can be repaired and replayed
        rejected = dataclasses.replace(exc.rejected, payload=body)
        return await _dead_lettered(capture, rejected, "Invalid EPCIS event")
    except EpcisParseError as exc:
        rejected = Rejected.from_exception(
            exc, source="events", position="0", stage="parse", payload=body
        )
        return await _dead_lettered(capture, rejected, "Unreadable EPCIS event")
    except (EpcisValidationError, ValueError) as exc:
        rejected = Rejected.from_exception(
            exc, source="events", position="0", stage="validate", payload=body
        )
        return await _dead_lettered(capture, rejected, "Invalid EPCIS event")
    except DeliveryError as exc:
        return r.problem_response(
            p.IMPLEMENTATION, "Kafka did not acknowledge the event", 500, str(exc)
        )
    captured = {"@context": merged_context([record]), **from_trace_event(record)}
    location = f"/events/{quote(record['eventID'], safe='')}"
    return web.json_response(captured, status=201, headers={"Location": location, **r.versions()})


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
        return r.problem_response(
            p.IMPLEMENTATION, "A server-side error occurred", 500, type(exc).__name__
        )


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
