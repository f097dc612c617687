"""``oretrail qr ID`` (the QR code of a product's link) and ``oretrail passport get ID``.

A product is named by its GS1 Digital Link URI (any host: the path is what counts), an EPC
URN, or a bare GTIN with ``--lot`` / ``--serial``. Links derive from
``ORETRAIL_SINK_PUBLIC_BASE_URL``; passports are read from the credential store at
``ORETRAIL_SINK_STORAGE_URL`` (default ``<home>/credentials``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from joserfc import jws
from joserfc.errors import JoseError
from pydantic import ValidationError

from oretrail.cli._context import settings
from sink.config import SinkSettings
from sink.jose import EnvelopeError, envelope, unenvelope
from sink.resolver._ids import ProductIdError, ProductRef, from_text
from sink.resolver._qr import DEFAULT_SCALE, FORMATS, QrFormat, qr_code
from sink.storage import (
    Credential,
    CredentialStore,
    FileTarget,
    StorageError,
    open_storage,
    parse_storage_url,
)

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


@click.group()
def passport() -> None:
    """Passports the credential sink has published."""


def _latest_passport(cfg: SinkSettings, ref: ProductRef) -> Credential:
    url = cfg.storage(settings().home)
    try:
        target = parse_storage_url(url)
        if isinstance(target, FileTarget) and not target.root.is_dir():
            raise click.ClickException(f"no passports published yet: {target.root} does not exist")
        store = CredentialStore(open_storage(url, cfg))
        try:
            latest = store.latest(ref.product_id)
            if latest is None:
                raise click.ClickException(f"no passport of {ref.product_id} in {url}")
            found = store.credential(latest.sha256)
        finally:
            store.close()
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    if found is None:
        raise click.ClickException(
            f"{ref.product_id}: version {latest.version} points at credential "
            f"{latest.sha256}, which is missing from {url}"
        )
    return found


def decoded_payload(token: str) -> Any:
    """The JWS payload as JSON, read WITHOUT checking the signature."""
    try:
        return json.loads(jws.extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError) as exc:
        raise click.ClickException(f"the stored passport's payload is not JSON: {exc}") from exc


@passport.command("get")
@_product
@_lot
@_serial
@click.option(
    "--decoded",
    is_flag=True,
    help="print the credential inside the envelope (the JWS payload, decoded WITHOUT "
    "verifying the signature; `oretrail verify` verifies)",
)
def get(product: str, lot: str | None, serial: str | None, decoded: bool) -> None:
    """Print the latest passport of a product: an EnvelopedVerifiableCredential (JSON).

    ID is the product's GS1 Digital Link URI (on any host), an EPC URN, or a bare GTIN
    with --lot or --serial.
    """
    found = _latest_passport(sink_settings(), product_ref(product, lot, serial))
    try:
        token = unenvelope(found.data)
    except EnvelopeError as exc:
        raise click.ClickException(
            f"credential {found.sha256} ({found.media_type}) is no signed credential: {exc}"
        ) from exc
    document = decoded_payload(token) if decoded else envelope(token)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
