"""``oretrail simulate``: a battery supply chain's native feeds, its ground truth and a
manifest, written to a folder (and with ``--stream`` sent to a running pipeline's EPCIS
capture interface). See simulator/ for what is generated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from simulator import SCENARIOS, scenario, simulate, write
from simulator.scenario import FAULTS
from simulator.stream import Streamed, stream


def _faults(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if value.strip().lower() in ("", "none"):
        return ()
    if value.strip().lower() == "all":
        return FAULTS
    return tuple(f.strip() for f in value.split(",") if f.strip())


def _capture_url(given: str | None) -> str:
    if given:
        return given.rstrip("/") + ("" if given.rstrip("/").endswith("/capture") else "/capture")
    from connectors.capture import CaptureConfig

    cfg = CaptureConfig()
    return f"http://{cfg.host}:{cfg.port}/capture"


def _next_steps(out: Path, manifest: dict[str, Any]) -> list[str]:
    lines = [f"  oretrail ingest epcis {out / 'epcis'}"]
    erp = {f["mapping"] for f in manifest["files"] if f["connector"] == "erp-file"}
    for mapping in sorted(erp):
        exports = Path(mapping).parent / "exports"
        lines.append(
            f"  oretrail connectors run erp-file --set mapping={out / mapping} "
            f"--set paths='[{out / exports}]'"
        )
    for f in manifest["files"]:
        if f["format"] == "connector-config":
            lines.append(
                f"  (cd {out} && oretrail connectors run erp-postgres --config {f['path']} "
                "--set dsn=...)   after loading the staging tables (schema.sql)"
            )
    lines.append(
        f"  publish {out / 'mqtt/telemetry.jsonl'} to a broker, then "
        f"oretrail connectors run mqtt --config {out / 'mqtt/mqtt.yaml'}"
    )
    return lines


@click.command("simulate")
@click.option(
    "--scenario",
    "name",
    type=click.Choice(sorted(SCENARIOS)),
    default="default",
    show_default=True,
    help="what chain to generate",
)
@click.option("--seed", type=int, default=1, show_default=True, help="same seed, same bytes")
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="multiplies every lot and run count",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="folder to write (new or empty)",
)
@click.option(
    "--faults",
    default=None,
    help=f"faults to inject, comma-separated from {', '.join(FAULTS)}; 'none' or 'all' "
    "[default: the scenario's]",
)
@click.option("--stream", "streaming", is_flag=True, help="also POST the EPCIS documents to "
              "the capture interface, paced by --rate")  # fmt: skip
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=50.0,
    show_default=True,
    help="events per second with --stream",
)
@click.option(
    "--capture-url",
    default=None,
    help="capture interface [default: http://ORETRAIL_CAPTURE_HOST:ORETRAIL_CAPTURE_PORT]",
)
@click.option("--json", "as_json", is_flag=True, help="print the manifest's counts as JSON")
def simulate_command(
    name: str,
    seed: int,
    scale: float,
    out: Path,
    faults: str | None,
    streaming: bool,
    rate: float,
    capture_url: str | None,
    as_json: bool,
) -> None:
    """Generate a battery supply chain's feeds (EPCIS, ERP, MQTT), its ground truth and a
    manifest into OUT; with --stream, send its EPCIS documents to a running pipeline."""
    chosen = scenario(name)
    wanted = _faults(faults)
    if wanted is not None:
        try:
            chosen = chosen.with_faults(wanted)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from exc
    result = simulate(chosen, seed, scale)
    try:
        write(result, out)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = result.manifest["counts"]
    streamed: Streamed | None = None
    if streaming:
        url = _capture_url(capture_url)
        click.echo(f"streaming EPCIS documents to {url} at {rate:g} events/s", err=True)
        try:
            streamed = stream(result.files, url, rate)
        except OSError as exc:
            raise click.ClickException(f"cannot reach the capture interface {url}: {exc}") from exc
    if as_json:
        summary: dict[str, Any] = {"out": str(out), **counts}
        if streamed is not None:
            summary["streamed"] = {
                "documents": streamed.documents,
                "events": streamed.events,
                "jobs": len(streamed.jobs),
                "refused": streamed.refused,
            }
        click.echo(json.dumps(summary))
        return
    by = counts["byConnector"]
    click.echo(f"{out}: {len(result.files)} files, ground_truth.json, manifest.json")
    for connector, c in by.items():
        click.echo(
            f"  {connector:13} {c['accepted']:6} accepted ({c['duplicates']} repeats), "
            f"{c['rejected']} to refuse, {c['rejectedByProcessors']} for the processors"
        )
    click.echo(
        f"  {counts['packs']} packs, {counts['modules']} modules, {counts['cells']} cells, "
        f"{counts['lots']} lots in the ground truth"
    )
    on = [k for k, v in result.manifest["faults"].items() if v["enabled"]]
    click.echo(f"  faults: {', '.join(on) or 'none'}")
    if streamed is not None:
        click.echo(
            f"  streamed {streamed.documents} documents ({streamed.events} events) in "
            f"{streamed.seconds:.1f} s: {len(streamed.jobs)} capture jobs, "
            f"{len(streamed.refused)} refused"
        )
    click.echo("feed it to the pipeline:")
    for line in _next_steps(out, result.manifest):
        click.echo(line)
