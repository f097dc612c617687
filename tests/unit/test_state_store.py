from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from connectors.sdk import StateStore


def test_missing_state_is_none(tmp_path: Path) -> None:
    assert StateStore(tmp_path / "nope.json").load() is None


@given(position=st.text())
def test_positions_round_trip(position: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(Path(tmp) / "deep" / "state.json")
        store.save("first")
        store.save(position)
        assert store.load() == position
        assert not (Path(tmp) / "deep" / "state.tmp").exists()
