"""The issuer's signing keys: a ring of Ed25519 / P-256 keys from files or the environment.

Key files live in one directory, one key per file (PEM PKCS8 private key, PEM public key,
or a JWK JSON object). Files sort by name and the last one of the configured algorithm
that holds a private key signs; keys this module generates are named
``<UTC time>-<thumbprint>.pem`` so that the newest sorts last. Retired keys stay in the
directory (a public-only file is enough) so they stay in the DID document and credentials
signed with them keep verifying.

Private key material never leaves this module in text form: reprs name key ids only, and
a key that cannot be read is reported by file name and error class, never by content.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from joserfc.jwk import ECKey, OKPKey
from pydantic import SecretStr

from sink.config import SinkSettings

Algorithm = Literal["EdDSA", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("EdDSA", "ES256")
KEY_SUFFIXES = (".pem", ".jwk", ".json")
ENV_SOURCE = "ORETRAIL_SINK_SIGNING_KEY"

log = logging.getLogger(__name__)

JoseKey = OKPKey | ECKey


class KeyRingError(Exception):
    """A key that cannot be used; the message names where it came from, never its bytes."""


@dataclass(frozen=True)
class RingKey:
    """One key of the ring. ``signer`` is the joserfc key (private when ``can_sign``)."""

    kid: str
    alg: Algorithm
    thumbprint: str
    public_jwk: dict[str, str]
    source: str
    can_sign: bool
    signer: JoseKey = field(repr=False, compare=False)


def algorithm_of(key: JoseKey) -> Algorithm:
    """The JWS algorithm a key is for: Ed25519 → EdDSA, P-256 → ES256 (others refused)."""
    crv = key.get("crv")
    if isinstance(key, OKPKey) and crv == "Ed25519":
        return "EdDSA"
    if isinstance(key, ECKey) and crv == "P-256":
        return "ES256"
    raise KeyRingError(f"unsupported key type {key.key_type} {crv} (Ed25519 or P-256 only)")


def _from_native(native: object) -> JoseKey:
    if isinstance(native, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPKey(native, native)
    if isinstance(native, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if not isinstance(native.curve, ec.SECP256R1):
            raise KeyRingError(f"unsupported curve {native.curve.name} (P-256 only)")
        return ECKey(native, native)
    raise KeyRingError(f"unsupported key type {type(native).__name__} (Ed25519 or P-256 only)")


def _parse_jwk(value: Any) -> JoseKey:
    if not isinstance(value, dict):
        raise KeyRingError("a JWK must be a JSON object")
    kty = value.get("kty")
    if kty == "OKP":
        imported: JoseKey = OKPKey.import_key(value)
    elif kty == "EC":
        imported = ECKey.import_key(value)
    else:
        raise KeyRingError(f"unsupported JWK kty {kty!r} (OKP Ed25519 or EC P-256 only)")
    # joserfc takes a private JWK's public members as given; a mismatch would publish a
    # public key that verifies nothing, so derive them and compare
    native = imported.private_key if imported.is_private else imported.public_key
    key = _from_native(native)
    derived = key.as_dict(private=False)
    if any(value.get(m) != derived.get(m) for m in ("crv", "x", "y")):
        raise KeyRingError("the JWK's public members do not match its private key")
    return key


def parse_key(data: bytes, source: str) -> JoseKey:
    """A key from PEM (PKCS8 private or SPKI public) or JWK JSON bytes.

    Any parsing failure is re-raised without its cause: the underlying libraries may echo
    input in their messages, and a traceback must never show private key bytes.
    """
    try:
        text = data.strip()
        if text.startswith(b"-----BEGIN"):
            if b"PRIVATE KEY-----" in text:
                native: object = serialization.load_pem_private_key(text, password=None)
            else:
                native = serialization.load_pem_public_key(text)
            key = _from_native(native)
        else:
            key = _parse_jwk(json.loads(text))
        algorithm_of(key)
        return key
    except KeyRingError as exc:
        raise KeyRingError(f"{source}: {exc}") from None
    except Exception as exc:
        raise KeyRingError(
            f"{source}: not a readable Ed25519/P-256 key in PEM (PKCS8) or JWK form "
            f"({type(exc).__name__})"
        ) from None


def _ring_key(key: JoseKey, did: str, source: str) -> RingKey:
    thumbprint = key.thumbprint()
    members = key.as_dict(private=False)
    # the RFC 7638 required members, nothing else: what the thumbprint is computed over
    public: dict[str, str] = {k: str(members[k]) for k in ("kty", "crv", "x", "y") if k in members}
    return RingKey(
        kid=f"{did}#{thumbprint}",
        alg=algorithm_of(key),
        thumbprint=thumbprint,
        public_jwk=public,
        source=source,
        can_sign=key.is_private,
        signer=key,
    )


def generate(algorithm: Algorithm) -> JoseKey:
    if algorithm == "EdDSA":
        return _from_native(ed25519.Ed25519PrivateKey.generate())
    return _from_native(ec.generate_private_key(ec.SECP256R1()))


def _pkcs8_pem(key: JoseKey) -> bytes:
    native = key.private_key
    assert native is not None, "only private keys are written"
    return native.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(directory: Path, name: str, data: bytes) -> Path:
    """Write a key file 0600 under a temporary dot-name, then rename: a crash never leaves
    a half-written key that the next start would refuse."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = directory / name
    tmp = directory / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, final)
    return final


