"""The local registry's lifecycle: start, idempotent start, restart keeps data and port, stop."""

from __future__ import annotations

import json
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from oretrail import registry
from oretrail.registry._server import answers, is_running
from oretrail.serde import raw_schema

_LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}  # 127.0.0.1, v4 and v4-mapped


def _listening(pid: int) -> set[tuple[str, int]]:
    """(hex address, port) of the TCP sockets ``pid`` listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink()) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                address, port = cols[1].split(":")
                found.add((address, int(port, 16)))
    return found


def test_start_restart_stop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    info = registry.start(home)
    try:
        assert info.version == registry.APICURIO_VERSION
        assert is_running(info)
        assert info.pid is not None
        assert json.loads((home / "registry" / "registry.json").read_text())["pid"] == info.pid
        listening = _listening(info.pid)
        assert {port for _, port in listening} == {info.port, info.management_port}
        assert {address for address, _ in listening} <= _LOOPBACK
        assert registry.start(home) == info  # already running: same process, no second JVM

        subject = "lifecycle-value"
        client = SchemaRegistryClient({"url": info.ccompat_url})
        schema_id = client.register_schema(
            subject, Schema(json.dumps(raw_schema("dead_letter")), "AVRO")
        )

        assert registry.stop(home) is True
        assert not is_running(info)
        assert not answers(info.port)
        stopped = registry.status(home)
        assert stopped is not None
        assert stopped.pid is None

        again = registry.start(home)
        assert again.pid != info.pid
        assert again.port == info.port  # clients holding the URL reconnect after a bounce
        client = SchemaRegistryClient({"url": again.ccompat_url})
        assert client.get_subjects() == [subject]
        assert client.get_latest_version(subject).schema_id == schema_id
    finally:
        registry.stop(home)
    final = registry.status(home)
    assert final is not None
    assert final.pid is None
    assert not Path(f"/proc/{again.pid}").exists()  # no JVM left behind, not even a zombie
    assert registry.stop(home) is False
