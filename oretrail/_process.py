"""The lifecycle of a Java service this project runs itself on loopback (broker, registry).

Each service keeps a folder with a JSON status record (address, ports, pid, version) and its
logs. What they share lives here: a free loopback port, the record written atomically, a
start detached from the caller's terminal, a wait until the service answers, and a stop that
never signals a recycled pid and leaves no zombie behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import Field, asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

HOST = "127.0.0.1"


class Record(Protocol):
    """A service's status record: a dataclass with the pid of its process (None: stopped)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def pid(self) -> int | None: ...


R = TypeVar("R", bound=Record)


def free_port(host: str = HOST) -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def read_record(path: Path, make: Callable[..., R]) -> R | None:
    """The status record at ``path`` built by ``make``, or None if there is none."""
    if not path.exists():
        return None
    return make(**json.loads(path.read_text()))


def write_record(path: Path, record: Record) -> None:
    # Written then renamed, so a reader never sees half a file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    tmp.replace(path)


def reap(pid: int, wait_s: float = 0.0) -> None:
    """Collect ``pid`` if it is an exited child of this process, waiting up to ``wait_s``.

    When this process started the service it is our child: collected, no zombie is left.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # not our child, or collected already
        if done or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


@dataclass(frozen=True)
class Service:
    """One kind of service: how its process is recognised, where it logs, what it raises.

    ``marks`` must all appear in the command line of the service's process; ``logs`` are
    paths relative to the service's folder, shown (their last lines) when it fails to start.
    """

    name: str
    marks: tuple[bytes, ...]
    error: type[Exception]
    logs: tuple[str, ...]
    startup_timeout_s: float
    poll_s: float = 0.5
    stop_timeout_s: float = 30.0

    def owns(self, pid: int | None) -> bool:
        """True when ``pid`` is a live process of this service."""
        if pid is None:
            return False
        # A recycled pid must not be mistaken for the service, so the command line is checked.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return all(mark in cmdline for mark in self.marks)

    def log_tail(self, directory: Path, lines: int = 40) -> str:
        chunks = []
        for name in self.logs:
            path = directory / name
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                chunks.append(f"--- {path}\n" + "\n".join(tail))
        return "\n".join(chunks)

    def still_up(self, pid: int | None, answers: Callable[[], bool]) -> bool:
        """True when the recorded process runs and answers, False when it is gone.

        A process that runs but does not answer is an error: starting a second one would
        fight it for the ports and the data folder.
        """
        if not self.owns(pid):
            return False
        if answers():
            return True
        raise self.error(f"{self.name} pid {pid} is running but does not answer")

    def spawn(
        self, cmd: Sequence[str], log: Path, *, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``cmd`` with its output appended to ``log``."""
        with log.open("ab") as out:
            return subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                start_new_session=True,  # a Ctrl-C in the caller's terminal must not kill it
            )

    def wait_until_up(
        self, proc: subprocess.Popen[bytes], answers: Callable[[], bool], directory: Path
    ) -> None:
        """Return once ``answers()``; raise if the process exits or the time runs out."""
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise self.error(
                    f"{self.name} exited with {proc.returncode}\n{self.log_tail(directory)}"
                )
            if answers():
                return
            time.sleep(self.poll_s)
        self.terminate(proc.pid)
        raise self.error(
            f"{self.name} did not answer within {self.startup_timeout_s:.0f}s\n"
            f"{self.log_tail(directory)}"
        )

    def stop(self, path: Path, make: Callable[..., R]) -> bool:
        """Stop the process recorded at ``path`` and record it stopped; True if it was running."""
        info = read_record(path, make)
        if info is None or info.pid is None:
            return False
        was_running = self.owns(info.pid)
        if was_running:
            self.terminate(info.pid)
        write_record(path, dataclasses.replace(info, pid=None))
        return was_running

    def terminate(self, pid: int) -> None:
        """SIGTERM, wait for a clean exit, SIGKILL as a last resort."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        while time.monotonic() < deadline:
            # An exiting process's command line reads empty before it is a zombie to collect,
            # so the last reap waits for it.
            if not self.owns(pid):
                break
            reap(pid)
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        reap(pid, wait_s=5.0)