def _key_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in KEY_SUFFIXES
    )


def _warn_if_open(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("key file %s is readable by others (mode %o); chmod 600 it", path, mode)


def _new_name(directory: Path, thumbprint: str) -> str:
    """``<UTC time>-<thumbprint>.pem``, sorting after every existing key file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    existing = [p.name for p in _key_files(directory)]
    name = f"{stamp}-{thumbprint}.pem"
    if existing and name <= existing[-1]:
        # a clock set back: '~' sorts after the '.' of the suffix, so this follows the last
        name = f"{Path(existing[-1]).stem}~{thumbprint}.pem"
    return name


class KeyRing:
    """Every key of the issuer; the active one signs, the others verify older credentials."""

    def __init__(
        self,
        did: str,
        keys: Sequence[RingKey],
        algorithm: Algorithm,
        directory: Path | None,
        env_active: bool,
    ) -> None:
        self.did = did
        self.algorithm = algorithm
        self._keys = list(keys)
        self._directory = directory
        self._env_active = env_active
        if not any(k.can_sign and k.alg == algorithm for k in self._keys):
            raise KeyRingError(f"no {algorithm} private key to sign with for {did}")

    @classmethod
    def load(
        cls,
        directory: Path | None,
        env_key: SecretStr | None,
        algorithm: Algorithm,
        *,
        did: str,
    ) -> KeyRing:
        """The keys of ``directory`` plus the environment key (which, when given, signs).

        Without an environment key, a directory holding no private key of ``algorithm``
        gets one generated (file mode 0600).
        """
        if algorithm not in ALGORITHMS:
            raise KeyRingError(f"unsupported algorithm {algorithm!r} (EdDSA or ES256)")
        keys: list[RingKey] = []
        seen: set[str] = set()
        for path in _key_files(directory) if directory else []:
            rk = _ring_key(parse_key(path.read_bytes(), str(path)), did, str(path))
            if rk.can_sign:
                _warn_if_open(path)
            if rk.thumbprint not in seen:
                seen.add(rk.thumbprint)
                keys.append(rk)
        if env_key is not None:
            secret = env_key.get_secret_value().encode("utf-8")
            rk = _ring_key(parse_key(secret, ENV_SOURCE), did, ENV_SOURCE)
            if not rk.can_sign:
                raise KeyRingError(f"{ENV_SOURCE}: holds a public key; a private key signs")
            if rk.alg != algorithm:
                raise KeyRingError(
                    f"{ENV_SOURCE}: is an {rk.alg} key but the configured algorithm is {algorithm}"
                )
            keys = [k for k in keys if k.thumbprint != rk.thumbprint] + [rk]
            return cls(did, keys, algorithm, directory, env_active=True)
        ring_dir = directory
        if not any(k.can_sign and k.alg == algorithm for k in keys):
            if ring_dir is None:
                raise KeyRingError("no signing key: give a key directory or " + ENV_SOURCE)
            keys.append(_create(ring_dir, algorithm, did))
        return cls(did, keys, algorithm, ring_dir, env_active=False)

    @classmethod
    def from_settings(cls, settings: SinkSettings, home: Path) -> KeyRing:
        return cls.load(
            settings.keys(home), settings.signing_key, settings.algorithm, did=settings.did()
        )

    @property
    def active(self) -> RingKey:
        """The newest private key of the configured algorithm."""
        return [k for k in self._keys if k.can_sign and k.alg == self.algorithm][-1]

    @property
    def all(self) -> tuple[RingKey, ...]:
        """Every key, oldest first, retired ones included (they belong in the DID document)."""
        return tuple(self._keys)

    def find(self, kid: str) -> RingKey | None:
        return next((k for k in self._keys if k.kid == kid), None)

    def rotate(self) -> str:
        """A new active key of the configured algorithm; older keys stay. Returns its kid."""
        if self._env_active:
            raise KeyRingError(
                f"the active key comes from {ENV_SOURCE}; rotate by setting a new one there "
                "and keeping the old one (public part is enough) in the key directory"
            )
        if self._directory is None:
            raise KeyRingError("a ring without a key directory cannot rotate")
        rk = _create(self._directory, self.algorithm, self.did)
        self._keys.append(rk)
        return rk.kid

    def __repr__(self) -> str:
        return f"KeyRing(did={self.did!r}, active={self.active.kid!r}, keys={len(self._keys)})"


def _create(directory: Path, algorithm: Algorithm, did: str) -> RingKey:
    key = generate(algorithm)
    thumbprint = key.thumbprint()
    path = _write_private(directory, _new_name(directory, thumbprint), _pkcs8_pem(key))
    log.info("created %s signing key %s#%s in %s", algorithm, did, thumbprint, path)
    return _ring_key(key, did, str(path))
