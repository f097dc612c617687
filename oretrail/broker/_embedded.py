"""Start, watch and stop a single-node KRaft broker under ``<home>/broker``.

Layout of ``<home>/broker``: ``server.properties`` (generated), ``data/`` (log dirs,
formatted once with a persisted cluster id), ``logs/`` (server.log, stdout.log) and
``broker.json`` (bootstrap address, ports, pid, version). Ports are kept across
restarts so that clients holding the bootstrap address reconnect after a broker bounce.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from confluent_kafka.admin import AdminClient

from oretrail.broker._maven import resolve_jars
from oretrail.config import Settings

_STARTUP_TIMEOUT_S = 90.0
_STOP_TIMEOUT_S = 30.0


class BrokerError(RuntimeError):
    """The embedded broker could not be started, reached or stopped."""


@dataclass(frozen=True)
class BrokerInfo:
    bootstrap: str
    port: int
    controller_port: int
    pid: int | None
    version: str
    home: str

    @property
    def running(self) -> bool:
        return self.pid is not None and _is_broker_process(self.pid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_broker_process(pid: int) -> bool:
    # A recycled pid must not be mistaken for our broker, so the command line is checked.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline


def _read_info(directory: Path) -> BrokerInfo | None:
    path = directory / "broker.json"
    if not path.exists():
        return None
    return BrokerInfo(**json.loads(path.read_text()))


def _write_info(directory: Path, info: BrokerInfo) -> None:
    tmp = directory / "broker.json.tmp"
    tmp.write_text(json.dumps(asdict(info), indent=2) + "\n")
    tmp.replace(directory / "broker.json")


def _server_properties(directory: Path, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={directory / 'data'}",
            # Topics are created by the project with explicit partition counts, never implicitly.
            "auto.create.topics.enable=false",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            # Single member groups should not wait 3 s for peers that never come.
            "group.initial.rebalance.delay.ms=0",
            "log.retention.hours=-1",
            "",
        ]
    )


def _java_cmd(lib: Path, directory: Path, main: str, *args: str) -> list[str]:
    log4j = resources.files("oretrail.broker").joinpath("log4j2.yaml")
    return [
        os.environ.get("JAVA", "java"),
        "-Xms256m",
        "-Xmx1g",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        f"-Dkafka.logs.dir={directory / 'logs'}",
        "-cp",
        f"{lib}/*",
        main,
        *args,
    ]


def _format_storage(lib: Path, directory: Path, props: Path) -> None:
    if (directory / "data" / "meta.properties").exists():
        return
    id_file = directory / "cluster.id"
    if not id_file.exists():
        id_file.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
    cmd = _java_cmd(
        lib,
        directory,
        "kafka.tools.StorageTool",
        "format",
        # one token: a base64 id may start with "-", which a separate argument would
        # turn into an option (1 start in 64 failed to format)
        f"--cluster-id={id_file.read_text().strip()}",
        "-c",
        str(props),
        "--ignore-formatted",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BrokerError(f"formatting KRaft storage failed:\n{proc.stdout}{proc.stderr}")


def _answers_metadata(bootstrap: str, timeout: float = 2.0) -> bool:
    # log_level 0: "connection refused" while the JVM boots is expected, not worth printing
    admin = AdminClient(
        {"bootstrap.servers": bootstrap, "socket.timeout.ms": int(timeout * 1000), "log_level": 0}
    )
    try:
        md = admin.list_topics(timeout=timeout)
    except Exception:
        return False
    return bool(md.brokers)


def _log_tail(directory: Path, lines: int = 40) -> str:
    chunks = []
    for name in ("stdout.log", "server.log"):
        path = directory / "logs" / name
        if path.exists():
            chunks.append(f"--- {path}\n" + "\n".join(path.read_text().splitlines()[-lines:]))
    return "\n".join(chunks)


def status(settings: Settings) -> BrokerInfo | None:
    """The recorded broker, or None if it was never started under this home."""
    return _read_info(settings.broker_dir)


def start(
    settings: Settings, port: int | None = None, controller_port: int | None = None
) -> BrokerInfo:
    """Start the broker (or return the running one) and wait until it answers metadata."""
    directory = settings.broker_dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    previous = _read_info(directory)
    if previous is not None and previous.running:
        if _answers_metadata(previous.bootstrap, timeout=5.0):
            return previous
        raise BrokerError(f"broker pid {previous.pid} is running but does not answer")
    lib = resolve_jars(settings.cache_dir, settings.kafka_version)
    port = port or (previous.port if previous else None) or _free_port()
    controller_port = (
        controller_port or (previous.controller_port if previous else None) or _free_port()
    )
    props = directory / "server.properties"
    props.write_text(_server_properties(directory, port, controller_port))
    (directory / "logs").mkdir(exist_ok=True)
    _format_storage(lib, directory, props)
    bootstrap = f"127.0.0.1:{port}"
    with (directory / "logs" / "stdout.log").open("ab") as out:
        proc = subprocess.Popen(
            _java_cmd(lib, directory, "kafka.Kafka", str(props)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the caller's terminal must not kill it
        )
    info = BrokerInfo(
        bootstrap, port, controller_port, proc.pid, settings.kafka_version, str(directory)
    )
    _write_info(directory, info)
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokerError(f"broker exited with {proc.returncode}\n{_log_tail(directory)}")
        if _answers_metadata(bootstrap):
            return info
        time.sleep(0.5)
    _terminate(proc.pid)
    raise BrokerError(
        f"broker did not answer within {_STARTUP_TIMEOUT_S:.0f}s\n{_log_tail(directory)}"
    )


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _is_broker_process(pid):
            break
        _reap(pid)
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    _reap(pid)


def _reap(pid: int) -> None:
    # When this process started the broker it is our child: collect it so no zombie is left.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop(settings: Settings) -> bool:
    """Stop the broker cleanly; True if one was running."""
    directory = settings.broker_dir.resolve()
    info = _read_info(directory)
    if info is None or info.pid is None:
        return False
    was_running = info.running
    if was_running:
        _terminate(info.pid)
    _write_info(
        directory,
        BrokerInfo(info.bootstrap, info.port, info.controller_port, None, info.version, info.home),
    )
    return was_running


def kafka_version_from_log(settings: Settings) -> str | None:
    """The version the running broker reports in its own log (proof it is real Kafka)."""
    log = settings.broker_dir / "logs" / "server.log"
    if not log.exists():
        return None
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if "Kafka version:" in line:
            return line.split("Kafka version:", 1)[1].split("(", 1)[0].strip()
    return None
