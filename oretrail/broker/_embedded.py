"""Start, watch and stop a single-node KRaft broker under ``<home>/broker``.

Layout of ``<home>/broker``: ``server.properties`` (generated), ``data/`` (log dirs,
formatted once with a persisted cluster id), ``logs/`` (server.log, stdout.log) and
``broker.json`` (bootstrap address, ports, pid, version). Ports are kept across
restarts so that clients holding the bootstrap address reconnect after a broker bounce.
"""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from confluent_kafka.admin import AdminClient

from oretrail._process import HOST, Service, free_port, read_record, write_record
from oretrail.broker._maven import resolve_jars
from oretrail.config import Settings

_INFO_FILE = "broker.json"


class BrokerError(RuntimeError):
    """The embedded broker could not be started, reached or stopped."""


_BROKER = Service(
    "broker",
    marks=(b"kafka.Kafka",),
    error=BrokerError,
    logs=("logs/stdout.log", "logs/server.log"),
    startup_timeout_s=90.0,
)


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
        return _BROKER.owns(self.pid)


def _read_info(directory: Path) -> BrokerInfo | None:
    return read_record(directory / _INFO_FILE, BrokerInfo)


def _write_info(directory: Path, info: BrokerInfo) -> None:
    write_record(directory / _INFO_FILE, info)


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
    if previous is not None and _BROKER.still_up(
        previous.pid, lambda: _answers_metadata(previous.bootstrap, timeout=5.0)
    ):
        return previous
    lib = resolve_jars(settings.cache_dir, settings.kafka_version)
    port = port or (previous.port if previous else None) or free_port()
    controller_port = (
        controller_port or (previous.controller_port if previous else None) or free_port()
    )
    props = directory / "server.properties"
    props.write_text(_server_properties(directory, port, controller_port))
    (directory / "logs").mkdir(exist_ok=True)
    _format_storage(lib, directory, props)
    bootstrap = f"{HOST}:{port}"
    proc = _BROKER.spawn(
        _java_cmd(lib, directory, "kafka.Kafka", str(props)), directory / "logs" / "stdout.log"
    )
    info = BrokerInfo(
        bootstrap, port, controller_port, proc.pid, settings.kafka_version, str(directory)
    )
    _write_info(directory, info)
    _BROKER.wait_until_up(proc, lambda: _answers_metadata(bootstrap), directory)
    return info


def stop(settings: Settings) -> bool:
    """Stop the broker cleanly; True if one was running."""
    return _BROKER.stop(settings.broker_dir.resolve() / _INFO_FILE, BrokerInfo)


def kafka_version_from_log(settings: Settings) -> str | None:
    """The version the running broker reports in its own log (proof it is real Kafka)."""
    log = settings.broker_dir / "logs" / "server.log"
    if not log.exists():
        return None
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if "Kafka version:" in line:
            return line.split("Kafka version:", 1)[1].split("(", 1)[0].strip()
    return None
