"""The ObjectStorage contract, run over every backend (a folder and a real S3 server)."""

from __future__ import annotations

import threading

import pytest

from sink.storage import InvalidKey, ObjectStorage, StorageConflict
from tests.integration.storage.racing import expect_lost_swaps_unless_atomic, race

MT = "application/octet-stream"


def test_url_names_the_backend(storage: ObjectStorage) -> None:
    assert storage.url.split("://")[0] in ("file", "s3")
    assert isinstance(storage, ObjectStorage)


def test_put_if_absent_creates_then_is_idempotent(storage: ObjectStorage) -> None:
    assert storage.put_if_absent("a/b/c.json", b'{"x":1}', "application/json") is True
    assert storage.get("a/b/c.json") == b'{"x":1}'
    assert storage.put_if_absent("a/b/c.json", b'{"x":1}', "application/json") is False
    assert storage.get("a/b/c.json") == b'{"x":1}'


def test_put_if_absent_refuses_other_bytes(storage: ObjectStorage) -> None:
    storage.put_if_absent("k", b"first", MT)
    with pytest.raises(StorageConflict) as caught:
        storage.put_if_absent("k", b"second", MT)
    assert caught.value.key == "k"
    assert "k" in str(caught.value)
    assert storage.get("k") == b"first"


def test_empty_object_is_not_a_missing_one(storage: ObjectStorage) -> None:
    assert storage.put_if_absent("empty", b"", MT) is True
    assert storage.get("empty") == b""
    assert storage.put_if_absent("empty", b"", MT) is False


def test_missing_keys_read_as_none(storage: ObjectStorage) -> None:
    assert storage.get("nothing/here") is None
    storage.put("deep/er/key", b"x", MT)
    assert storage.get("deep") is None  # a prefix of other keys is not an object
    assert storage.get("deep/er") is None
    assert storage.list("nothing/") == []


def test_put_replaces(storage: ObjectStorage) -> None:
    storage.put("pointer", b"one", MT)
    storage.put("pointer", b"two", MT)
    assert storage.get("pointer") == b"two"


def test_readers_never_see_a_partial_replace(storage: ObjectStorage) -> None:
    # Large, distinct payloads: a torn write would read as a mix or a truncation.
    payloads = [bytes([i]) * 262_144 for i in range(1, 9)]
    storage.put("big", payloads[0], MT)
    seen: list[bytes | None] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set() or len(seen) < 5:
            seen.append(storage.get("big"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for payload in payloads[1:]:
            storage.put("big", payload, MT)
    finally:
        done.set()
        reader.join()
    assert seen
    assert all(data in payloads for data in seen)
    assert storage.get("big") == payloads[-1]


def test_list_by_prefix(storage: ObjectStorage) -> None:
    keys = ["p/abc/1", "p/abc/2", "p/abd/1", "p/x", "q/1", "top"]
    for key in keys:
        storage.put_if_absent(key, key.encode(), MT)
    assert storage.list() == sorted(keys)
    assert storage.list("") == sorted(keys)
    assert storage.list("p/") == ["p/abc/1", "p/abc/2", "p/abd/1", "p/x"]
    assert storage.list("p/abc/") == ["p/abc/1", "p/abc/2"]
    assert storage.list("p/ab") == ["p/abc/1", "p/abc/2", "p/abd/1"]  # part of a segment
    assert storage.list("p/abc") == ["p/abc/1", "p/abc/2"]
    assert storage.list("q") == ["q/1"]
    assert storage.list("zzz") == []


def test_listing_shows_no_temporary_or_lock_files(storage: ObjectStorage) -> None:
    storage.put_if_absent("d/a", b"1", MT)
    storage.put("d/b", b"2", MT)
    storage.compare_and_put("d/c", b"3", MT, expected=None)
    storage.compare_and_put("d/c", b"4", MT, expected=b"3")
    assert storage.list("d/") == ["d/a", "d/b", "d/c"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/abs",
        "a//b",
        "a/",
        "../x",
        "a/../b",
        "./a",
        ".hidden",
        "a/.tmp-1",
        "sp ace",
        "a\\b",
        "ü",
        "a\x00b",
        "a/b?c",
        "x" * 600,
    ],
)
def test_unsafe_keys_are_refused_before_any_write(storage: ObjectStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        storage.put_if_absent(key, b"x", MT)
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", MT)
    with pytest.raises(InvalidKey):
        storage.get(key)
    assert storage.list() == []


@pytest.mark.parametrize("prefix", ["/", "/a", "a//", "../", "a/../", ".x/"])
def test_unsafe_prefixes_are_refused(storage: ObjectStorage, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        storage.list(prefix)


def test_compare_and_put(storage: ObjectStorage) -> None:
    assert storage.compare_and_put("ptr", b"1", MT, expected=None) is True
    assert storage.compare_and_put("ptr", b"x", MT, expected=None) is False
    assert storage.compare_and_put("ptr", b"2", MT, expected=b"nope") is False
    assert storage.get("ptr") == b"1"
    assert storage.compare_and_put("ptr", b"2", MT, expected=b"1") is True
    assert storage.get("ptr") == b"2"
    assert storage.compare_and_put("absent", b"2", MT, expected=b"1") is False
    assert storage.get("absent") is None


def test_racing_creators_exactly_one_wins(storage: ObjectStorage) -> None:
    for round_ in range(10):
        key = f"race/{round_}"

        def create(i: int, key: str = key) -> bool:
            return storage.put_if_absent(key, f"w{i}".encode(), MT)

        results = race(2, create)
        assert results.count(True) == 1, results
        loser = results[1 - results.index(True)]
        assert isinstance(loser, StorageConflict), loser
        assert storage.get(key) == f"w{results.index(True)}".encode()


def test_racing_creators_of_the_same_bytes_one_true_rest_false(storage: ObjectStorage) -> None:
    for round_ in range(10):
        key = f"same/{round_}"

        def create_same(_: int, key: str = key) -> bool:
            return storage.put_if_absent(key, b"same", MT)

        results = race(4, create_same)
        assert sorted(results, key=str) == [False, False, False, True], results


def test_compare_and_put_loses_no_update(
    storage: ObjectStorage, swaps_atomically: bool, request: pytest.FixtureRequest
) -> None:
    expect_lost_swaps_unless_atomic(request, swaps_atomically)
    workers, increments = 4, 8

    def increment(_: int) -> int:
        swaps = 0
        for _ in range(increments):
            while True:
                current = storage.get("counter")
                value = int(current) if current is not None else 0
                if storage.compare_and_put(
                    "counter", str(value + 1).encode(), MT, expected=current
                ):
                    swaps += 1
                    break
        return swaps

    results = race(workers, increment)
    assert results == [increments] * workers
    assert storage.get("counter") == str(workers * increments).encode()
