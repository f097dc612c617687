"""Settings shared by every role: where state lives and how to reach Kafka.

One frozen model per boundary; this one is the process-wide core. Values come from
``ORETRAIL_*`` environment variables or explicit keyword arguments, and unknown keys
are rejected so a typo never silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

KAFKA_VERSION = "4.4.0"
"""The Apache Kafka release the embedded broker runs (see README: Kafka version)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORETRAIL_", frozen=True, extra="forbid")

    home: Path = Field(default=Path("var"), description="data directory (state, broker, storage)")
    bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers; unset means the embedded broker under `home`",
    )
    schema_registry_url: str | None = Field(
        default=None,
        description="Confluent-compatible registry (http://, https://, mock://); "
        "unset means registry-less Avro single-object encoding",
    )
    schema_registry_user: str | None = None
    schema_registry_password: SecretStr | None = None
    kafka_version: str = KAFKA_VERSION
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "oretrail",
        description="where resolved broker jars are cached, outside the repository",
    )

    metrics: str = Field(
        default="off",
        pattern=r"^(off|console|prometheus|file://.+)$",
        description="where OpenTelemetry metrics go besides /metrics: off, console (stderr), "
        "prometheus (only the /metrics endpoints), file://path.jsonl",
    )
    traces: str = Field(
        default="off",
        pattern=r"^(off|console|file://.+)$",
        description="where OpenTelemetry spans go: off, console (stderr), file://path.jsonl "
        "(each process appends); OTLP too when OTEL_EXPORTER_OTLP_ENDPOINT is set",
    )

    @property
    def broker_dir(self) -> Path:
        return self.home / "broker"
