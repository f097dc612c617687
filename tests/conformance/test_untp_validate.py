"""sink.untp.validate against the official UNTP 0.6.1 material: the published samples pass,
broken copies of them fail, and on every breakage the official schema also catches our
validator agrees with it (where ours is stricter, the test says so)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sink.untp import validate
from tests.conformance.untp_standards import Standards, schema_errors
from tests.untp_inputs import MUTATIONS, SHAPE

KINDS = ("dpp", "dte", "dfr")
#: breakages the UNTP 0.6.1 schemas let through and the project's validator refuses: UNTP
#: says the issuer id MUST be a DID but its schema only asks for a URI; a credential without
#: a subject or a validity start says nothing a verifier could rely on
STRICTER = {
    "issuer id no DID",
    "subject missing",
    "validFrom missing",
    "validUntil before validFrom",
}


@pytest.fixture(scope="module")
def std(standards: Path) -> Standards:
    return Standards(standards)


def samples(std: Standards) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, name, credential) of every published 0.6.1 DPP/DTE/DFR sample."""
    found = [(kind, f"untp-{kind}-instance.json", std.instance(kind)) for kind in KINDS]
    mocha = std.root / "untp" / "tests" / "mocha" / "example-credentials"
    for path in sorted(mocha.rglob("*.json")):
        data = json.loads(path.read_text())
        types = data.get("type") or []
        if "DigitalProductPassport" in types:  # the mocha set's DPPs, one with an extension
            found.append(("dpp", path.name, data))
    return found


def test_published_samples_are_valid(std: Standards) -> None:
    found = samples(std)
    assert len(found) >= 5
    for kind, name, credential in found:
        assert validate(credential) == [], name
        assert schema_errors(std.schema(kind), credential) == [], name


@settings(max_examples=150)
@given(st.data())
def test_broken_samples_are_refused(std: Standards, data: st.DataObject) -> None:
    kind, name, original = data.draw(st.sampled_from(samples(std)))
    mutation = data.draw(st.sampled_from(sorted(MUTATIONS)))
    credential = copy.deepcopy(original)
    mutate, expected = MUTATIONS[mutation]
    try:
        mutate(credential)
    except KeyError:  # the sample lacks the member this breakage changes
        return
    problems = validate(credential)
    assert any(expected in p for p in problems), (name, mutation, problems)
    official = schema_errors(std.schema(kind), credential)
    assert bool(official) == (mutation not in STRICTER), (name, mutation, official)


@pytest.mark.parametrize("kind", KINDS)
def test_subject_of_the_wrong_shape_is_refused(std: Standards, kind: str) -> None:
    credential = std.instance(kind)
    mutate, expected = SHAPE[kind]
    mutate(credential)
    assert any(expected in p for p in validate(credential))
    assert schema_errors(std.schema(kind), credential)  # the official schema agrees
