"""Configuration of the EPCIS capture interface (env ``ORETRAIL_CAPTURE_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.sdk import DLQ_TOPIC


class CaptureConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_CAPTURE_")

    host: str = Field(
        default="127.0.0.1", description="address to bind; loopback unless opened on purpose"
    )
    port: int = Field(default=8080, ge=0, le=65535, description="TCP port; 0 picks a free one")
    max_events: int = Field(
        default=10_000, ge=1, description="events per capture call (GS1-EPCIS-Capture-Limit)"
    )
    max_bytes: int = Field(
        default=32 << 20, ge=1, description="request body size (GS1-EPCIS-Capture-File-Size-Limit)"
    )
    max_event_bytes: int = Field(
        default=1 << 20, gt=0, description="larger XML events are rejected"
    )
    topic: str = Field(default="oretrail.events", description="where captured TraceEvents go")
    dlq_topic: str = Field(
        default=DLQ_TOPIC, description="where invalid events and unreadable bodies go"
    )
    workers: int = Field(
        default=2, ge=1, le=32, description="capture jobs processed at the same time"
    )
    ack_timeout_s: float = Field(
        default=60.0, gt=0, description="how long to wait for Kafka's acks"
    )
    page_size: int = Field(default=30, ge=1, le=1000, description="default perPage of GET /capture")
