"""``oretrail did`` and ``oretrail verify``: the DID document from the home's keys, and a
DPP checked over real HTTP (did:web document and status list served on loopback by a plain
static web server, the way any web host serves did:web), a revoked one refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from oretrail.cli._credentials import did, verify_command
from sink.config import SinkSettings
from sink.jose import (
    KeyRing,
    StatusList,
    did_document,
    envelope,
    sign_credential,
    status_entry,
    status_list_credential,
)
from sink.untp import Issuer, build_dpp
from tests.untp_inputs import CAM, update


@click.group()
@click.option("--home", type=click.Path(path_type=Path))
@click.pass_context
def group(ctx: click.Context, home: Path | None) -> None:
    """The two commands under a root like oretrail's (``--home`` into the root's obj)."""
    ctx.obj = {"home": home} if home else {}


group.add_command(did)
group.add_command(verify_command)


class _Files(BaseHTTPRequestHandler):
    """Serves ``server.files`` (path → (body, media type)); 404 for anything else."""

    def do_GET(self) -> None:
        found = self.server.files.get(self.path)  # type: ignore[attr-defined]
        if found is None:
            self.send_error(404)
            return
        body, media_type = found
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def web() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    server.files = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Issuing:
    """An issuer at ``base``: its home, keys, DID document and status list on the web."""

    def __init__(self, server: ThreadingHTTPServer, home: Path, monkeypatch: Any) -> None:
        self.server = server
        self.files: dict[str, tuple[bytes, str]] = server.files  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("ORETRAIL_SINK_PUBLIC_BASE_URL", self.base)
        monkeypatch.delenv("ORETRAIL_SINK_SIGNING_KEY", raising=False)
        monkeypatch.delenv("ORETRAIL_SINK_KEY_DIR", raising=False)
        monkeypatch.delenv("ORETRAIL_SINK_ISSUER_DID", raising=False)
        self.home = home
        self.sink = SinkSettings()
        self.ring = KeyRing.from_settings(self.sink, home)
        self.did = self.ring.did
        self.list_url = f"{self.base}/status/revocation"
        self.bits = StatusList()
        self.publish_did()
        self.publish_status()

    def publish_did(self) -> None:
        doc = json.dumps(did_document(self.did, self.ring)).encode()
        self.files["/.well-known/did.json"] = (doc, "application/did+json")

    def publish_status(self) -> None:
        vc = status_list_credential(
            self.list_url,
            self.bits,
            issuer=self.did,
            valid_from=datetime.now(UTC) - timedelta(days=1),
        )
        token = sign_credential(vc, self.ring).encode()
        self.files["/status/revocation"] = (token, "application/vc+jwt")

    def dpp(self, index: int) -> dict[str, Any]:
        return build_dpp(
            update(CAM),
            issuer=Issuer(id=self.did, name="Cathode Works"),
            credential_id=f"{self.base}/credentials/dpp-{index}",
            status=status_entry(self.list_url, index),
            traceability=[],
            valid_from=datetime.now(UTC) - timedelta(hours=1),
        )

    def signed_file(self, credential: dict[str, Any], name: str) -> Path:
        path = self.home / name
        path.write_text(json.dumps(envelope(sign_credential(credential, self.ring))))
        return path


@pytest.fixture
def issuing(web: ThreadingHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Issuing:
    return Issuing(web, tmp_path, monkeypatch)


def _run(issuing: Issuing, *args: str) -> Result:
    return CliRunner().invoke(group, ["--home", str(issuing.home), *args])


def test_did_prints_the_document_of_the_homes_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORETRAIL_SINK_PUBLIC_BASE_URL", "http://127.0.0.1:8799")
    monkeypatch.delenv("ORETRAIL_SINK_SIGNING_KEY", raising=False)
    monkeypatch.delenv("ORETRAIL_SINK_KEY_DIR", raising=False)
    monkeypatch.delenv("ORETRAIL_SINK_ISSUER_DID", raising=False)
    first = CliRunner().invoke(group, ["--home", str(tmp_path), "did"])
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["id"] == "did:web:127.0.0.1%3A8799"
    assert len(list((tmp_path / "keys").iterdir())) == 1  # created on first use
    ring = KeyRing.load(tmp_path / "keys", None, "EdDSA", did=doc["id"])
    assert doc == did_document(doc["id"], ring)
    again = CliRunner().invoke(group, ["--home", str(tmp_path), "did"])
    assert json.loads(again.stdout) == doc
    assert "PRIVATE" not in first.output


def test_verify_a_valid_passport_from_a_file_and_from_a_url(issuing: Issuing) -> None:
    dpp = issuing.dpp(3)
    path = issuing.signed_file(dpp, "dpp.json")
    result = _run(issuing, "verify", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"valid: DigitalProductPassport {dpp['id']} issued by {issuing.did} "
        f"(kid {issuing.ring.active.kid})"
    )
    issuing.files["/credentials/dpp-3"] = (path.read_bytes(), "application/json")
    by_url = _run(issuing, "verify", f"{issuing.base}/credentials/dpp-3")
    assert by_url.exit_code == 0, by_url.output
    assert by_url.stdout == result.stdout


def test_verify_a_bare_jws(issuing: Issuing) -> None:
    path = issuing.home / "dpp.jwt"
    path.write_text(sign_credential(issuing.dpp(4), issuing.ring))
    result = _run(issuing, "verify", str(path))
    assert result.exit_code == 0, result.output


def test_a_revoked_passport_fails_verify(issuing: Issuing) -> None:
    path = issuing.signed_file(issuing.dpp(5), "dpp.json")
    assert _run(issuing, "verify", str(path)).exit_code == 0
    issuing.bits.revoke(5)
    issuing.publish_status()
    result = _run(issuing, "verify", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith("invalid: revoked: bit 5 of ")


def test_a_passport_signed_before_rotation_verifies_after_it(issuing: Issuing) -> None:
    old = issuing.signed_file(issuing.dpp(6), "old.json")
    issuing.ring.rotate()
    issuing.publish_did()
    issuing.publish_status()  # now signed with the new key
    result = _run(issuing, "verify", str(old))
    assert result.exit_code == 0, result.output
    assert issuing.ring.all[0].kid in result.stdout


def test_a_changed_byte_fails_verify(issuing: Issuing) -> None:
    token = sign_credential(issuing.dpp(7), issuing.ring)
    head, payload, signature = token.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    path = issuing.home / "dpp.jwt"
    path.write_text(f"{head}.{flipped}.{signature}")
    result = _run(issuing, "verify", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith("invalid: signature mismatch: ")


def test_verify_with_an_offline_did_document(issuing: Issuing) -> None:
    path = issuing.signed_file(issuing.dpp(8), "dpp.json")
    doc = issuing.files.pop("/.well-known/did.json")[0]
    unresolved = _run(issuing, "verify", str(path))
    assert unresolved.exit_code == 1
    assert "invalid: unknown kid: cannot resolve" in unresolved.stdout
    assert "404" in unresolved.stdout
    offline = issuing.home / "did.json"
    offline.write_bytes(doc)
    result = _run(issuing, "verify", str(path), "--did-document", str(offline))
    assert result.exit_code == 0, result.output


def test_a_credential_that_is_not_untp_fails_the_schema(issuing: Issuing) -> None:
    vc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuing.did,
        "credentialSubject": {"id": "urn:x"},
    }
    result = _run(issuing, "verify", str(issuing.signed_file(vc, "plain.json")))
    assert result.exit_code == 1
    assert result.stdout.startswith("invalid: schema: ")


def test_unreadable_sources(issuing: Issuing) -> None:
    missing = _run(issuing, "verify", str(issuing.home / "nope.json"))
    assert missing.exit_code == 1
    assert missing.stdout.startswith("invalid: unreadable: ")
    not_found = _run(issuing, "verify", f"{issuing.base}/credentials/none")
    assert not_found.exit_code == 1
    assert "HTTP 404" in not_found.stdout
    garbage = issuing.home / "garbage.json"
    garbage.write_text("{not json")
    assert _run(issuing, "verify", str(garbage)).stdout.startswith("invalid: malformed: ")
