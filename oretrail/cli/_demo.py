"""``oretrail demo``: the pipeline end to end on this machine, from an empty start.

Starts the embedded Kafka broker (unless ``--bootstrap`` names a cluster), creates the
topics, ingests the sample EPCIS documents through the EPCIS connector as Avro events,
then reads them back from the event log and prints them. Without ``--exit-when-done`` it
keeps the broker up for you to explore (``kcat -L -b <bootstrap>``) until Ctrl-C.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path
from typing import Any

import click
from confluent_kafka import Consumer, TopicPartition

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.sdk import StateStore
from oretrail import broker as embedded
from oretrail.cli._context import settings
from oretrail.cli._run import run_source, state_path
from oretrail.kafka import consumer_config, end_offsets, received
from oretrail.serde import serde_for

_SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "epcis"


def _samples() -> Path:
    if _SAMPLES.is_dir():
        return _SAMPLES
    return Path(str(resources.files("oretrail"))) / "_examples" / "epcis"


def _read_back(bootstrap: str, topic: str, since: dict[int, int]) -> list[Any]:
    consumer = Consumer(consumer_config(bootstrap, "oretrail-demo-reader"))
    try:
        ends = end_offsets(consumer, topic)
        todo = {p: end for p, end in ends.items() if end > since.get(p, 0)}
        consumer.assign([TopicPartition(topic, p, since.get(p, 0)) for p in todo])
        out = []
        while todo:
            msg = consumer.poll(10.0)
            if msg is None:
                break
            if msg.error() is not None:
                continue
            rec = received(msg)
            out.append(rec)
            if rec.offset + 1 >= todo.get(rec.partition, 0):
                todo.pop(rec.partition, None)
        return out
    finally:
        consumer.close()


def _ends(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = Consumer(consumer_config(bootstrap, "oretrail-demo-reader"))
    try:
        return end_offsets(consumer, topic)
    finally:
        consumer.close()


def _line(record: dict[str, Any], partition: int) -> str:
    what = record["outputQuantityList"] or record["quantityList"] or record["childQuantityList"]
    amounts = ", ".join(
        f"{q['quantity']:g} {q['uom'] or ''} of {q['epcClass']}".strip()
        for q in what
        if q.get("quantity") is not None
    )
    ids = record["outputEPCList"] or record["epcList"] or record["childEPCs"]
    return (
        f"p{partition} {record['eventTime']:%Y-%m-%d %H:%M}Z {record['eventType']:<19} "
        f"{record['bizStep'] or '-':<14} {amounts or ', '.join(ids)}"
    )


@click.command()
@click.option("--exit-when-done", is_flag=True, help="stop the broker and exit after printing")
@click.option("--show-json", is_flag=True, help="print each event as EPCIS 2.0 JSON-LD too")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def demo(exit_when_done: bool, show_json: bool, paths: tuple[Path, ...]) -> None:
    """Start Kafka, push the sample EPCIS documents through as Avro events, print them."""
    from oretrail.epcis import from_trace_event

    s = settings()
    started_here = False
    if s.bootstrap:
        bootstrap = s.bootstrap
    else:
        was_running = (info := embedded.status(s)) is not None and info.running
        click.echo("starting the embedded Apache Kafka broker (KRaft)...", err=True)
        info = embedded.start(s)
        started_here = not was_running
        bootstrap = info.bootstrap
        version = embedded.kafka_version_from_log(s)
        click.echo(f"Kafka {version} at {bootstrap} (data in {s.home})", err=True)
    ctx = click.get_current_context()
    ctx.find_root().obj = {**(ctx.find_root().obj or {}), "bootstrap": bootstrap}
    ctx.find_root().meta.pop("oretrail.settings", None)
    inputs = paths or (_samples(),)
    before = _ends(bootstrap, "oretrail.events")
    source = EpcisFileSource(EpcisFileConfig(paths=inputs))
    state = StateStore(state_path("demo", "samples"))
    counts = run_source(source, state)
    state.path.unlink(missing_ok=True)
    click.echo(
        f"ingested {len(source.files)} document(s): {counts.accepted} events accepted, "
        f"{counts.rejected} rejected"
    )
    serde = serde_for(settings())
    click.echo("read back from the oretrail.events topic (Avro, decoded):")
    decoded = [
        (rec, serde.decode("trace_event", rec.value, rec.topic))
        for rec in _read_back(bootstrap, "oretrail.events", before)
    ]
    for rec, record in sorted(decoded, key=lambda pair: pair[1]["eventTime"]):
        click.echo("  " + _line(record, rec.partition))
        click.echo(f"    key {rec.key.decode() if rec.key else '-'}  id {record['eventID']}")
        if show_json:
            click.echo(json.dumps(from_trace_event(record), indent=2, ensure_ascii=False))
    if exit_when_done:
        if started_here:
            embedded.stop(s)
            click.echo("broker stopped", err=True)
        return
    click.echo(
        f"the broker keeps running at {bootstrap}: try `kcat -L -b {bootstrap}`; Ctrl-C stops",
        err=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        if started_here:
            embedded.stop(s)
            click.echo("\nbroker stopped", err=True)
