"""Start threads together so they really race (a barrier), and collect what each got."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest


def race(workers: int, action: Callable[[int], object]) -> list[object]:
    """Run ``action(i)`` in ``workers`` threads released together; results or exceptions."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def expect_lost_swaps_unless_atomic(request: pytest.FixtureRequest, atomic: bool) -> None:
    if not atomic:
        request.applymarker(
            pytest.mark.xfail(
                reason="this S3 server checks If-Match outside its write (S3Proxy 4.1), so "
                "racing swaps can both win; AWS S3 and MinIO do not",
                strict=False,
            )
        )
