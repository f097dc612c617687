from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from oretrail.config import KAFKA_VERSION, Settings


def test_environment_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORETRAIL_HOME", "/srv/oretrail")
    monkeypatch.setenv("ORETRAIL_BOOTSTRAP", "kafka-1:9092")
    s = Settings()
    assert s.home == Path("/srv/oretrail")
    assert s.bootstrap == "kafka-1:9092"
    assert s.broker_dir == Path("/srv/oretrail/broker")
    assert s.kafka_version == KAFKA_VERSION


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="bootstrap_servers"):
        Settings(bootstrap_servers="x")  # type: ignore[call-arg]


def test_frozen() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.home = Path("/elsewhere")  # type: ignore[misc]


def test_registry_password_is_secret() -> None:
    s = Settings(schema_registry_url="https://r", schema_registry_password="hunter2")
    assert "hunter2" not in repr(s)
    assert "hunter2" not in str(s.model_dump())
