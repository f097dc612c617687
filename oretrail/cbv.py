"""CBV 2.0 vocabulary values: bare words, URNs and web URIs to one form.

A standard CBV value can be written three ways: the bare word JSON-LD uses (``shipping``),
the EPCIS 1.x URN (``urn:epcglobal:cbv:bizstep:shipping``) and the CBV 2.0 web URI
(``https://ref.gs1.org/cbv/BizStep-shipping``; ``cbv:BizStep-shipping`` as a CURIE). Any
other URI is a user vocabulary value and is kept as it is. A bare word that is no CBV term,
or a CBV URN / URI naming a term CBV 2.0 does not have, is an error.

The term lists are CBV 2.0 (ratified 2022), the same as the EPCIS 2.0 JSON-LD context.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from typing import Literal, get_args

Vocabulary = Literal["BizStep", "Disp", "BTT", "SDT", "ER"]
"""bizStep, disposition, bizTransaction type, source/destination type, error reason."""

WEB_BASE = "https://ref.gs1.org/cbv/"


class CbvError(ValueError):
    """A value that is neither a standard CBV 2.0 term nor a URI of some other vocabulary."""


# fmt: off
TERMS: Mapping[Vocabulary, frozenset[str]] = {
    "BizStep": frozenset({
        "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
        "creating_class_instance", "cycle_counting", "decommissioning", "departing",
        "destroying", "disassembling", "dispensing", "encoding", "entering_exiting", "holding",
        "inspecting", "installing", "killing", "loading", "other", "packing", "picking",
        "receiving", "removing", "repackaging", "repairing", "replacing", "reserving",
        "retail_selling", "sampling", "sensor_reporting", "shipping", "staging_outbound",
        "stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking",
        "void_shipping"
    }),
    "Disp": frozenset({
        "active", "available", "completeness_inferred", "completeness_verified", "conformant",
        "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
        "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
        "mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
        "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
        "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
        "unavailable", "unknown"
    }),
    "BTT": frozenset({
        "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
        "testprd", "testres", "upevt"
    }),
    "SDT": frozenset({
        "location", "owning_party", "possessing_party"
    }),
    "ER": frozenset({
        "did_not_occur", "incorrect_data"
    }),
}
# fmt: on

# the EPCIS 1.x URN segment of each vocabulary: urn:epcglobal:cbv:<segment>:<term>
URN_SEGMENTS: Mapping[Vocabulary, str] = {
    "BizStep": "bizstep",
    "Disp": "disp",
    "BTT": "btt",
    "SDT": "sdt",
    "ER": "er",
}
_FIELD: Mapping[Vocabulary, str] = {
    "BizStep": "bizStep",
    "Disp": "disposition",
    "BTT": "bizTransaction type",
    "SDT": "source/destination type",
    "ER": "error reason",
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_URN_PREFIX = "urn:epcglobal:cbv:"
_WEB_PREFIXES = (WEB_BASE, "http://ref.gs1.org/cbv/", "cbv:")


@functools.lru_cache(maxsize=4096)
def normalise(vocab: Vocabulary, value: str) -> str:
    """The bare CBV word of a standard term; a URI of another vocabulary unchanged."""
    if vocab not in TERMS:
        raise CbvError(f"unknown CBV vocabulary {vocab!r}; expected one of {get_args(Vocabulary)}")
    word = value.strip()
    field = _FIELD[vocab]
    if not word:
        raise CbvError(f"empty {field}")
    term = _cbv_term(vocab, word, field)
    if term is None:
        if _SCHEME.match(word):
            return word  # a URI from a user vocabulary: standard CBV allows them
        term = word
    if term not in TERMS[vocab]:
        raise CbvError(f"non-standard {field} {word!r}: {_hint(vocab, term)}")
    return term


def to_uri(vocab: Vocabulary, value: str) -> str:
    """The CBV 2.0 web URI of a standard term; a URI of another vocabulary unchanged."""
    term = normalise(vocab, value)
    return f"{WEB_BASE}{vocab}-{term}" if term in TERMS[vocab] else term


def is_standard(vocab: Vocabulary, value: str) -> bool:
    """Whether the value (in any of its three forms) is a standard CBV 2.0 term."""
    try:
        return normalise(vocab, value) in TERMS[vocab]
    except CbvError:
        return False


def _cbv_term(vocab: Vocabulary, word: str, field: str) -> str | None:
    """The term a CBV URN or web URI names (checked to be of ``vocab``); None otherwise."""
    if word.lower().startswith(_URN_PREFIX):
        segment, _, term = word[len(_URN_PREFIX) :].partition(":")
        if segment.lower() != URN_SEGMENTS[vocab]:
            raise CbvError(f"{field} {word!r} is a CBV '{segment}' value, not a {field}")
        return term
    for prefix in _WEB_PREFIXES:
        if word.startswith(prefix):
            kind, dash, term = word[len(prefix) :].partition("-")
            if not dash or kind != vocab:
                raise CbvError(f"{field} {word!r} is not a CBV {vocab} value")
            return term
    return None


def _hint(vocab: Vocabulary, term: str) -> str:
    close = difflib.get_close_matches(term.lower(), sorted(TERMS[vocab]), n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"{guess}CBV 2.0 {vocab} terms are bare words such as {min(TERMS[vocab])!r}; "
        "values from another vocabulary must be URIs"
    )
