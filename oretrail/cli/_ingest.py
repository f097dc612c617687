"""``oretrail ingest epcis PATH...``: EPCIS documents from files and folders onto Kafka.

With ``--json`` stdout carries exactly one object ``{"accepted": N, "rejected": M}`` (events;
a document that cannot be parsed at all counts as one rejected). A progress bar goes to a
terminal's stderr. An interrupted ingest of the same files resumes where Kafka's last
acknowledgement left it; a finished one forgets its position, so running it again re-sends
(harmless: event ids make the processors idempotent).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from connectors.epcis import EpcisFileConfig, EpcisFileSource
from connectors.sdk import Counts, StateStore
from oretrail.cli._run import interactive, run_source, state_path


@click.group()
def ingest() -> None:
    """Ingest documents into the event log."""


def _inputs_key(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@ingest.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help='print only {"accepted": N, "rejected": M}')
@click.option("--topic", default="oretrail.events", show_default=True)
def epcis(paths: tuple[Path, ...], as_json: bool, topic: str) -> None:
    """EPCIS 2.0 JSON-LD / XML and 1.2 XML documents (files, or folders searched for them)."""
    source = EpcisFileSource(EpcisFileConfig(paths=paths, topic=topic))
    if not source.files:
        raise click.ClickException("no .json, .jsonld or .xml files under the given paths")
    state = StateStore(state_path("ingest-epcis", _inputs_key(source.files)))
    if interactive():
        with Progress(
            TextColumn("[bold]ingest[/]"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=as_json,
        ) as bar:
            task = bar.add_task("ingest", total=source.total_bytes, counts="")

            def progress(counts: Counts) -> None:
                text = f"{counts.accepted} accepted, {counts.rejected} rejected"
                bar.update(task, completed=source.bytes_read, counts=text)

            counts = run_source(source, state, progress)
    else:
        counts = run_source(source, state)
    if not source.stopping:
        state.path.unlink(missing_ok=True)
    if as_json:
        click.echo(json.dumps({"accepted": counts.accepted, "rejected": counts.rejected}))
    else:
        click.echo(
            f"{counts.accepted} events accepted, {counts.rejected} rejected "
            f"(dead-lettered; see `oretrail dlq show`) from {len(source.files)} file(s)"
        )
