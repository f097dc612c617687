"""What only the folder backend has: its files, hidden scratch files, other processes.

The behaviour both backends share is tested once for both in tests/integration/storage/.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from sink.storage import FileStorage, StorageConflict, StorageError

MT = "application/json"


def test_keys_are_files_under_the_root(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_if_absent("credentials/abc", b"x", MT)
    assert (tmp_path / "credentials" / "abc").read_bytes() == b"x"


def test_no_scratch_file_is_left_behind(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_if_absent("d/a", b"1", MT)
    storage.put_if_absent("d/a", b"1", MT)
    with pytest.raises(StorageConflict):
        storage.put_if_absent("d/a", b"2", MT)
    storage.put("d/b", b"1", MT)
    storage.put("d/b", b"2", MT)
    storage.compare_and_put("d/c", b"1", MT, expected=None)
    storage.compare_and_put("d/c", b"1", MT, expected=None)
    names = sorted(os.listdir(tmp_path / "d"))
    assert [n for n in names if n.startswith(".tmp-")] == []
    # Lock files stay (removing one could let two lockers hold different files) but hidden.
    assert [n for n in names if not n.startswith(".")] == ["a", "b", "c"]
    assert storage.list() == ["d/a", "d/b", "d/c"]


def test_the_root_must_be_an_absolute_folder(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="absolute"):
        FileStorage(Path("relative/store"))
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StorageError, match="a-file"):
        FileStorage(tmp_path / "a-file")


def test_an_object_cannot_also_be_a_folder(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put("a", b"object", MT)
    with pytest.raises(StorageError, match="cannot write a/b: a parent of the key is an object"):
        storage.put_if_absent("a/b", b"x", MT)
    with pytest.raises(StorageError, match="cannot write a/b"):
        storage.put("a/b", b"x", MT)
    storage.put("c/d", b"x", MT)
    with pytest.raises(StorageError, match="cannot write c"):
        storage.put_if_absent("c", b"x", MT)
    assert storage.get("a") == b"object"


def test_data_must_be_bytes(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    with pytest.raises(StorageError, match="must be bytes, not str"):
        storage.put_if_absent("k", "text", MT)  # type: ignore[arg-type]  # the check under test
    assert storage.get("k") is None


def test_without_fsync_the_semantics_are_the_same(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path, durable=False)
    assert storage.put_if_absent("k", b"1", MT) is True
    assert storage.put_if_absent("k", b"1", MT) is False
    with pytest.raises(StorageConflict):
        storage.put_if_absent("k", b"2", MT)
    assert storage.compare_and_put("k", b"2", MT, expected=b"1") is True
    assert storage.get("k") == b"2"


def test_two_instances_on_one_folder_share_it(tmp_path: Path) -> None:
    one, two = FileStorage(tmp_path), FileStorage(tmp_path)
    one.put_if_absent("k", b"1", MT)
    assert two.put_if_absent("k", b"1", MT) is False
    assert two.compare_and_put("k", b"2", MT, expected=b"1") is True
    assert one.compare_and_put("k", b"3", MT, expected=b"1") is False
    assert one.get("k") == b"2"


def _create(root: str, key: str, data: bytes, barrier: object) -> str:
    barrier.wait()  # type: ignore[attr-defined]  # a multiprocessing Barrier proxy
    try:
        return str(FileStorage(Path(root)).put_if_absent(key, data, MT))
    except StorageConflict:
        return "conflict"


def _increment(root: str, times: int, barrier: object) -> int:
    barrier.wait()  # type: ignore[attr-defined]  # a multiprocessing Barrier proxy
    storage = FileStorage(Path(root), durable=False)
    for _ in range(times):
        while True:
            current = storage.get("counter")
            value = int(current) if current is not None else 0
            if storage.compare_and_put("counter", str(value + 1).encode(), MT, expected=current):
                break
    return times


def test_racing_processes_exactly_one_creates(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(2) as pool:
        for round_ in range(5):
            barrier = manager.Barrier(2)
            key = f"race/{round_}"
            results = pool.starmap(
                _create, [(str(tmp_path), key, b"A", barrier), (str(tmp_path), key, b"B", barrier)]
            )
            assert sorted(results) == ["True", "conflict"], results
            winner = b"A" if results[0] == "True" else b"B"
            assert (tmp_path / "race" / str(round_)).read_bytes() == winner


def test_racing_processes_lose_no_pointer_update(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(3) as pool:
        barrier = manager.Barrier(3)
        done = pool.starmap(_increment, [(str(tmp_path), 20, barrier)] * 3)
    assert done == [20, 20, 20]
    assert (tmp_path / "counter").read_bytes() == b"60"


def test_redelivery_touches_nothing_on_disk(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_if_absent("d/k", b"same", MT)
    before = (tmp_path / "d").stat().st_mtime_ns, (tmp_path / "d" / "k").stat().st_ino
    assert storage.put_if_absent("d/k", b"same", MT) is False
    # No scratch file was created and removed: the folder itself is unmodified.
    assert ((tmp_path / "d").stat().st_mtime_ns, (tmp_path / "d" / "k").stat().st_ino) == before
