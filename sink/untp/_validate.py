"""The project's own structural check of a UNTP 0.6.1 credential (DPP, DTE, DFR): what a
verifier must be able to rely on, written from the UNTP 0.6.1 and VC 2.0 specifications
rather than by running their schema files (which are test material here, not a dependency):

- ``@context`` pinned: VC 2.0 first, then the UNTP 0.6.1 context of the credential's kind
  (more contexts may follow, all URLs, none twice);
- ``type``: an array with ``VerifiableCredential`` and exactly one UNTP credential type;
- ``id`` a URI; ``issuer`` an object with a DID ``id`` and a ``name``; ``validFrom`` (and
  ``validUntil``, later than it) RFC 3339 date-times with a time zone;
- ``credentialStatus`` entries typed, with URI ids;
- the subject's shape per kind (an array of events for a DTE, one object otherwise) and the
  members the kind's classes require;
- every ``id`` anywhere is a URI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sink.untp._common import is_did, is_uri
from sink.untp._contexts import CREDENTIAL_TYPES, VC_CONTEXT, Kind, kind_of_type, untp_context

CHECKED: tuple[Kind, ...] = ("dpp", "dte", "dfr")
_DATE_TIME = re.compile(
    r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
EVENT_TYPES = (
    "ObjectEvent",
    "TransformationEvent",
    "AggregationEvent",
    "TransactionEvent",
    "AssociationEvent",
)
_EVENT_ITEM_LISTS = ("epcList", "inputEPCList", "outputEPCList", "childEPCList")
_EVENT_QUANTITY_LISTS = (
    "quantityList",
    "inputQuantityList",
    "outputQuantityList",
    "childQuantityList",
)
TOPICS = frozenset(
    f"{area}.{topic}"
    for area, topics in {
        "environment": ("energy", "emissions", "water", "waste", "deforestation", "biodiversity"),
        "circularity": ("content", "design"),
        "social": ("labour", "rights", "community", "safety"),
        "governance": ("ethics", "compliance", "transparency"),
    }.items()
    for topic in topics
)


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}" if where else message)

    def obj(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.fail(where, f"must be a JSON object, got {_kind(value)}")
        return None

    def array(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, list):
            return value
        self.fail(where, f"must be an array, got {_kind(value)}")
        return []

    def text(self, node: Mapping[str, Any], key: str, where: str, required: bool = True) -> None:
        value = node.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not value.strip():
            got = repr(value) if isinstance(value, str) else _kind(value)
            self.fail(_at(where, key), f"must be a non-empty string, got {got}")

    def uri(self, node: Mapping[str, Any], key: str, where: str, required: bool = True) -> None:
        value = node.get(key)
        if value is None and not required:
            return
        if not is_uri(value):
            self.fail(_at(where, key), f"must be a URI, got {value!r}")

    def number(
        self,
        node: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = False,
        fraction: bool = False,
    ) -> None:
        value = node.get(key)
        if value is None and not required:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(_at(where, key), f"must be a number, got {_kind(value)}")
        elif fraction and not 0 <= value <= 1:
            self.fail(_at(where, key), f"must be a fraction between 0 and 1, got {value}")

    def types(self, node: Mapping[str, Any], where: str, *required: str) -> list[str]:
        value = node.get("type")
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.fail(f"{where}.type", f"must be an array of strings, got {value!r}")
            return []
        for name in required:
            if name not in value:
                self.fail(f"{where}.type", f"must contain {name!r}, got {value!r}")
        return value


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _moment(check: _Check, value: Any, where: str) -> datetime | None:
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        check.fail(where, f"must be an RFC 3339 date-time with a time zone, got {value!r}")
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        check.fail(where, f"{value!r} is no valid date-time")
        return None


def _header(check: _Check, credential: Mapping[str, Any]) -> Kind | None:
    types = credential.get("type")
    kinds: list[Kind] = []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        check.fail("type", f"must be an array of strings, got {types!r}")
    else:
        if "VerifiableCredential" not in types:
            check.fail("type", "must contain 'VerifiableCredential'")
        kinds = [k for k in (kind_of_type(t) for t in types) if k is not None]
        if len(kinds) != 1 or kinds[0] not in CHECKED:
            names = ", ".join(CREDENTIAL_TYPES[k] for k in CHECKED)
            check.fail("type", f"must name exactly one of {names}, got {types!r}")
            kinds = []
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        check.fail("@context", f"must be an array of context URLs, got {contexts!r}")
    else:
        if not contexts or contexts[0] != VC_CONTEXT:
            first = contexts[0] if contexts else None
            check.fail("@context[0]", f"must be {VC_CONTEXT} (VC 2.0 first), got {first!r}")
        if kinds:
            expected = untp_context(kinds[0])
            second = contexts[1] if len(contexts) > 1 else None
            if second != expected:
                check.fail("@context[1]", f"must be {expected}, got {second!r}")
        if len(set(contexts)) != len(contexts):
            check.fail("@context", "names a context twice")
    return kinds[0] if kinds else None


def _envelope(check: _Check, credential: Mapping[str, Any]) -> None:
    check.uri(credential, "id", "")
    issuer = credential.get("issuer")
    if issuer is None:
        check.fail("issuer", "is missing")
    elif (node := check.obj(issuer, "issuer")) is not None:
        if not is_did(node.get("id")):
            check.fail("issuer.id", f"must be a DID (did:web:...), got {node.get('id')!r}")
        check.text(node, "name", "issuer")
        if "type" in node:
            check.types(node, "issuer", "CredentialIssuer")
    start = _moment(check, credential.get("validFrom"), "validFrom")
    if credential.get("validUntil") is not None:
        end = _moment(check, credential["validUntil"], "validUntil")
        if start and end and end <= start:
            check.fail("validUntil", "must be later than validFrom")
    status = credential.get("credentialStatus")
    entries = status if isinstance(status, list) else [] if status is None else [status]
    for i, entry in enumerate(entries):
        where = f"credentialStatus[{i}]" if isinstance(status, list) else "credentialStatus"
        if (node := check.obj(entry, where)) is not None:
            if not node.get("type"):
                check.fail(f"{where}.type", "is missing")
            check.uri(node, "id", where, required=False)


def _links(check: _Check, node: Mapping[str, Any], key: str, where: str) -> None:
    for i, link in enumerate(check.array(node.get(key, []), _at(where, key))):
        at = f"{where}.{key}[{i}]"
        if (link := check.obj(link, at)) is not None:
            check.uri(link, "linkURL", at, required=False)
            if link.get("hashMethod") not in (None, "SHA-256", "SHA-1"):
                method = link["hashMethod"]
                check.fail(f"{at}.hashMethod", f"must be SHA-256 or SHA-1, got {method!r}")


def _dpp(check: _Check, subject: Any) -> None:
    if (node := check.obj(subject, "credentialSubject")) is None:
        return
    where = "credentialSubject"
    check.types(node, where, "ProductPassport")
    if (product := check.obj(node.get("product"), f"{where}.product")) is not None:
        check.uri(product, "id", f"{where}.product")
        check.text(product, "name", f"{where}.product")
    if node.get("granularityLevel") not in (None, "item", "batch", "model"):
        check.fail(f"{where}.granularityLevel", "must be item, batch or model")
    materials = check.array(node.get("materialsProvenance", []), f"{where}.materialsProvenance")
    for i, material in enumerate(materials):
        at = f"{where}.materialsProvenance[{i}]"
        if (material := check.obj(material, at)) is not None:
            check.text(material, "name", at)
            check.number(material, "massFraction", at, fraction=True)
            check.number(material, "recycledMassFraction", at, fraction=True)
    if (emissions := node.get("emissionsScorecard")) is not None:
        at = f"{where}.emissionsScorecard"
        if (emissions := check.obj(emissions, at)) is not None:
            check.number(emissions, "carbonFootprint", at, required=True)
            check.text(emissions, "declaredUnit", at)
            check.number(emissions, "primarySourcedRatio", at, required=True, fraction=True)
            if emissions.get("operationalScope") not in ("None", "CradleToGate", "CradleToGrave"):
                check.fail(f"{at}.operationalScope", "must be None, CradleToGate or CradleToGrave")
    infos = check.array(node.get("traceabilityInformation", []), f"{where}.traceabilityInformation")
    for i, info in enumerate(infos):
        at = f"{where}.traceabilityInformation[{i}]"
        if (info := check.obj(info, at)) is not None:
            _links(check, info, "traceabilityEvent", at)
    if (circularity := node.get("circularityScorecard")) is not None:
        at = f"{where}.circularityScorecard"
        if (circularity := check.obj(circularity, at)) is not None:
            check.number(circularity, "recycledContent", at, fraction=True)
    _claims(check, node, where)


def _claims(check: _Check, node: Mapping[str, Any], where: str) -> None:
    claims = check.array(node.get("conformityClaim", []), f"{where}.conformityClaim")
    for i, claim in enumerate(claims):
        at = f"{where}.conformityClaim[{i}]"
        if (claim := check.obj(claim, at)) is None:
            continue
        check.uri(claim, "id", at)
        if not isinstance(claim.get("conformance"), bool):
            check.fail(f"{at}.conformance", "must be true or false")
        if claim.get("conformityTopic") not in TOPICS:
            check.fail(f"{at}.conformityTopic", f"must be one of {sorted(TOPICS)}")


def _item(check: _Check, item: Any, at: str) -> None:
    if (item := check.obj(item, at)) is not None:
        check.uri(item, "id", at)
        check.text(item, "name", at)


def _dte(check: _Check, subject: Any) -> None:
    if not isinstance(subject, list):
        check.fail(
            "credentialSubject",
            f"of a traceability event credential must be an array of events, got {_kind(subject)}",
        )
        return
    if not subject:
        check.fail("credentialSubject", "holds no event")
    for i, event in enumerate(subject):
        at = f"credentialSubject[{i}]"
        if (event := check.obj(event, at)) is None:
            continue
        types = check.types(event, at, "Event")
        kinds = [t for t in types if t in EVENT_TYPES]
        if len(kinds) != 1:
            check.fail(f"{at}.type", f"must name exactly one of {', '.join(EVENT_TYPES)}")
        check.uri(event, "id", at)
        if event.get("eventTime") is not None:
            _moment(check, event["eventTime"], f"{at}.eventTime")
        if event.get("action") not in (None, "observe", "add", "delete"):
            check.fail(f"{at}.action", "must be observe, add or delete")
        check.uri(event, "bizLocation", at, required=False)
        for key in _EVENT_ITEM_LISTS:
            for j, item in enumerate(check.array(event.get(key, []), f"{at}.{key}")):
                _item(check, item, f"{at}.{key}[{j}]")
        if event.get("parentEPC") is not None:
            _item(check, event["parentEPC"], f"{at}.parentEPC")
        for key in _EVENT_QUANTITY_LISTS:
            for j, quantity in enumerate(check.array(event.get(key, []), f"{at}.{key}")):
                q_at = f"{at}.{key}[{j}]"
                if (quantity := check.obj(quantity, q_at)) is not None:
                    check.uri(quantity, "productId", q_at)
                    check.text(quantity, "productName", q_at)
                    check.number(quantity, "quantity", q_at, required=True)
        if kinds == ["TransactionEvent"]:
            check.text(event, "sourceParty", at)
            check.text(event, "destinationParty", at)


def _dfr(check: _Check, subject: Any) -> None:
    if (node := check.obj(subject, "credentialSubject")) is None:
        return
    check.types(node, "credentialSubject", "FacilityRecord")
    where = "credentialSubject.facility"
    if (facility := check.obj(node.get("facility"), where)) is not None:
        check.uri(facility, "id", where)
        check.text(facility, "name", where)
    _claims(check, node, "credentialSubject")


def _ids(check: _Check, value: Any, where: str) -> None:
    """Every string ``id`` anywhere must be a URI (JSON-LD turns it into a node IRI)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            at = _at(where, str(key))
            if key == "id" and isinstance(item, str) and not is_uri(item):
                check.fail(at, f"must be a URI, got {item!r}")
            _ids(check, item, at)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _ids(check, item, f"{where}[{i}]")


_SUBJECTS = {"dpp": _dpp, "dte": _dte, "dfr": _dfr}


def validate(credential: Mapping[str, Any]) -> list[str]:
    """Every structural problem of a UNTP 0.6.1 DPP, DTE or DFR credential; [] when valid."""
    if not isinstance(credential, Mapping):
        return [f"a credential is a JSON object, got {_kind(credential)}"]
    check = _Check()
    kind = _header(check, credential)
    _envelope(check, credential)
    if "credentialSubject" not in credential:
        check.fail("credentialSubject", "is missing")
    elif kind is not None:
        _SUBJECTS[kind](check, credential["credentialSubject"])
    _ids(check, credential, "")
    # an id the checks above reported already is not reported twice
    return list(dict.fromkeys(check.errors))
