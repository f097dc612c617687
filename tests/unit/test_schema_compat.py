"""The schema-evolution rule: every schema stays BACKWARD compatible with its last release."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from oretrail.schema_compat import backward_problems, check_folder
from oretrail.serde import SCHEMA_NAMES, raw_schema, released_versions, schemas_dir


def test_current_schemas_are_backward_compatible_with_last_release() -> None:
    released = released_versions()
    assert released, "schemas/released/ must hold at least the first release"
    assert check_folder(schemas_dir(), released[-1]) == {}


def test_every_current_schema_was_released_or_is_new() -> None:
    for name in SCHEMA_NAMES:
        assert (schemas_dir() / f"{name}.avsc").exists()


def _trace() -> dict[str, Any]:
    return copy.deepcopy(raw_schema("trace_event"))


def test_new_field_with_default_is_compatible() -> None:
    new = _trace()
    new["fields"].append({"name": "extra", "type": ["null", "string"], "default": None})
    assert backward_problems(new, raw_schema("trace_event")) == []


def test_new_field_without_default_is_caught() -> None:
    new = _trace()
    new["fields"].append({"name": "extra", "type": "string"})
    assert backward_problems(new, raw_schema("trace_event")) == [
        "TraceEvent.extra: new field without a default"
    ]


def test_removed_enum_symbol_is_caught() -> None:
    new = _trace()
    event_type = new["fields"][1]["type"]
    event_type["symbols"] = event_type["symbols"][:-1]
    problems = backward_problems(new, raw_schema("trace_event"))
    assert problems
    assert "AssociationEvent" in problems[0]


def test_narrowed_type_is_caught_and_promotion_allowed() -> None:
    old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}]}
    narrowed = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    widened = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "double"}]}
    assert backward_problems(narrowed, old) == ["R.a: writer long cannot be read as int"]
    assert backward_problems(widened, old) == []


def test_union_branch_removed_is_caught() -> None:
    old = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": ["null", "string", "long"]}],
    }
    new = {"type": "record", "name": "R", "fields": [{"name": "a", "type": ["null", "string"]}]}
    assert backward_problems(new, old) == [
        "R.a|2: writer type long matches no branch of the reader union"
    ]


def test_field_renamed_with_alias_is_compatible() -> None:
    old = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    new = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "b", "aliases": ["a"], "type": "string"}],
    }
    assert backward_problems(new, old) == []


def test_check_folder_reports_removed_schema(tmp_path: Path) -> None:
    released = tmp_path / "released"
    current = tmp_path / "current"
    released.mkdir()
    current.mkdir()
    (released / "gone.avsc").write_text(json.dumps({"type": "record", "name": "G", "fields": []}))
    assert check_folder(current, released) == {
        "gone.avsc": ["schema removed: consumers of its topic would break"]
    }


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_old_bytes_read_with_current_schema(name: str) -> None:
    # The compatibility verdict agrees with fastavro actually resolving old data.
    import io

    import fastavro
    from hypothesis import HealthCheck, given, settings

    from tests.avro_strategies import strategy

    old = json.loads((released_versions()[-1] / f"{name}.avsc").read_text())

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(record=strategy(old))
    def run(record: dict[str, Any]) -> None:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, fastavro.parse_schema(old), record)
        buf.seek(0)
        fastavro.schemaless_reader(
            buf, fastavro.parse_schema(old), fastavro.parse_schema(raw_schema(name))
        )

    run()
