"""Every storage test runs once per backend: the ``storage`` fixture is a local folder and a
bucket prefix on a real S3 server (S3Proxy on loopback), so one suite states the contract
both must keep."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from sink.config import SinkSettings
from sink.storage import CredentialStore, FileStorage, ObjectStorage, S3Target
from sink.storage._s3 import S3Storage
from tests.integration.s3_server import BUCKET, S3Server, s3_server

__all__ = ["s3_server"]

BACKENDS = ["file", "s3"]


def s3_settings(server: S3Server) -> SinkSettings:
    return SinkSettings(
        s3_endpoint_url=server.endpoint_url,
        s3_region=server.region,
        s3_access_key_id=SecretStr(server.access_key_id),
        s3_secret_access_key=SecretStr(server.secret_access_key),
    )


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def open_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], ObjectStorage]]:
    """Open a fresh, empty storage of a backend (a new folder, a new bucket prefix)."""
    opened: list[ObjectStorage] = []

    def make(backend: str) -> ObjectStorage:
        storage: ObjectStorage
        if backend == "file":
            storage = FileStorage(tmp_path_factory.mktemp("store"))
        else:
            server = request.getfixturevalue("s3_server")
            storage = S3Storage.from_settings(
                S3Target(BUCKET, unique_prefix()), s3_settings(server), create_bucket=True
            )
        opened.append(storage)
        return storage

    yield make
    for storage in opened:
        storage.close()


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, open_backend: Callable[[str], ObjectStorage]
) -> ObjectStorage:
    return open_backend(request.param)


@pytest.fixture
def swaps_atomically(request: pytest.FixtureRequest, storage: ObjectStorage) -> bool:
    """Whether racing ``compare_and_put`` calls on this backend are serialised."""
    if isinstance(storage, S3Storage):
        server: S3Server = request.getfixturevalue("s3_server")
        return server.atomic_if_match
    return True


@pytest.fixture
def store(storage: ObjectStorage) -> CredentialStore:
    return CredentialStore(storage)
