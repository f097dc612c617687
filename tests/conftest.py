"""Shared fixtures: the real Kafka broker for integration tests, and the standards folder.

Integration tests run against one real Apache Kafka broker per test session, started by
the project's own ``oretrail.broker`` under a temporary ``ORETRAIL_HOME`` and stopped at
the end. Set ``ORETRAIL_TEST_BOOTSTRAP`` to run them against an existing cluster instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oretrail import broker
from oretrail.broker._embedded import kafka_version_from_log
from oretrail.config import Settings

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = ROOT.parent / "shared" / "standards"


_BROKER_NOTES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for note in _BROKER_NOTES:
        terminalreporter.write_line(note)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts[0] == "integration":
            item.add_marker(pytest.mark.integration)
        elif parts[0] == "conformance":
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def standards() -> Path:
    """``../shared/standards`` beside the repository; conformance tests skip without it."""
    if not STANDARDS.is_dir():
        pytest.skip(
            f"standards folder {STANDARDS} is absent (a plain clone has no ../shared): "
            "conformance tests need the official GS1/UNTP/W3C files there"
        )
    return STANDARDS


@pytest.fixture(scope="session")
def kafka_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointing at a running real broker (embedded unless ORETRAIL_TEST_BOOTSTRAP)."""
    home = tmp_path_factory.mktemp("oretrail-home")
    external = os.environ.get("ORETRAIL_TEST_BOOTSTRAP")
    if external:
        _BROKER_NOTES.append(f"integration tests ran against the external cluster {external}")
        yield Settings(home=home, bootstrap=external)
        return
    settings = Settings(home=home)
    info = broker.start(settings)
    _BROKER_NOTES.append(
        f"integration tests ran against a real Apache Kafka broker, version "
        f"{kafka_version_from_log(settings)} (read from its server.log), KRaft, "
        f"bootstrap {info.bootstrap}, pid {info.pid}"
    )
    try:
        yield Settings(home=home, bootstrap=info.bootstrap)
    finally:
        broker.stop(settings)


@pytest.fixture(scope="session")
def bootstrap(kafka_settings: Settings) -> str:
    assert kafka_settings.bootstrap is not None
    return kafka_settings.bootstrap


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A topic / group name no other test (or earlier run) uses."""
    return f"t.{request.node.name[:40]}.{uuid.uuid4().hex[:8]}".replace("[", ".").replace("]", "")
