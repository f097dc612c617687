"""``oretrail passport get``: the latest passport from a real file credential store, as an
enveloped credential or decoded; unknown products and damaged stores are reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from joserfc import jws

from oretrail.cli._resolver import get, passport
from sink.jose import KeyRing, did_document, envelope, sign_credential
from sink.storage import CredentialStore, FileStorage

PRODUCT = "https://id.gs1.org/01/09520123456788/10/LOT1"
OTHER = "https://id.gs1.org/01/09520123456788/21/SN1"
DID = "did:web:127.0.0.1%3A8780"


def passport_credential(product_id: str, version: int) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://test.uncefact.org/vocabulary/untp/dpp/0.6.1/",
        ],
        "type": ["VerifiableCredential", "DigitalProductPassport"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{version:012d}",
        "issuer": {"type": ["CredentialIssuer"], "id": DID, "name": "oretrail"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"type": ["ProductPassport"], "id": product_id, "version": version},
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ORETRAIL_HOME", str(home))
    monkeypatch.delenv("ORETRAIL_SINK_STORAGE_URL", raising=False)
    return home


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load(tmp_path / "keys", None, "EdDSA", did=DID)


def publish(
    home: Path, ring: KeyRing, product_id: str, versions: list[int], latest: int
) -> dict[int, str]:
    """Sign and publish passport versions in the default store (``<home>/credentials``);
    returns each version's JWS."""
    store = CredentialStore(FileStorage((home / "credentials").resolve()))
    tokens = {}
    for version in versions:
        tokens[version] = sign_credential(passport_credential(product_id, version), ring)
        stored = store.publish(tokens[version].encode(), "application/vc+jwt")
        store.record_passport_version(product_id, version, stored)
    store.move_latest(product_id, latest)
    store.put_did_document(json.dumps(did_document(DID, ring)).encode())
    store.close()
    return tokens


def test_get_prints_the_latest_enveloped_passport(home: Path, ring: KeyRing) -> None:
    tokens = publish(home, ring, PRODUCT, [1, 2, 3], latest=2)  # v3 recorded, not yet latest
    result = CliRunner().invoke(passport, ["get", "https://example.com/01/9520123456788/10/LOT1"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == envelope(tokens[2])
    assert printed["type"] == "EnvelopedVerifiableCredential"
    assert printed["id"] == "data:application/vc+jwt," + tokens[2]


def test_get_decoded_prints_the_credential_inside(home: Path, ring: KeyRing) -> None:
    tokens = publish(home, ring, OTHER, [1], latest=1)
    result = CliRunner().invoke(get, ["09520123456788", "--serial", "SN1", "--decoded"])
    assert result.exit_code == 0, result.output
    credential = json.loads(result.output)
    assert credential == passport_credential(OTHER, 1)
    assert credential == json.loads(jws.extract_compact(tokens[1].encode()).payload)


def test_help_says_decoded_is_not_verified() -> None:
    result = CliRunner().invoke(get, ["--help"])
    assert result.exit_code == 0
    assert "WITHOUT verifying" in " ".join(result.output.split())
    assert "oretrail verify" in result.output


def test_unknown_product_exits_1(home: Path, ring: KeyRing) -> None:
    publish(home, ring, PRODUCT, [1], latest=1)
    result = CliRunner().invoke(get, ["https://id.gs1.org/01/09520123456788/10/LOT2"])
    assert result.exit_code == 1
    assert "no passport of https://id.gs1.org/01/09520123456788/10/LOT2" in result.output


def test_no_store_yet_exits_1_without_creating_one(home: Path) -> None:
    result = CliRunner().invoke(get, [PRODUCT])
    assert result.exit_code == 1
    assert "no passports published yet" in result.output
    assert not (home / "credentials").exists()


def test_malformed_id_is_a_usage_error(home: Path) -> None:
    result = CliRunner().invoke(get, ["https://id.gs1.org/01/09520123456789/10/LOT1"])
    assert result.exit_code == 2
    assert "check digit 9, expected 8" in result.output


def test_damaged_credential_is_reported_not_printed(home: Path, ring: KeyRing) -> None:
    tokens = publish(home, ring, PRODUCT, [1], latest=1)
    store = CredentialStore(FileStorage((home / "credentials").resolve()))
    latest = store.latest(PRODUCT)
    assert latest is not None
    path = home / "credentials" / "credentials" / latest.sha256
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 0x01  # one bit of the signature
    path.chmod(0o644)
    path.write_bytes(bytes(damaged))
    result = CliRunner().invoke(get, [PRODUCT])
    assert result.exit_code == 1
    assert "corrupt" in result.output
    assert tokens[1][:20] not in result.output


def test_storage_url_setting_is_used(
    tmp_path: Path, home: Path, ring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    tokens = publish(elsewhere, ring, PRODUCT, [1], latest=1)
    monkeypatch.setenv("ORETRAIL_SINK_STORAGE_URL", (elsewhere / "credentials").resolve().as_uri())
    result = CliRunner().invoke(get, [PRODUCT])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == envelope(tokens[1])
