"""streams.facts on the official EPCIS examples (GS1, OpenEPCIS, OpenEPCIS DPP-ready).

* every event the EPCIS mapping accepts gives facts or problems, never an exception, and the
  facts it gives are valid (masses >= 0, fractions in [0, 1]...);
* the OpenEPCIS 2.0 capture documents published in both bindings give equal facts from the
  XML and from the JSON-LD twin (the GS1 twins differ from their XML on purpose: see
  KNOWN_DIFFERENCES in test_xml_examples).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.epcis import read_document
from oretrail.epcis import DocumentEvent, EpcisParseError, EpcisValidationError, to_trace_event
from streams.facts import WHOLE, EventFacts, extract
from streams.model import ELEMENTS
from tests.conftest import STANDARDS

EXAMPLES = STANDARDS / "epcis" / "examples"
OPENEPCIS_20 = EXAMPLES / "openepcis-test-resources" / "2.0" / "EPCIS"
ORIGIN: dict[str, Any] = {
    "connector": "test",
    "source": "standards",
    "position": "0",
    "format": "epcis",
    "receivedAt": datetime(2026, 11, 24, tzinfo=UTC),
}
# out of XSD element order on purpose: the XML reader refuses its event (test_xml_examples)
NOT_TWINS = {"JumbledFieldsOrder.xml"}


def _documents() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    paths = (p for p in EXAMPLES.rglob("*") if p.suffix in (".json", ".jsonld", ".xml"))
    return sorted(p for p in paths if "Invalid" not in p.parts)


def _facts(path: Path) -> list[tuple[datetime, EventFacts]]:
    """(eventTime, facts) of each event of the document the mapping accepts."""
    out = []
    try:
        with path.open("rb") as stream:
            events = [e for e in read_document(stream) if isinstance(e, DocumentEvent)]
    except EpcisParseError:
        return []  # query documents, capture jobs, master data: no event list to read
    for event in events:
        try:
            record = to_trace_event(event, origin=ORIGIN)
        except EpcisValidationError:
            continue
        out.append((record["eventTime"], extract(record)))
    return out


def _mass(kg: float | None) -> bool:
    return kg is None or (math.isfinite(kg) and kg >= 0)


def _check(facts: EventFacts) -> None:
    assert all(isinstance(p, str) and p for p in facts.problems)
    for lot in facts.lots:
        assert _mass(lot.mass_kg)
        assert set(lot.element_content) <= set(ELEMENTS)
        assert all(0 <= f <= 1 for f in lot.element_content.values())
        assert lot.source_events == (facts.event_id,)
    if facts.transformation is not None:
        t = facts.transformation
        assert all(_mass(take.kg) for take in t.inputs + t.outputs)
    if facts.aggregation is not None:
        assert all(_mass(c.kg) or c.kg == WHOLE for c in facts.aggregation.children)


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_event_gives_valid_facts_or_problems(standards: Path, path: Path) -> None:
    for _, facts in _facts(path):
        _check(facts)


def test_the_examples_state_every_kind_of_fact(standards: Path) -> None:
    """Not a vacuous pass: the corpus holds commissioned lots with a mass, transformations
    with inputs in kg, aggregations, and the ILMD's country of origin."""
    seen: Counter[str] = Counter()
    for path in _documents():
        for _, facts in _facts(path):
            seen["lot with mass"] += sum(lot.mass_kg is not None for lot in facts.lots)
            seen["country"] += sum(lot.country_of_origin is not None for lot in facts.lots)
            t = facts.transformation
            seen["transformation input in kg"] += bool(t and t.inputs)
            seen["aggregation"] += facts.aggregation is not None
    assert min(seen.values()) > 0, seen
    assert len(seen) == 4


def _anonymous(facts: EventFacts) -> EventFacts:
    """Facts without the event id: a JSON twin may declare an id its XML leaves to the hash."""
    t, a = facts.transformation, facts.aggregation
    return dataclasses.replace(
        facts,
        event_id="",
        lots=tuple(dataclasses.replace(lot, source_events=("",)) for lot in facts.lots),
        transformation=t and dataclasses.replace(t, event_id=""),
        aggregation=a and dataclasses.replace(a, event_id=""),
    )


def _twins() -> list[Any]:
    folder = OPENEPCIS_20 / "XML" / "Capture" / "Documents"
    out = []
    for xml in sorted(folder.glob("*.xml")) if folder.is_dir() else []:
        stem = xml.stem.replace("errorDeclaration", "error_declaration")
        twin = OPENEPCIS_20 / "JSON" / "Capture" / "Documents" / f"{stem}.json"
        if twin.exists() and xml.name not in NOT_TWINS:
            out.append(pytest.param(xml, twin, id=xml.name))
    return out


@pytest.mark.parametrize(("xml", "twin"), _twins())
def test_both_bindings_of_an_example_give_equal_facts(
    standards: Path, xml: Path, twin: Path
) -> None:
    def by_time(path: Path) -> list[tuple[datetime, str]]:
        return sorted((time, repr(_anonymous(facts))) for time, facts in _facts(path))

    from_xml = by_time(xml)
    if not from_xml:
        pytest.skip(f"the EPCIS mapping refuses every event of {xml.name}")
    assert from_xml == by_time(twin)
