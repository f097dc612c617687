"""Storage URLs: which backend, where, and clear refusals (parsing only, nothing opened)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.config import SinkSettings
from sink.storage import (
    FileStorage,
    FileTarget,
    S3Target,
    StorageError,
    open_storage,
    parse_storage_url,
)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("file:///var/lib/oretrail/credentials", "/var/lib/oretrail/credentials"),
        ("file://localhost/srv/store", "/srv/store"),
        ("FILE:///srv/store", "/srv/store"),
        ("file:///srv/with%20space/store", "/srv/with space/store"),
    ],
)
def test_file_urls(url: str, root: str) -> None:
    assert parse_storage_url(url) == FileTarget(Path(root))


def test_the_default_storage_url_of_the_settings_parses(tmp_path: Path) -> None:
    url = SinkSettings().storage(tmp_path / "home with space")
    target = parse_storage_url(url)
    assert target == FileTarget((tmp_path / "home with space").resolve() / "credentials")


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://passports", "passports", ""),
        ("s3://passports/", "passports", ""),
        ("s3://passports/prod/eu", "passports", "prod/eu"),
        ("s3://my.bucket-1/prod/", "my.bucket-1", "prod"),
    ],
)
def test_s3_urls(url: str, bucket: str, prefix: str) -> None:
    assert parse_storage_url(url) == S3Target(bucket, prefix)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "empty"),
        ("/var/lib/store", "no scheme"),
        ("gs://bucket/x", "unknown scheme 'gs'"),
        ("http://example.com/store", "unknown scheme 'http'"),
        ("file://otherhost/srv", "not one on host"),
        ("file:relative/path", "absolute"),
        ("file:///srv/../etc", "'..'"),
        ("file:///srv?x=1", "query"),
        ("s3://", "no bucket"),
        ("s3://Upper/x", "not a valid bucket name"),
        ("s3://ab/x", "not a valid bucket name"),
        ("s3://a..b/x", "not a valid bucket name"),
        ("s3://192.168.1.1/x", "not a valid bucket name"),
        ("s3://127.0.0.1:9000/bucket", "not a host and port"),
        ("s3://bucket/a//b", "bad prefix"),
        ("s3://bucket/../x", "bad prefix"),
        ("s3://bucket/sp ace", "bad prefix"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(StorageError, match=says.replace("?", r"\?").replace(".", r"\.")):
        parse_storage_url(url)


def test_credentials_in_a_url_are_refused_without_being_echoed() -> None:
    with pytest.raises(StorageError, match="credentials do not belong") as caught:
        parse_storage_url("s3://AKIAEXAMPLE:topsecret@bucket/prefix")
    assert "topsecret" not in str(caught.value)
    assert "AKIAEXAMPLE" not in str(caught.value)


bucket_names = st.from_regex(r"[a-z0-9][a-z0-9-]{1,30}[a-z0-9]", fullmatch=True)
prefix_segments = st.lists(
    st.from_regex(r"[a-z0-9_-][a-z0-9._-]{0,10}", fullmatch=True), max_size=4
)


@given(bucket_names, prefix_segments)
def test_s3_urls_round_trip(bucket: str, segments: list[str]) -> None:
    prefix = "/".join(segments)
    assert parse_storage_url(f"s3://{bucket}/{prefix}") == S3Target(bucket, prefix)


def test_open_storage_picks_the_file_backend(tmp_path: Path) -> None:
    storage = open_storage((tmp_path / "store").as_uri(), SinkSettings())
    assert isinstance(storage, FileStorage)
    assert storage.url == (tmp_path / "store").as_uri()
    assert (tmp_path / "store").is_dir()


def test_open_storage_refuses_unknown_schemes() -> None:
    with pytest.raises(StorageError, match="give file:///abs/path or s3://bucket/prefix"):
        open_storage("ftp://host/x", SinkSettings())
