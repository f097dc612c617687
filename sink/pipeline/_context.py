"""What every step of the pipeline shares: the store, the keys, the issuer, the revocation
list, the pipeline's own index, and how a credential is signed, stored and announced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sink.jose import MEDIA_TYPE, KeyRing, sign_credential
from sink.pipeline._index import PipelineIndex
from sink.pipeline._records import Collect, CredentialType, Recent, published
from sink.pipeline._status import RevocationList
from sink.storage import CredentialStore, Stored
from sink.untp import Facility, Issuer


@dataclass
class Context:
    store: CredentialStore
    ring: KeyRing
    issuer: Issuer
    base: str  # the public base URL, no trailing slash
    status: RevocationList
    index: PipelineIndex
    facilities: Mapping[str, Facility]
    announced: Recent = field(default_factory=Recent)
    linked: Recent = field(default_factory=Recent)

    def sign(self, unsigned: Mapping[str, Any]) -> Stored:
        """Sign with the active key and store the compact JWS (content-addressed)."""
        token = sign_credential(unsigned, self.ring)
        return self.store.publish(token.encode("ascii"), MEDIA_TYPE)

    def status_entry(self, credential_id: str, out: Collect) -> dict[str, Any]:
        """The credential's revocation entry (its index allocated once, ever)."""
        status, grown = self.status.entry(credential_id)
        out.published.extend(grown)
        return status

    def announce(
        self,
        out: Collect,
        credential_id: str,
        kind: CredentialType,
        stored: Stored,
        *,
        version: int = 1,
        product_id: str | None = None,
    ) -> None:
        """A CredentialPublished record, unless this credential was announced lately."""
        if self.announced.first(credential_id, stored.sha256):
            out.published.append(
                published(
                    credential_id,
                    kind,
                    uri=self.base + stored.url_path,
                    sha256=stored.sha256,
                    media_type=stored.media_type,
                    version=version,
                    product_id=product_id,
                )
            )
