"""The key ring: keys created on first use (0600), loaded back, rotated, given in the
environment; private key material never in a repr, an error message or a log line."""

from __future__ import annotations

import json
import logging
import stat
import traceback
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, x25519
from joserfc.jwk import OKPKey
from pydantic import SecretStr

from sink.config import SinkSettings
from sink.jose import KeyRing, KeyRingError, did_document, sign_credential
from tests.unit.jose_helpers import DID, credential, private_pem, verify_offline


def _pem_body(pem: str) -> str:
    """The base64 of a PEM without its armour: what must never show anywhere."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def _windows(text: str, size: int = 16) -> list[str]:
    """Every 16-character piece of ``text`` (step 8): no piece of a key may show."""
    return [text[i : i + size] for i in range(0, max(len(text) - size, 0) + 1, 8)]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("alg", "crv"), [("EdDSA", "Ed25519"), ("ES256", "P-256")])
def test_first_use_creates_a_private_key_file_0600(tmp_path: Path, alg: str, crv: str) -> None:
    keys = tmp_path / "keys"
    ring = KeyRing.load(keys, None, alg, did=DID)  # type: ignore[arg-type]
    files = list(keys.iterdir())
    assert len(files) == 1
    assert _mode(files[0]) == 0o600
    assert _mode(keys) == 0o700
    assert files[0].read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    assert ring.active.alg == alg
    assert ring.active.public_jwk["crv"] == crv
    assert "d" not in ring.active.public_jwk


def test_kid_is_the_did_and_the_rfc7638_thumbprint(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    expected = OKPKey.import_key(dict(ring.active.public_jwk)).thumbprint()
    assert ring.active.kid == f"{DID}#{expected}"


def test_reload_finds_the_same_active_key(tmp_path: Path) -> None:
    first = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    again = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    assert again.active.kid == first.active.kid
    assert len(list(tmp_path.iterdir())) == 1


def test_rotate_adds_an_active_key_and_keeps_the_old_one(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    old = ring.active.kid
    old_token = sign_credential(credential(), ring)
    new = ring.rotate()
    assert new != old
    assert ring.active.kid == new
    assert [k.kid for k in ring.all] == [old, new]
    # a fresh process sees the rotated key as active, the old one still published
    reloaded = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    assert reloaded.active.kid == new
    methods = [m["id"] for m in did_document(DID, reloaded)["verificationMethod"]]
    assert methods == [old, new]
    # signed before the rotation, verified with the new DID document
    assert verify_offline(old_token, reloaded).kid == old
    assert verify_offline(sign_credential(credential(), reloaded), reloaded).kid == new


def test_a_retired_key_may_be_public_only(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    old_token = sign_credential(credential(), ring)
    ring.rotate()
    # the operator replaces the retired private key by its public half
    retired = sorted(tmp_path.iterdir())[0]
    (tmp_path / "00-retired.jwk").write_text(json.dumps(ring.all[0].public_jwk))
    retired.unlink()
    reloaded = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    assert [k.can_sign for k in reloaded.all] == [False, True]
    assert verify_offline(old_token, reloaded).kid == ring.all[0].kid


def test_a_new_algorithm_gets_its_own_key_and_the_old_ones_stay(tmp_path: Path) -> None:
    ed = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    es = KeyRing.load(tmp_path, None, "ES256", did=DID)
    assert es.active.alg == "ES256"
    assert [k.alg for k in es.all] == ["EdDSA", "ES256"]
    assert es.all[0].kid == ed.active.kid


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_environment_key_pem_signs(alg: str) -> None:
    pem = private_pem(alg)  # type: ignore[arg-type]
    ring = KeyRing.load(None, SecretStr(pem), alg, did=DID)  # type: ignore[arg-type]
    assert ring.active.source == "ORETRAIL_SINK_SIGNING_KEY"
    assert verify_offline(sign_credential(credential(), ring), ring).kid == ring.active.kid


def test_environment_key_jwk_signs_and_directory_keys_stay_published(tmp_path: Path) -> None:
    old = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    old_token = sign_credential(credential(), old)
    jwk = OKPKey.generate_key("Ed25519").as_dict(private=True)
    ring = KeyRing.load(tmp_path, SecretStr(json.dumps(jwk)), "EdDSA", did=DID)
    assert ring.active.source == "ORETRAIL_SINK_SIGNING_KEY"
    assert [k.kid for k in ring.all] == [old.active.kid, ring.active.kid]
    assert verify_offline(old_token, ring).kid == old.active.kid
    with pytest.raises(KeyRingError, match="ORETRAIL_SINK_SIGNING_KEY"):
        ring.rotate()


def test_environment_key_of_the_other_algorithm_is_refused() -> None:
    with pytest.raises(KeyRingError, match="EdDSA key but the configured algorithm is ES256"):
        KeyRing.load(None, SecretStr(private_pem("EdDSA")), "ES256", did=DID)


def test_from_settings_uses_home_keys_and_the_did(tmp_path: Path) -> None:
    sink = SinkSettings(public_base_url="http://127.0.0.1:8799")
    ring = KeyRing.from_settings(sink, tmp_path)
    assert ring.did == "did:web:127.0.0.1%3A8799"
    assert len(list((tmp_path / "keys").iterdir())) == 1


def _rsa_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_unsupported_key_types_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(_rsa_pem())
    with pytest.raises(KeyRingError, match=r"a\.pem: unsupported key type"):
        KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    x = x25519.X25519PrivateKey.generate()
    pem = x.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "a.pem").write_bytes(pem)
    with pytest.raises(KeyRingError, match=r"a\.pem"):
        KeyRing.load(tmp_path, None, "EdDSA", did=DID)


def _assert_secret_absent(exc: BaseException, secrets: list[str]) -> None:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_a_malformed_pem_key_file_error_shows_no_key_material(tmp_path: Path) -> None:
    pem = private_pem("ES256")
    body = _pem_body(pem)
    broken = pem.replace(body[40:60], "!!!!" + body[44:60])  # corrupt the DER in the middle
    (tmp_path / "broken.pem").write_text(broken)
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(tmp_path, None, "ES256", did=DID)
    assert "broken.pem" in str(info.value)
    _assert_secret_absent(info.value, _windows(_pem_body(broken)) + _windows(body))


def test_a_malformed_jwk_key_file_error_shows_no_key_material(tmp_path: Path) -> None:
    jwk = OKPKey.generate_key("Ed25519").as_dict(private=True)
    secret = str(jwk["d"])
    jwk["x"] = "not base64!"  # invalid public part beside a valid private one
    (tmp_path / "broken.jwk").write_text(json.dumps(jwk))
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    _assert_secret_absent(info.value, [secret])
    (tmp_path / "broken.jwk").write_text(json.dumps(jwk)[:-5])  # truncated JSON
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    _assert_secret_absent(info.value, [secret])


def test_a_malformed_environment_key_error_shows_no_key_material() -> None:
    pem = private_pem("EdDSA")
    body = _pem_body(pem)
    with pytest.raises(KeyRingError) as info:
        KeyRing.load(None, SecretStr(pem[:-40]), "EdDSA", did=DID)
    assert "ORETRAIL_SINK_SIGNING_KEY" in str(info.value)
    _assert_secret_absent(info.value, _windows(body))


def test_repr_and_logs_hold_no_private_parts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    ring.rotate()
    (tmp_path / "zz-open.pem").write_text(private_pem("EdDSA"))
    (tmp_path / "zz-open.pem").chmod(0o644)
    ring = KeyRing.load(tmp_path, None, "EdDSA", did=DID)
    assert "readable by others" in caplog.text
    secrets: list[str] = []
    for path in tmp_path.iterdir():
        secrets += _windows(_pem_body(path.read_text()))
    for key in ring.all:
        secrets.append(str(key.signer.as_dict(private=True)["d"]))
    texts = [repr(ring), repr(ring.all), repr(ring.active), caplog.text]
    for secret in secrets:
        for text in texts:
            assert secret not in text
    assert ring.active.kid in repr(ring)
