"""``--stream``: feed a running pipeline instead of (as well as) writing files.

The EPCIS documents are POSTed to the capture interface (``POST /capture``, the EPCIS 2.0
REST binding ``oretrail capture`` / ``oretrail run`` serve on ``ORETRAIL_CAPTURE_HOST`` :
``ORETRAIL_CAPTURE_PORT``), in the order the sites send them (late documents last), paced
to ``rate`` events per second. The capture interface takes JSON-LD, EPCIS 2.0 XML and 1.2
XML alike. ERP extracts, staging rows and MQTT telemetry have no push interface in the
pipeline: they are written to the folder for their connectors (erp-file, erp-postgres,
mqtt) as without ``--stream``.

Each capture asks for ``GS1-Capture-Error-Behaviour: proceed``, as ingesting the files
does: an invalid event is dead-lettered and the document's other events go on. A body the
capture interface cannot read at all is answered 400 (and dead-lettered by it); events
captured before are listed as duplicates and not published again.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.feeds import FeedFile

MEDIA_TYPES = {
    "epcis-json-2.0": "application/ld+json",
    "epcis-xml-2.0": "application/xml",
    "epcis-xml-1.2": "application/xml",
}


def schedule(files: Sequence[FeedFile], rate: float) -> list[tuple[float, FeedFile]]:
    """(seconds after the start, document) for every EPCIS document: in delivery order, each
    sent when the events before it have had their share of time at ``rate`` events/s. A
    document without events (one that cannot be read) takes the time of one."""
    if not rate > 0:
        raise ValueError(f"rate must be positive, got {rate}")
    documents = sorted(
        (f for f in files if f.format in MEDIA_TYPES), key=lambda f: (f.delivered, f.path)
    )
    out = []
    sent = 0
    for f in documents:
        out.append((sent / rate, f))
        sent += max(1, f.events + len(f.rejected))
    return out


@dataclass
class Streamed:
    documents: int = 0
    events: int = 0
    #: path -> capture job location (202 Accepted: the job says what became of each event)
    jobs: dict[str, str] = field(default_factory=dict)
    #: path -> HTTP status and problem title of a refused document (400: dead-lettered)
    refused: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


Post = Callable[[str, bytes, str], tuple[int, dict[str, str], bytes]]


def http_post(url: str, body: bytes, media_type: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": media_type, "GS1-Capture-Error-Behaviour": "proceed"}
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's capture API
        url, data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def stream(
    files: Sequence[FeedFile],
    capture_url: str,
    rate: float,
    post: Post = http_post,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[Streamed], None] | None = None,
) -> Streamed:
    """POST each EPCIS document to ``capture_url`` (``.../capture``) on schedule."""
    done = Streamed()
    start = clock()
    for offset, f in schedule(files, rate):
        wait = start + offset - clock()
        if wait > 0:
            sleep(wait)
        status, headers, body = post(capture_url, f.data, MEDIA_TYPES[f.format])
        done.documents += 1
        done.events += f.events
        if status == 202:
            done.jobs[f.path] = headers.get("Location", "")
        else:
            done.refused[f.path] = f"{status} {_title(body)}"
        if progress is not None:
            progress(done)
    done.seconds = clock() - start
    return done


def _title(body: bytes) -> str:
    try:
        problem: Any = json.loads(body)
    except ValueError:
        return body[:200].decode(errors="replace")
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or "")
    return ""
