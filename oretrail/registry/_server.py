"""Start, watch and stop a local Apicurio Registry under ``<home>/registry``.

Layout of ``<home>/registry``: ``db/`` (H2 file database, so subjects and ids survive a
restart like the broker's topics do), ``logs/registry.log`` (the Quarkus console),
``tmp/`` (the JVM's and Apicurio's scratch space) and ``registry.json`` (URL, ports, pid,
version). It listens on loopback only; ports are kept across restarts so a client holding
the URL reconnects after a bounce.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from oretrail.config import Settings
from oretrail.registry._base import (
    CCOMPAT_PATH,
    RegistryError,
    RegistryInfo,
    read_info,
    write_info,
)
from oretrail.registry._java import find_java
from oretrail.registry._maven import APICURIO_VERSION, RUN_JAR, resolve

_STARTUP_TIMEOUT_S = 120.0
_STOP_TIMEOUT_S = 30.0
HOST = "127.0.0.1"


def registry_dir(home: Path) -> Path:
    return home / "registry"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def java_command(
    java: str, app: Path, directory: Path, port: int, management_port: int
) -> list[str]:
    """The registry's command line; every setting is a runtime override of Apicurio's own."""
    return [
        java,
        "-Xms64m",
        "-Xmx512m",
        # A test and dev registry: C1 alone and the serial collector halve start-up on 2 cores.
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        f"-Djava.io.tmpdir={directory / 'tmp'}",
        f"-Dquarkus.http.host={HOST}",
        f"-Dquarkus.http.port={port}",
        f"-Dquarkus.management.host={HOST}",
        f"-Dquarkus.management.port={management_port}",
        f"-Dapicurio.datasource.url=jdbc:h2:file:{directory / 'db' / 'registry'}",
        f"-Dapicurio.storage.snapshot.location={directory / 'tmp'}",
        f"-Dapicurio.import.work-dir={directory / 'tmp'}",
        "-jar",
        str(app / RUN_JAR),
    ]


def _is_registry_process(pid: int) -> bool:
    # A recycled pid must not be mistaken for our registry, so the command line is checked.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return RUN_JAR.encode() in cmdline and b"apicurio-" in cmdline


def is_running(info: RegistryInfo) -> bool:
    return info.pid is not None and _is_registry_process(info.pid)


def answers(port: int, timeout: float = 2.0) -> bool:
    """True when the ccompat API lists subjects (storage is up, not just the HTTP port)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", CCOMPAT_PATH + "/subjects")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _log_tail(directory: Path, lines: int = 40) -> str:
    path = directory / "logs" / "registry.log"
    if not path.exists():
        return ""
    return f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def status(home: Path) -> RegistryInfo | None:
    """The recorded registry, or None if it was never started under this home."""
    return read_info(registry_dir(home).resolve())


def start(
    home: Path,
    port: int | None = None,
    *,
    cache_dir: Path | None = None,
    version: str = APICURIO_VERSION,
    java: str | None = None,
) -> RegistryInfo:
    """Start the registry (or return the running one) and wait until its ccompat API answers."""
    directory = registry_dir(home).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    previous = read_info(directory)
    if previous is not None and is_running(previous):
        if answers(previous.port, timeout=5.0):
            return previous
        raise RegistryError(f"registry pid {previous.pid} is running but does not answer")
    app = resolve(cache_dir or Settings().cache_dir, version)
    java = java or find_java()
    port = port or (previous.port if previous else None) or _free_port()
    management_port = (previous.management_port if previous else None) or _free_port()
    for sub in ("db", "logs", "tmp"):
        (directory / sub).mkdir(exist_ok=True)
    with (directory / "logs" / "registry.log").open("ab") as out:
        proc = subprocess.Popen(
            java_command(java, app, directory, port, management_port),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=directory,
            start_new_session=True,  # a Ctrl-C in the caller's terminal must not kill it
        )
    info = RegistryInfo(
        f"http://{HOST}:{port}", port, management_port, proc.pid, version, str(directory)
    )
    write_info(directory, info)
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RegistryError(f"registry exited with {proc.returncode}\n{_log_tail(directory)}")
        if answers(port):
            return info
        time.sleep(0.25)
    _terminate(proc.pid)
    raise RegistryError(
        f"registry did not answer within {_STARTUP_TIMEOUT_S:.0f}s\n{_log_tail(directory)}"
    )


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        _reap(pid)
        if not _is_registry_process(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    _reap(pid)


def _reap(pid: int) -> None:
    # When this process started the registry it is our child: collect it so no zombie is left.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop(home: Path) -> bool:
    """Stop the registry cleanly (SIGTERM, SIGKILL as a last resort); True if one was running."""
    directory = registry_dir(home).resolve()
    info = read_info(directory)
    if info is None or info.pid is None:
        return False
    was_running = is_running(info)
    if was_running:
        _terminate(info.pid)
    write_info(
        directory,
        RegistryInfo(info.url, info.port, info.management_port, None, info.version, info.home),
    )
    return was_running
