"""A real Eclipse Mosquitto broker (Debian's /usr/sbin/mosquitto) for the MQTT tests.

Started on a free loopback port with a generated config and persistence in a temporary
folder, so a restarted broker keeps sessions and queued messages like a plant broker does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BINARY = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mosquitto:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"

    def _write_config(self) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {data}/",
            f"log_dest file {self.log}",
            "log_type all",
            "max_queued_messages 10000",
        ]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to user mosquitto, which can't write here
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        binary = shutil.which("mosquitto") or (BINARY if Path(BINARY).exists() else None)
        if binary is None:
            pytest.fail(f"Mosquitto is not installed ({BINARY} is missing): run make setup")
        self._write_config()
        # Its own stderr (a warning when run as root) goes to a file beside the log.
        with (self.folder / "mosquitto.stderr").open("ab") as err:
            self.process = subprocess.Popen(
                [binary, "-c", str(self.config)], stdout=err, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log.read_text() if self.log.exists() else ""
                pytest.fail(f"mosquitto exited with {self.process.returncode}: {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"mosquitto did not listen on 127.0.0.1:{self.port} within 15 s")

    def stop(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file on the way out."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextmanager
def running_mosquitto(folder: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(folder)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
