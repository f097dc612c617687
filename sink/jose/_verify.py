"""Full verification of a secured credential: signature, header, issuer, dates, status list,
schema. Pure: the DID resolver and the status list fetcher are passed in."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc.errors import JoseError

from sink.jose._did import DidError, did_of, verification_key
from sink.jose._jws import CTY, TYP, VC_CONTEXT, EnvelopeError, extract, signature_valid, unenvelope
from sink.jose._keys import ALGORITHMS
from sink.jose._status import ENTRY_TYPE, StatusList, StatusListError, status_list_problems

DidResolver = Callable[[str], Mapping[str, Any]]
StatusFetcher = Callable[[str], Mapping[str, Any] | str]
Validator = Callable[[Mapping[str, Any]], list[str]]
# a set bit of a list with these purposes makes the credential invalid; others only inform
_INVALIDATING = {"revocation": "revoked", "suspension": "suspended"}


class VerificationError(Exception):
    """Why a credential does not verify: ``reason`` is a short fixed phrase ("revoked",
    "signature mismatch", "expired", ...), ``detail`` says which and where."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Verified:
    credential: dict[str, Any]
    header: dict[str, Any]
    kid: str
    issuer: str


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _time(credential: Mapping[str, Any], name: str) -> datetime | None:
    value = credential.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise VerificationError(
            "malformed credential", f"{name} {value!r} is not a date-time"
        ) from None
    if moment.tzinfo is None:
        raise VerificationError("malformed credential", f"{name} {value!r} has no time zone")
    return moment


def _check_dates(credential: Mapping[str, Any], now: datetime) -> None:
    valid_from = _time(credential, "validFrom")
    valid_until = _time(credential, "validUntil")
    # JWT claims may come along in a VC-JOSE-COSE payload; honour them when present
    nbf, exp = credential.get("nbf"), credential.get("exp")
    if isinstance(nbf, int | float):
        valid_from = max(filter(None, [valid_from, datetime.fromtimestamp(nbf, UTC)]))
    if isinstance(exp, int | float):
        valid_until = min(filter(None, [valid_until, datetime.fromtimestamp(exp, UTC)]))
    if valid_from is not None and now < valid_from:
        raise VerificationError("not yet valid", f"valid from {valid_from.isoformat()}")
    if valid_until is not None and now > valid_until:
        raise VerificationError("expired", f"valid until {valid_until.isoformat()}")


def _check_header(header: Mapping[str, Any]) -> str:
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise VerificationError("header", f"alg {alg!r} is not allowed (EdDSA or ES256)")
    if header.get("typ") != TYP:
        raise VerificationError("header", f"typ {header.get('typ')!r} is not {TYP!r}")
    if header.get("cty") != CTY:
        raise VerificationError("header", f"cty {header.get('cty')!r} is not {CTY!r}")
    if "crit" in header or "b64" in header:
        raise VerificationError("header", "crit/b64 extensions are not understood here")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise VerificationError("unknown kid", "the header has no kid")
    return kid


