"""A real PostgreSQL server for integration tests, from Debian's postgresql packages.

``initdb`` + ``pg_ctl`` in a temporary folder, listening on 127.0.0.1 only (a free port) and
on a unix socket inside that folder. The server refuses to run as root, so when the tests
run as root it runs as the ``postgres`` OS user (``runuser``), in a folder that user owns.
No binaries means a failed test saying to run ``make setup``: never a silent skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_binaries() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
            "run `make setup`, which installs the postgresql package"
        )
    return Path(found[-1]).parent


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _run(argv: list[str]) -> None:
    done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")


@dataclass(frozen=True)
class PostgresServer:
    folder: Path
    port: int
    bindir: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def create_database(self) -> str:
        """A fresh database; its DSN."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.folder / "server.log"
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options,
              "-w", "-t", "60", "start"])  # fmt: skip

    def stop(self) -> None:
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = server_binaries()
    # not under pytest's tmp_path: its parents are private to root, the server user
    # must be able to reach its data folder
    folder = Path(tempfile.mkdtemp(prefix="oretrail-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PostgresServer(folder, free_port(), bindir)
    try:
        _run([str(bindir / "initdb"), "-D", str(server.data), "-U", "postgres",
              "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip
        server.start()
        yield server
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            server.stop()  # already stopped when a test left it down
        shutil.rmtree(folder, ignore_errors=True)
