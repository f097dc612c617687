"""Fuzzing the ERP export reader: random bytes and mutated exports give records or dead
letters, never an exception and never silence."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.erp import ErpFileConfig, ErpFileSource
from connectors.sdk import Rejected, SourceRecord, StateStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "erp"
MAPPING = EXAMPLES / "refinery-mapping.yaml"
EXPORTS = {p.name: p.read_bytes() for p in sorted((EXAMPLES / "exports").iterdir())}


def _poll(name: str, data: bytes) -> list[SourceRecord | Rejected]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        source = ErpFileSource(ErpFileConfig(mapping=MAPPING, paths=(path,)))
        source.open(StateStore(Path(tmp) / "state.json"))
        try:
            return [item for item in source.poll() if item is not None]
        finally:
            source.close()


def _csv_lines(data: bytes) -> list[bytes]:
    # the line breaks the csv module honours, not every one bytes.splitlines knows
    return re.split(rb"\r\n|\r|\n", data)


_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.sampled_from(sorted(EXPORTS)), st.binary(max_size=600))
# an incomplete UTF-8 BOM: a text stream's utf-8-sig decoder reads it as an empty file
@example("goods-movements-2026-11-01.json", b"\xef")
@example("goods-movements-2026-11-01.json", b"\xef\xbb")
def test_random_bytes_under_an_export_name(name: str, data: bytes) -> None:
    items = _poll(name, data)
    for item in items:
        assert isinstance(item, SourceRecord | Rejected)
        if isinstance(item, Rejected):
            assert item.message
    # something that holds rows can never vanish without a trace: a CSV needs a header and
    # a row, a JSON export anything but blank or an empty array/object
    if name.endswith(".csv"):
        holds_rows = len([ln for ln in _csv_lines(data) if ln.decode("latin-1").strip()]) >= 2
    else:
        try:
            holds_rows = json.loads(data) not in ([], {})
        except ValueError:
            holds_rows = bool(data.decode("utf-8", "replace").strip())
    if holds_rows:
        assert items, "an export holding rows produced neither records nor dead letters"


@_SETTINGS
@given(
    st.sampled_from(sorted(EXPORTS)),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=10),
    st.floats(0.1, 1.0),
)
def test_mutated_exports(name: str, flips: list[tuple[int, int]], keep: float) -> None:
    original = EXPORTS[name]
    data = bytearray(original[: max(1, int(len(original) * keep))])
    for where, byte in flips:
        data[where % len(data)] = byte
    items = _poll(name, bytes(data))
    # a CSV cut inside its header holds no row (that is an empty export); anything else does
    if name.endswith(".json") or len(_csv_lines(bytes(data))) > 1:
        assert items, "a non-empty export produced neither records nor dead letters"
    for item in items:
        if isinstance(item, Rejected):
            assert item.message
            assert item.position.startswith(str(Path(item.source)))


def test_the_untouched_exports_are_all_records() -> None:
    for name, data in EXPORTS.items():
        items = _poll(name, data)
        assert items, name
        assert all(isinstance(i, SourceRecord) for i in items), name
