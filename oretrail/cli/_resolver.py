"""``oretrail qr ID`` (the QR code of a product's link) and ``oretrail passport get ID``.

A product is named by its GS1 Digital Link URI (any host: the path is what counts), an EPC
URN, or a bare GTIN with ``--lot`` / ``--serial``. Links derive from
``ORETRAIL_SINK_PUBLIC_BASE_URL``; passports are read from the credential store at
``ORETRAIL_SINK_STORAGE_URL`` (default ``<home>/credentials``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from pydantic import ValidationError

from sink.config import SinkSettings
from sink.resolver._ids import ProductIdError, ProductRef, from_text
from sink.resolver._qr import DEFAULT_SCALE, FORMATS, QrFormat, qr_code

_product = click.argument("product", metavar="ID")
_lot = click.option("--lot", help="the lot (batch) number, when ID is a bare GTIN")
_serial = click.option("--serial", help="the serial number, when ID is a bare GTIN")


def sink_settings() -> SinkSettings:
    try:
        return SinkSettings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid ORETRAIL_SINK_* settings: {exc}") from exc


def product_ref(product: str, lot: str | None, serial: str | None) -> ProductRef:
    try:
        return from_text(product, lot=lot, serial=serial)
    except ProductIdError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from exc


def _format_of(fmt: str | None, output: Path | None) -> QrFormat:
    if fmt is not None:
        return "svg" if fmt == "svg" else "png"
    if output is not None and output.suffix.lower() == ".svg":
        return "svg"
    return "png"


@click.command()
@_product
@_lot
@_serial
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="image format [default: from the -o suffix, else png]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="file to write; default: standard output",
)
@click.option(
    "--scale",
    type=click.IntRange(1, 100),
    default=DEFAULT_SCALE,
    show_default=True,
    help="pixels (SVG units) per module",
)
def qr(
    product: str,
    lot: str | None,
    serial: str | None,
    fmt: str | None,
    output: Path | None,
    scale: int,
) -> None:
    """Write the QR code of a product's link, <public base URL>/01/<gtin>/10/<lot> (or
    /21/<serial>), which the resolver answers with the product's passport.

    ID is the product's GS1 Digital Link URI (on any host), an EPC URN, or a bare GTIN
    with --lot or --serial.
    """
    link = product_ref(product, lot, serial).link(sink_settings().public_base_url)
    kind = _format_of(fmt, output)
    image = qr_code(link, kind, scale=scale)
    if output is None:
        if kind == "png" and sys.stdout.isatty():
            raise click.UsageError("a PNG is no terminal output: give -o FILE or --format svg")
        click.get_binary_stream("stdout").write(image)
        return
    output.write_bytes(image)
    click.echo(f"{output}: {kind.upper()} QR code of {link}")
