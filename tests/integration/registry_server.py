"""A real Apicurio Registry for the registry-driver tests, started by ``oretrail.registry``.

One registry per test session under a temporary home, stopped at the end. Set
``ORETRAIL_TEST_SCHEMA_REGISTRY`` to a Confluent-compatible URL (Apicurio's
``.../apis/ccompat/v7``, Confluent, Karapace) to run the same tests against that instead.
tests/integration/conftest.py registers it once for every module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from oretrail import registry


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ccompat URL of a running registry, for ``RegistrySerde`` and the registry client."""
    external = os.environ.get("ORETRAIL_TEST_SCHEMA_REGISTRY")
    if external:
        yield external
        return
    home = tmp_path_factory.mktemp("registry-home")
    try:
        info = registry.start(home)
    except registry.RegistryError as exc:
        pytest.fail(f"the local Apicurio Registry did not start: {exc}")
    try:
        yield info.ccompat_url
    finally:
        registry.stop(home)
