"""``oretrail run``'s service runner: services start together and stop together."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from oretrail.cli._capture import ServiceFailed, run_services


class Recorder:
    def __init__(self, name: str, *, fail_after: float | None = None) -> None:
        self.name = name
        self.fail_after = fail_after
        self.started = False
        self.stopped_cleanly = False

    async def run(self, stop: asyncio.Event) -> None:
        self.started = True
        if self.fail_after is not None:
            await asyncio.sleep(self.fail_after)
            raise RuntimeError(f"{self.name} broke")
        await stop.wait()
        self.stopped_cleanly = True


def test_sigterm_stops_every_service_cleanly() -> None:
    services = [Recorder("a"), Recorder("b")]

    async def scenario() -> None:
        asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGTERM)
        await run_services(services)

    asyncio.run(scenario())
    assert all(s.started and s.stopped_cleanly for s in services)
    # the handlers are gone again: the default SIGTERM disposition is back
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_sigint_stops_them_too() -> None:
    services = [Recorder("a")]

    async def scenario() -> None:
        asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGINT)
        await run_services(services)

    asyncio.run(scenario())
    assert services[0].stopped_cleanly


def test_one_failing_service_stops_the_others_and_is_reported() -> None:
    healthy = Recorder("healthy")
    broken = Recorder("broken", fail_after=0.1)
    with pytest.raises(ServiceFailed, match="service broken failed: RuntimeError"):
        asyncio.run(run_services([healthy, broken]))
    assert healthy.stopped_cleanly


def test_an_external_stop_event_ends_the_run() -> None:
    services = [Recorder("a"), Recorder("b")]

    async def scenario() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.1, stop.set)
        await run_services(services, stop)

    asyncio.run(scenario())
    assert all(s.stopped_cleanly for s in services)
