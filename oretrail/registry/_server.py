"""Start, watch and stop a local Apicurio Registry under ``<home>/registry``.

Layout of ``<home>/registry``: ``db/`` (H2 file database, so subjects and ids survive a
restart like the broker's topics do), ``logs/registry.log`` (the Quarkus console),
``tmp/`` (the JVM's and Apicurio's scratch space) and ``registry.json`` (URL, ports, pid,
version). It listens on loopback only; ports are kept across restarts so a client holding
the URL reconnects after a bounce.
"""

from __future__ import annotations

import http.client
from pathlib import Path

from oretrail._process import HOST, Service, free_port
from oretrail.config import Settings
from oretrail.registry._base import (
    CCOMPAT_PATH,
    INFO_FILE,
    RegistryError,
    RegistryInfo,
    read_info,
    write_info,
)
from oretrail.registry._java import find_java
from oretrail.registry._maven import APICURIO_VERSION, RUN_JAR, resolve

_REGISTRY = Service(
    "registry",
    # quarkus-run.jar alone could be any Quarkus app; the cache folder's name makes it ours.
    marks=(RUN_JAR.encode(), b"apicurio-"),
    error=RegistryError,
    logs=("logs/registry.log",),
    startup_timeout_s=120.0,
    poll_s=0.25,
)


def registry_dir(home: Path) -> Path:
    return home / "registry"


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


def is_running(info: RegistryInfo) -> bool:
    return _REGISTRY.owns(info.pid)


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
    if previous is not None and _REGISTRY.still_up(
        previous.pid, lambda: answers(previous.port, timeout=5.0)
    ):
        return previous
    app = resolve(cache_dir or Settings().cache_dir, version)
    java = java or find_java()
    port = port or (previous.port if previous else None) or free_port()
    management_port = (previous.management_port if previous else None) or free_port()
    for sub in ("db", "logs", "tmp"):
        (directory / sub).mkdir(exist_ok=True)
    proc = _REGISTRY.spawn(
        java_command(java, app, directory, port, management_port),
        directory / "logs" / "registry.log",
        cwd=directory,
    )
    info = RegistryInfo(
        f"http://{HOST}:{port}", port, management_port, proc.pid, version, str(directory)
    )
    write_info(directory, info)
    _REGISTRY.wait_until_up(proc, lambda: answers(port), directory)
    return info


def stop(home: Path) -> bool:
    """Stop the registry cleanly (SIGTERM, SIGKILL as a last resort); True if one was running."""
    return _REGISTRY.stop(registry_dir(home).resolve() / INFO_FILE, RegistryInfo)
