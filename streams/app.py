"""The faust App of the processors: broker, RocksDB state, topics, tables.

Delivery guarantee: **at-least-once** with idempotent state updates and deterministic
outputs (faust's exactly-once is experimental and not used). Offsets are committed only
after an event was processed, so a crash re-delivers what was in flight; facts merge
idempotently (and a table of seen event ids skips re-merging), and passport updates are a
pure function of the fact set: a replay re-derives the same content hash and emits no new
version (at worst the same ``(productID, version, contentHash)`` twice, see
``streams.passports``). Alerts are keyed and emitted once per passport version that
introduces them, with the same at-worst-duplicate caveat.

Topology (``streams.processors``): ``oretrail.events`` (keyed by lot, many partitions) is
decoded and reduced to facts in parallel, then the facts are forwarded to the one-partition
internal topic ``<app id>-facts`` where the state lives. Lineage crosses any partitioning
of lots, and faust reads a table key only from the partition the current event came from,
so the fact set is kept in one partition: one worker at a time owns the state (others are
standbys and take over on rebalance); decoding and validation scale with the partitions of
``oretrail.events``.

State: RocksDB through rocksdict under ``<ORETRAIL_HOME>/worker/<app id>`` (or
``ORETRAIL_WORKER_DATA_DIR``), each table backed by a compacted changelog topic, so a
fresh state directory recovers from the broker.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import faust
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from oretrail.config import Settings


class WorkerConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_WORKER_")

    app_id: str = Field(default="oretrail-processors", description="faust app id = group id")
    events_topic: str = "oretrail.events"
    passports_topic: str = "oretrail.passport-updates"
    alerts_topic: str = "oretrail.alerts"
    dlq_topic: str = "oretrail.dlq"
    debounce_seconds: float = Field(
        default=2.0, gt=0, description="a lot's passport is updated once it was quiet this long"
    )
    batch_size: int = Field(
        default=1000, ge=1, description="facts applied per batch (each changed key written once)"
    )
    batch_seconds: float = Field(
        default=0.05, gt=0, description="a batch is applied at the latest this long after its first"
    )
    max_passports_per_tick: int = Field(
        default=2000, ge=1, description="passports recomputed per debounce tick at most"
    )
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=0, ge=0, le=65535, description="0: any free port")
    data_dir: Path | None = Field(default=None, description="default <home>/worker/<app id>")

    @property
    def facts_topic(self) -> str:
        return f"{self.app_id}-facts"

    def state_dir(self, home: Path) -> Path:
        return self.data_dir or home / "worker" / self.app_id


def record_path(home: Path, app_id: str) -> Path:
    """Where a running worker records its web address (read by ``oretrail trace``)."""
    return home / "worker" / f"{app_id}.json"


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def create_app(settings: Settings, bootstrap: str, cfg: WorkerConfig) -> Any:
    """The faust App (typed Any: faust ships no type information)."""
    port = cfg.web_port or free_port(cfg.web_host)
    state = cfg.state_dir(settings.home)
    state.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        cfg.app_id,
        broker=f"aiokafka://{bootstrap}",
        store="rocksdb://",
        datadir=str(state),
        topic_partitions=1,
        topic_replication_factor=1,
        # idempotent + acks=all like every other producer of the project (oretrail.kafka)
        producer_acks=-1,
        producer_compression_type="lz4",
        # each event sends ~10 changelog records: without a linger nearly every one went out
        # as its own batch and request; 5 ms batches them at no visible latency cost (the
        # passport debounce is 100x longer)
        producer_linger=0.005,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        # a worker killed without leaving the group holds its partitions this long
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
        web_enabled=True,
        web_bind=cfg.web_host,
        web_host=cfg.web_host,
        web_port=port,
        web_in_thread=False,
    )
