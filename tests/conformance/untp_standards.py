"""Checking credentials against the official files in ../shared/standards: the UNTP 0.6.1 JSON
Schemas and the W3C VC 2.0 schema (Draft 2020-12 with format checking), and JSON-LD
expansion with pyld over local copies of the contexts only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from pyld import jsonld

VC_URL = "https://www.w3.org/ns/credentials/v2"
UNTP_KINDS = ("dpp", "dte", "dfr", "dcc", "dia")

# RFC 3986 URI, from its ABNF (IPv6 literals simplified to hex digits, colons and dots)
_UNRESERVED = r"[A-Za-z0-9\-._~]"
_PCT = r"%[0-9A-Fa-f]{2}"
_SUB = r"[!$&'()*+,;=]"
_PCHAR = f"(?:{_UNRESERVED}|{_PCT}|{_SUB}|[:@])"
_SEGMENT = f"{_PCHAR}*"
_AUTHORITY = (
    f"(?:(?:{_UNRESERVED}|{_PCT}|{_SUB}|:)*@)?"
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:{_UNRESERVED}|{_PCT}|{_SUB})*)(?::[0-9]*)?"
)
_HIER = (
    f"(?://{_AUTHORITY}(?:/{_SEGMENT})*|/(?:{_PCHAR}+(?:/{_SEGMENT})*)?|{_PCHAR}+(?:/{_SEGMENT})*|)"
)
_QUERY = f"(?:{_PCHAR}|[/?])*"
RFC3986_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{_HIER}(?:\?{_QUERY})?(?:#{_QUERY})?")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")


def _checker() -> FormatChecker:
    """jsonschema's checker with the two formats the UNTP schemas lean on: without the
    optional rfc3987 / rfc3339-validator packages jsonschema passes any "uri"/"date-time"."""
    checker = FormatChecker()

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or RFC3986_URI.fullmatch(value) is not None

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not RFC3339.fullmatch(value):
            return False
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))  # ranges
        return True

    return checker


FORMATS = _checker()


class Standards:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.untp = root / "untp" / "v0.6.1"
        self.documents = {VC_URL: root / "w3c-vc" / "credentials-v2.jsonld"}
        for kind in UNTP_KINDS:
            url = f"https://test.uncefact.org/vocabulary/untp/{kind}/0.6.1/"
            self.documents[url] = self.untp / kind / "context.jsonld"
        self.loaded: list[str] = []
        self.refused: list[str] = []

    def schema(self, kind: str) -> Draft202012Validator:
        path = self.untp / kind / f"untp-{kind}-schema.json"
        return Draft202012Validator(json.loads(path.read_text()), format_checker=FORMATS)

    def vc_schema(self) -> Draft202012Validator:
        path = self.root / "w3c-vc" / "verifiable-credential-schema.json"
        return Draft202012Validator(json.loads(path.read_text()), format_checker=FORMATS)

    def instance(self, kind: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.untp / kind / f"untp-{kind}-instance.json").read_text()
        )
        return data

    def loader(self, url: str, options: object = None) -> dict[str, Any]:
        """pyld document loader serving the local copies; any other URL fails (no network)."""
        path = self.documents.get(url)
        if path is None:
            self.refused.append(url)
            raise LookupError(f"JSON-LD document {url} is no local standards file; refused")
        self.loaded.append(url)
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(path.read_text()),
        }


def schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}"
        for e in validator.iter_errors(document)
    ]


def _absolute(iri: object) -> bool:
    return isinstance(iri, str) and RFC3986_URI.fullmatch(iri) is not None


def expansion_problems(document: Any, loader: Callable[..., Any]) -> list[str]:
    """Terms JSON-LD expansion dropped (no definition in the contexts), and expanded keys or
    types that are no absolute IRI; [] when every term of the document has a meaning."""
    dropped: list[str] = []
    expanded = jsonld.expand(
        document,
        {"documentLoader": loader},
        on_property_dropped=lambda key: dropped.append(f"dropped term {key!r}"),
    )
    problems = list(dropped)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                if not key.startswith("@") and not _absolute(key):
                    problems.append(f"{path}: key {key!r} is no absolute IRI")
                if key == "@type":
                    for t in value if isinstance(value, list) else [value]:
                        if not _absolute(t):
                            problems.append(f"{path}: type {t!r} is no absolute IRI")
                walk(value, f"{path}/{key}")

    walk(expanded, "")
    if not expanded:
        problems.append("the document expanded to nothing")
    return problems
