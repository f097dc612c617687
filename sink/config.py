"""The sink's boundary settings (``ORETRAIL_SINK_*``): issuer, keys, storage, resolver.

One frozen model, unknown keys rejected like every other boundary of the project. Secrets
(a signing key given in the environment, S3 credentials) are ``SecretStr`` so they never
show in a repr, a log line or an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Algorithm = Literal["EdDSA", "ES256"]


class SinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORETRAIL_SINK_", frozen=True, extra="forbid")

    storage_url: str | None = Field(
        default=None,
        description="file:///path or s3://bucket/prefix; default file://<home>/credentials",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8780",
        description="where the resolver is reached; links, credential ids and did:web derive "
        "from it",
    )
    issuer_did: str | None = Field(
        default=None, description="the issuer's did:web; default derived from public_base_url"
    )
    issuer_name: str = "oretrail"
    key_dir: Path | None = Field(
        default=None, description="signing keys (one file per key id); default <home>/keys"
    )
    signing_key: SecretStr | None = Field(
        default=None, description="a private key (PEM or JWK JSON) given in the environment"
    )
    algorithm: Algorithm = "EdDSA"
    facilities: Path | None = Field(
        default=None, description="facility master data (YAML or CSV) for facility records"
    )
    dte_window_seconds: float = Field(
        default=60.0, gt=0, description="traceability events are batched per facility and window"
    )
    resolver_host: str = "127.0.0.1"
    resolver_port: int = Field(default=8780, ge=0, le=65535)
    events_topic: str = "oretrail.events"
    passports_topic: str = "oretrail.passport-updates"
    credentials_topic: str = "oretrail.credentials"
    dlq_topic: str = "oretrail.dlq"
    group_id: str = Field(default="oretrail-sink", description="the sink's consumer group")
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint")
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None

    def storage(self, home: Path) -> str:
        return self.storage_url or (home.resolve() / "credentials").as_uri()

    def keys(self, home: Path) -> Path:
        return self.key_dir or home / "keys"

    def did(self) -> str:
        """``did:web`` of the issuer: the resolver's host (port percent-encoded) and path."""
        if self.issuer_did:
            return self.issuer_did
        parts = urlsplit(self.public_base_url)
        host = quote(parts.netloc, safe="")
        path = ":".join(p for p in parts.path.split("/") if p)
        return f"did:web:{host}" + (f":{path}" if path else "")
