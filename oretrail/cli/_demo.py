"""``oretrail demo``: the pipeline end to end on this machine, from an empty start.

Starts the embedded Kafka broker (unless ``--bootstrap`` names a cluster), creates the
topics, ingests the sample EPCIS documents through the EPCIS connector as Avro events and
shows them as read back from the event log; then runs the stream processors, the credential
sink and the resolver until every passport is signed, and prints what the pipeline made,
the resolver link and QR code of one product, and the verification of its passport. Without
``--exit-when-done`` the pipeline keeps serving (resolver, ``oretrail trace``) until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click
from confluent_kafka import Consumer, TopicPartition

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.sdk import StateStore
from oretrail import broker as embedded
from oretrail.cli._capture import ServiceFailed
from oretrail.cli._context import settings
from oretrail.cli._credentials import check
from oretrail.cli._demo_pipeline import ALERTS, DLQ, made, run_pipeline, showcase, topic_ends
from oretrail.cli._run import run_source, state_path
from oretrail.cli._sink import sink_settings
from oretrail.config import Settings
from oretrail.kafka import consumer_config, end_offsets, received
from oretrail.serde import serde_for
from sink.config import SinkSettings
from sink.jose import VerificationError, Verified
from sink.jose._fetch import FetchError
from sink.resolver import from_text
from sink.resolver._qr import qr_symbol

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
@click.option("--exit-when-done", is_flag=True, help="stop everything and exit after the summary")
@click.option("--show-json", is_flag=True, help="print each event as EPCIS 2.0 JSON-LD too")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def demo(exit_when_done: bool, show_json: bool, paths: tuple[Path, ...]) -> None:
    """Start Kafka, ingest the sample EPCIS documents, run the whole pipeline (processors,
    credential sink, resolver) and show the passports it signs.

    \b
    Examples:
      oretrail demo                       # the sample chain, then serve until Ctrl-C
      oretrail demo --exit-when-done      # for scripts
      oretrail demo my-documents/         # your own EPCIS documents
    """
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
    try:
        _ingest_and_run(bootstrap, paths, show_json, exit_when_done)
    finally:
        if started_here:
            embedded.stop(s)
            click.echo("broker stopped", err=True)


def _ingest_and_run(
    bootstrap: str, paths: tuple[Path, ...], show_json: bool, exit_when_done: bool
) -> None:
    core = settings()
    inputs = paths or (_samples(),)
    before = _ends(bootstrap, "oretrail.events")
    counters = topic_ends(bootstrap, [ALERTS, DLQ])
    source = EpcisFileSource(EpcisFileConfig(paths=inputs))
    state = StateStore(state_path("demo", "samples"))
    counts = run_source(source, state)
    state.path.unlink(missing_ok=True)
    click.echo(
        f"ingested {len(source.files)} document(s): {counts.accepted} events accepted, "
        f"{counts.rejected} rejected"
    )
    _show_events(bootstrap, before, show_json)
    sink = _sink_settings(paths)
    click.echo(
        "running the stream processors, the credential sink and the resolver "
        f"({sink.public_base_url}) until every passport is signed...",
        err=True,
    )

    def summary() -> None:
        _print_summary(core, sink, bootstrap, counts.accepted, counters)

    try:
        asyncio.run(run_pipeline(core, sink, bootstrap, summary, keep_serving=not exit_when_done))
    except ServiceFailed as exc:
        raise click.ClickException(str(exc)) from exc


def _sink_settings(paths: tuple[Path, ...]) -> SinkSettings:
    cfg = sink_settings()
    sample_facilities = _samples() / "facilities.yaml"
    if cfg.facilities is None and not paths and sample_facilities.is_file():
        # the sample chain's facility master data, so its facility records are issued too
        return cfg.model_copy(update={"facilities": sample_facilities})
    return cfg


def _show_events(bootstrap: str, before: dict[int, int], show_json: bool) -> None:
    from oretrail.epcis import from_trace_event

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


def _print_summary(
    core: Settings,
    sink: SinkSettings,
    bootstrap: str,
    accepted: int,
    counters: dict[str, dict[int, int]],
) -> None:
    result = made(core, sink, bootstrap, counters)
    rows = [
        ("events ingested", accepted),
        ("dead-lettered", result.dead_letters),
        ("lots and items with a passport", len(result.products)),
        ("passport versions signed", result.passport_versions),
        ("traceability event credentials", result.dtes),
        ("facility records", result.facility_records),
        ("alerts raised", result.alerts),
    ]
    click.echo("\nsummary")
    for label, value in rows:
        click.echo(f"  {label:<34}{value:>8}")
    product = showcase(result.products)
    if product is None:
        return
    link = from_text(product).link(sink.public_base_url)
    click.echo(f"\npassport of {product}")
    click.echo(f"  link on the product: {link}")
    qr_symbol(link).terminal(out=sys.stdout, compact=True)
    try:
        verified = check(link, sink)
        click.echo(f"  oretrail verify {link}\n  {_verified(verified)}")
    except (FetchError, VerificationError) as exc:
        click.echo(f"  oretrail verify {link}\n  invalid: {exc}")
    click.echo(f"  oretrail trace {product}")


def _verified(result: Verified) -> str:
    kinds = [t for t in result.credential.get("type", []) if t != "VerifiableCredential"]
    return f"valid: {','.join(kinds)} issued by {result.issuer}"
