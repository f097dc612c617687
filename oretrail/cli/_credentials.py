"""``oretrail did`` and ``oretrail verify``: the issuer's DID document, and a credential
checked in full (signature, dates, status list, UNTP schema)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from oretrail.cli._context import settings
from sink.config import SinkSettings
from sink.jose import KeyRing, KeyRingError, VerificationError, Verified, did_document, verify
from sink.jose._fetch import DidWebResolver, FetchError, fetch_text, http_hosts


def _sink_settings() -> SinkSettings:
    try:
        return SinkSettings()
    except ValidationError as exc:
        raise click.ClickException(f"ORETRAIL_SINK_* settings: {exc}") from None


@click.command()
def did() -> None:
    """Print the issuer's did:web document (JSON); creates the first key when none exists."""
    sink = _sink_settings()
    try:
        ring = KeyRing.from_settings(sink, settings().home)
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(did_document(ring.did, ring), indent=2))


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _read(source: str) -> str:
    if _is_url(source):
        return fetch_text(source)
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FetchError(f"{source}: {exc}") from None


def _validate(credential: Mapping[str, Any]) -> list[str]:
    # imported here: the UNTP builders are a separate package, only this check needs them
    from sink.untp import validate

    return validate(credential)


def _summary(result: Verified) -> str:
    types = result.credential.get("type", [])
    specific = [t for t in types if t != "VerifiableCredential"] or ["VerifiableCredential"]
    ident = result.credential.get("id", "(no id)")
    return f"valid: {','.join(specific)} {ident} issued by {result.issuer} (kid {result.kid})"


def check(
    source: str, sink: SinkSettings, documents: Mapping[str, Mapping[str, Any]] | None = None
) -> Verified:
    """Verify the credential at ``source`` (file or URL) in full; raises FetchError or
    VerificationError with the reason."""
    resolver = DidWebResolver(
        plain_http=http_hosts([sink.public_base_url, source]), documents=dict(documents or {})
    )
    return verify(
        _read(source),
        resolve_did=resolver,
        fetch_status=fetch_text,
        validate=_validate,
        now=datetime.now(UTC),
    )


@click.command(name="verify")
@click.argument("source", metavar="FILE|URL")
@click.option(
    "--did-document",
    "did_documents",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="a DID document to use instead of fetching it (repeatable)",
)
def verify_command(source: str, did_documents: tuple[Path, ...]) -> None:
    """Check a credential (enveloped JSON or bare JWS, from a file or http(s) URL): the
    signature (did:web resolved over http for this resolver and loopback hosts, else https),
    validity dates, the status list and the UNTP schema. Exit 0 when valid, 1 when not."""
    sink = _sink_settings()
    offline: dict[str, Mapping[str, Any]] = {}
    for path in did_documents:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise click.ClickException(f"{path}: not a JSON DID document ({exc})") from None
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise click.ClickException(f"{path}: a DID document is a JSON object with an id")
        offline[document["id"]] = document
    try:
        result = check(source, sink, offline)
    except FetchError as exc:
        click.echo(f"invalid: unreadable: {exc}")
        raise click.exceptions.Exit(1) from None
    except VerificationError as exc:
        click.echo(f"invalid: {exc}")
        raise click.exceptions.Exit(1) from None
    click.echo(_summary(result))