def verify_signed(
    token_or_envelope: str | bytes | Mapping[str, Any], resolve_did: DidResolver, now: datetime
) -> Verified:
    """Signature, header, issuer and dates of a secured credential (no status, no schema)."""
    try:
        obj = extract(unenvelope(token_or_envelope))
    except (EnvelopeError, JoseError, ValueError) as exc:
        raise VerificationError("malformed", str(exc) or type(exc).__name__) from None
    header = dict(obj.headers())
    kid = _check_header(header)
    try:
        did = did_of(kid)
    except DidError as exc:
        raise VerificationError("unknown kid", str(exc)) from None
    try:
        document = resolve_did(did)
    except Exception as exc:
        raise VerificationError("unknown kid", f"cannot resolve {did}: {exc}") from None
    try:
        key, alg = verification_key(document, kid)
    except DidError as exc:
        raise VerificationError("unknown kid", str(exc)) from None
    if alg != header["alg"]:
        raise VerificationError("header", f"alg {header['alg']} but {kid} is an {alg} key")
    try:
        good = signature_valid(obj, key)
    except JoseError as exc:
        raise VerificationError("signature mismatch", str(exc)) from None
    if not good:
        raise VerificationError("signature mismatch", f"not signed by {kid}")
    try:
        credential = json.loads(obj.payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError("malformed", f"payload is not UTF-8 JSON ({exc})") from None
    if not isinstance(credential, dict):
        raise VerificationError("malformed", "payload is not a JSON object")
    contexts = credential.get("@context")
    types = credential.get("type")
    if not (isinstance(contexts, list) and contexts[:1] == [VC_CONTEXT]):
        raise VerificationError("not a credential", f"@context does not start with {VC_CONTEXT}")
    if not (isinstance(types, list) and "VerifiableCredential" in types):
        raise VerificationError("not a credential", "type does not include VerifiableCredential")
    issuer = issuer_id(credential)
    if issuer != did:
        raise VerificationError("issuer mismatch", f"issuer {issuer!r} but signed by {did}")
    _check_dates(credential, now)
    return Verified(credential=credential, header=header, kid=kid, issuer=did)


def _entries(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = credential.get("credentialStatus")
    if status is None:
        return []
    entries = status if isinstance(status, list) else [status]
    if not all(isinstance(e, Mapping) for e in entries):
        raise VerificationError("malformed credential", "credentialStatus entries are not objects")
    return entries


def _status_list(
    url: str, issuer: str, resolve_did: DidResolver, fetch_status: StatusFetcher, now: datetime
) -> tuple[str, StatusList]:
    try:
        fetched = fetch_status(url)
    except Exception as exc:
        raise VerificationError("status unavailable", f"{url}: {exc}") from None
    try:
        listed = verify_signed(fetched, resolve_did, now)
    except VerificationError as exc:
        raise VerificationError("status list invalid", f"{url}: {exc}") from None
    problems = status_list_problems(listed.credential)
    if listed.credential.get("id", url) != url:
        problems.append(f"its id is {listed.credential.get('id')!r}")
    if listed.issuer != issuer:
        problems.append(f"issued by {listed.issuer}, not by the credential's issuer {issuer}")
    if problems:
        raise VerificationError("status list invalid", f"{url}: " + "; ".join(problems))
    subject = listed.credential["credentialSubject"]
    try:
        return subject["statusPurpose"], StatusList.decode(subject["encodedList"])
    except StatusListError as exc:
        raise VerificationError("status list invalid", f"{url}: {exc}") from None


def check_status(
    verified: Verified, resolve_did: DidResolver, fetch_status: StatusFetcher, now: datetime
) -> None:
    """Every ``BitstringStatusListEntry``: the list is fetched, verified, and read."""
    lists: dict[str, tuple[str, StatusList]] = {}
    for entry in _entries(verified.credential):
        kind = entry.get("type")
        if kind != ENTRY_TYPE and not (isinstance(kind, list) and ENTRY_TYPE in kind):
            raise VerificationError("status unsupported", f"credentialStatus type {kind!r}")
        url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
        index_text = str(entry.get("statusListIndex", ""))
        if not isinstance(url, str) or not index_text.isdigit():
            raise VerificationError(
                "malformed credential",
                "a status entry needs statusListCredential and a decimal statusListIndex",
            )
        if entry.get("statusSize", 1) not in (1, "1"):
            raise VerificationError("status unsupported", "statusSize other than 1")
        if url not in lists:
            lists[url] = _status_list(url, verified.issuer, resolve_did, fetch_status, now)
        list_purpose, bits = lists[url]
        if list_purpose != purpose:
            raise VerificationError(
                "status list invalid", f"{url} is a {list_purpose} list, the entry says {purpose}"
            )
        index = int(index_text)
        try:
            is_set = bits.get(index)
        except StatusListError as exc:
            raise VerificationError("status list invalid", f"{url}: {exc}") from None
        if is_set and purpose in _INVALIDATING:
            raise VerificationError(_INVALIDATING[purpose], f"bit {index} of {url} is set")


def verify(
    token_or_envelope: str | bytes | Mapping[str, Any],
    *,
    resolve_did: DidResolver,
    fetch_status: StatusFetcher,
    validate: Validator,
    now: datetime,
) -> Verified:
    """A secured credential checked in full, or :class:`VerificationError` with the reason."""
    if now.tzinfo is None:
        raise ValueError("now needs a time zone")
    verified = verify_signed(token_or_envelope, resolve_did, now)
    # status before schema: "revoked" is what a holder of a revoked credential must hear
    check_status(verified, resolve_did, fetch_status, now)
    problems = validate(verified.credential)
    if problems:
        raise VerificationError("schema", "; ".join(problems))
    return verified
