"""``oretrail dlq show``: read the dead-letter topic and print each rejection readably."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from confluent_kafka import Consumer, TopicPartition

from connectors.sdk import DLQ_TOPIC, HEADER_PREFIX
from oretrail.cli._context import kafka_bootstrap, settings
from oretrail.kafka import consumer_config, end_offsets, received
from oretrail.serde import SerdeError, serde_for


def read_dead_letters(bootstrap: str, topic: str, limit: int) -> list[dict[str, Any]]:
    """Every dead letter on ``topic`` (up to ``limit``), oldest first, without joining a group."""
    consumer = Consumer(consumer_config(bootstrap, "oretrail-dlq-reader"))
    try:
        ends = end_offsets(consumer, topic)
        if not ends:
            raise click.ClickException(f"topic {topic} does not exist")
        consumer.assign([TopicPartition(topic, p, 0) for p in ends if ends[p] > 0])
        serde = serde_for(settings())
        out: list[dict[str, Any]] = []
        remaining = {p: end for p, end in ends.items() if end > 0}
        while remaining and len(out) < limit:
            msg = consumer.poll(5.0)
            if msg is None:
                break
            if msg.error() is not None:
                continue
            rec = received(msg)
            headers = {k: v.decode(errors="replace") for k, v in rec.headers.items()}
            try:
                value = serde.decode("dead_letter", rec.value, topic)
            except SerdeError as exc:
                value = {"undecodable": str(exc)}
            out.append(
                {
                    "partition": rec.partition,
                    "offset": rec.offset,
                    "headers": headers,
                    "value": value,
                }
            )
            if rec.offset + 1 >= remaining.get(rec.partition, 0):
                remaining.pop(rec.partition, None)
        return sorted(out, key=lambda d: str(d["value"].get("failedAt", "")))
    finally:
        consumer.close()


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.decode(errors="replace")
    raise TypeError(type(obj).__name__)


@click.group()
def dlq() -> None:
    """Inspect dead-lettered records."""


@dlq.command()
@click.option("--topic", default=DLQ_TOPIC, show_default=True)
@click.option("--limit", default=100, show_default=True, help="at most this many records")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def show(topic: str, limit: int, as_json: bool) -> None:
    """List dead letters: connector, stage, error, source position, and the start of the input."""
    for item in read_dead_letters(kafka_bootstrap(), topic, limit):
        if as_json:
            click.echo(json.dumps(item, default=_jsonable))
            continue
        v, h = item["value"], item["headers"]
        payload = (v.get("payload") or b"")[:120].decode(errors="replace").replace("\n", " ")
        click.echo(
            f"{v.get('failedAt', '?')}  {h.get(HEADER_PREFIX + 'connector.name', '?')}"
            f" [{v.get('stage', '?')}] {v.get('errorClass', '?')}: {v.get('errorMessage', '?')}\n"
            f"    at {v.get('source', '?')} @ {v.get('position', '?')}\n    input: {payload}"
        )
