"""Securing credentials: the issuer's keys, enveloped VC-JOSE-COSE signatures, the did:web
document, the Bitstring Status List, and full verification."""

from sink.jose._did import (
    DID_CONTEXTS,
    DidError,
    did_document,
    did_host,
    did_of,
    did_web_url,
    verification_key,
)
from sink.jose._jws import (
    DATA_PREFIX,
    MEDIA_TYPE,
    VC_CONTEXT,
    EnvelopeError,
    credential_bytes,
    envelope,
    sign_credential,
    sign_payload,
    unenvelope,
)
from sink.jose._keys import Algorithm, KeyRing, KeyRingError, RingKey
from sink.jose._status import (
    MIN_BITS,
    StatusList,
    StatusListError,
    status_entry,
    status_list_credential,
)
from sink.jose._verify import (
    DidResolver,
    StatusFetcher,
    VerificationError,
    Verified,
    check_status,
    verify,
    verify_signed,
)

__all__ = [
    "DATA_PREFIX",
    "DID_CONTEXTS",
    "MEDIA_TYPE",
    "MIN_BITS",
    "VC_CONTEXT",
    "Algorithm",
    "DidError",
    "DidResolver",
    "EnvelopeError",
    "KeyRing",
    "KeyRingError",
    "RingKey",
    "StatusFetcher",
    "StatusList",
    "StatusListError",
    "VerificationError",
    "Verified",
    "check_status",
    "credential_bytes",
    "did_document",
    "did_host",
    "did_of",
    "did_web_url",
    "envelope",
    "sign_credential",
    "sign_payload",
    "status_entry",
    "status_list_credential",
    "unenvelope",
    "verification_key",
    "verify",
    "verify_signed",
]
