"""The CBV term lists written in oretrail.cbv are exactly those of the published CBV 2.0."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest

from oretrail import cbv
from oretrail.cbv import Vocabulary

# the per-vocabulary pieces of the EPCIS 2.0 @context, named as gs1/EPCIS ships them
MODULAR = {
    "BizStep": "cbv-context-bizstep.jsonld",
    "Disp": "cbv-context-disposition.jsonld",
    "BTT": "cbv-context-biztransaction-type.jsonld",
    "SDT": "cbv-context-sourcedest-type.jsonld",
    "ER": "cbv-context-error-reason.jsonld",
}


def _ontology_terms(standards: Path) -> dict[str, set[str]]:
    graph = json.loads((standards / "epcis/ontology/CBV.jsonld").read_text("utf-8"))["@graph"]
    terms: dict[str, set[str]] = {}
    for node in graph:
        match = re.fullmatch(r"cbv:(\w+)-(\w+)", node.get("@id", ""))
        if match:
            terms.setdefault(match.group(1), set()).add(match.group(2))
    return terms


@pytest.mark.parametrize("vocab", get_args(Vocabulary))
def test_terms_match_the_cbv_ontology(standards: Path, vocab: Vocabulary) -> None:
    assert set(cbv.TERMS[vocab]) == _ontology_terms(standards)[vocab]


@pytest.mark.parametrize("vocab", get_args(Vocabulary))
def test_terms_match_the_epcis_context(standards: Path, vocab: Vocabulary) -> None:
    path = standards / "epcis/context/modular" / MODULAR[vocab]
    context = json.loads(path.read_text("utf-8"))["@context"]
    mapped = {key: value for key, value in context.items() if isinstance(value, str)}
    words = {key for key, value in mapped.items() if value == f"cbv:{vocab}-{key}"}
    assert set(cbv.TERMS[vocab]) == words
    for word in words:
        assert cbv.to_uri(vocab, word) == mapped[word].replace("cbv:", cbv.WEB_BASE)
