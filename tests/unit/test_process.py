"""``oretrail._process`` and ``oretrail._mavencache`` with real child processes.

The service here is a Python HTTP server (or a sleeper that ignores SIGTERM): what the
broker and the registry rely on — recognising their own pid, waiting until up, stopping
without a zombie, recording it — is exercised on processes that really start and die.
"""

from __future__ import annotations

import socket
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from oretrail._mavencache import MARKER, maven_cached
from oretrail._process import HOST, Service, free_port, read_record, write_record


class ServiceError(RuntimeError):
    pass


@dataclass(frozen=True)
class Info:
    port: int
    pid: int | None


def _service(tag: str, **timeouts: float) -> Service:
    return Service(
        "toy",
        marks=(b"http.server", tag.encode()),
        error=ServiceError,
        logs=("out.log",),
        startup_timeout_s=timeouts.get("startup", 30.0),
        poll_s=0.1,
        stop_timeout_s=timeouts.get("stop", 10.0),
    )


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _http_server(port: int, directory: Path, tag: str) -> list[str]:
    # the tag (an unused directory to serve) makes the command line unique to this test
    served = directory / tag
    served.mkdir(exist_ok=True)
    return [sys.executable, "-m", "http.server", "--bind", HOST, "-d", str(served), str(port)]


def test_record_round_trip_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "toy.json"
    assert read_record(path, Info) is None
    write_record(path, Info(8080, 42))
    assert read_record(path, Info) == Info(8080, 42)
    assert [p.name for p in tmp_path.iterdir()] == ["toy.json"]


def test_free_ports_are_bindable_on_loopback() -> None:
    port = free_port()
    with socket.socket() as s:
        s.bind((HOST, port))


def test_start_recognise_stop_and_record(tmp_path: Path) -> None:
    tag = f"toy-{uuid.uuid4().hex}"
    service, port, record = _service(tag), free_port(), tmp_path / "toy.json"
    proc = service.spawn(_http_server(port, tmp_path, tag), tmp_path / "out.log", cwd=tmp_path)
    write_record(record, Info(port, proc.pid))
    try:
        service.wait_until_up(proc, lambda: _answers(port), tmp_path)
        assert service.owns(proc.pid)
        assert not service.owns(None)
        assert not _service("someone-else").owns(proc.pid)
        assert service.still_up(proc.pid, lambda: _answers(port))
        with pytest.raises(ServiceError, match=f"toy pid {proc.pid} is running but does not"):
            service.still_up(proc.pid, lambda: False)
    finally:
        assert service.stop(record, Info) is True
    assert not Path(f"/proc/{proc.pid}").exists()  # stopped and reaped: not even a zombie
    assert read_record(record, Info) == Info(port, None)
    assert service.stop(record, Info) is False
    assert not service.still_up(proc.pid, lambda: True)


def test_a_process_deaf_to_sigterm_is_killed(tmp_path: Path) -> None:
    tag = f"deaf-{uuid.uuid4().hex}"
    service = Service("deaf", (tag.encode(),), ServiceError, (), 10.0, 0.05, stop_timeout_s=1.0)
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('deaf', flush=True); time.sleep(60)"
    )
    log = tmp_path / "out.log"
    proc = service.spawn([sys.executable, "-c", code, tag], log)
    # SIGTERM must come once it is ignored, or the test would prove nothing about SIGKILL
    service.wait_until_up(proc, lambda: log.read_text() == "deaf\n", tmp_path)
    record = tmp_path / "deaf.json"
    write_record(record, Info(0, proc.pid))
    assert service.stop(record, Info) is True
    assert not Path(f"/proc/{proc.pid}").exists()


def test_an_early_exit_is_reported_with_the_log(tmp_path: Path) -> None:
    service = _service("early")
    code = "import sys; print('cannot bind: boom'); sys.exit(3)"
    proc = service.spawn([sys.executable, "-c", code], tmp_path / "out.log")
    with pytest.raises(ServiceError, match=r"(?s)toy exited with 3.*out\.log.*cannot bind: boom"):
        service.wait_until_up(proc, lambda: False, tmp_path)


def test_a_service_that_never_answers_is_stopped(tmp_path: Path) -> None:
    tag = f"mute-{uuid.uuid4().hex}"
    service = _service(tag, startup=1.0)
    proc = service.spawn(_http_server(free_port(), tmp_path, tag), tmp_path / "out.log")
    with pytest.raises(ServiceError, match="toy did not answer within 1s"):
        service.wait_until_up(proc, lambda: False, tmp_path)
    assert not Path(f"/proc/{proc.pid}").exists()


def _fill(target: Path) -> Path:
    """``maven_cached`` with arguments that fail the test if Maven is ever run."""

    def unused(work: Path) -> list[str]:
        raise AssertionError("Maven must not run")

    return maven_cached(
        target,
        pom_package="oretrail.broker",
        arguments=unused,
        collect=lambda work: None,
        what="thing:1",
        error=ServiceError,
    )


def test_a_complete_cache_is_used_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "thing-1" / "lib"
    target.mkdir(parents=True)
    (target.parent / MARKER).write_text("thing-1\n")
    assert _fill(target) == target


def test_without_maven_the_cache_stays_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "thing-1" / "lib"
    with pytest.raises(ServiceError, match="`mvn` not found on PATH"):
        _fill(target)
    assert not (target.parent / MARKER).exists()
