"""What only the S3 backend has: buckets, settings and keys, content types, the fallback
without conditional writes, errors that name the key but never the secret."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from pydantic import SecretStr

from oretrail._process import free_port
from sink.config import SinkSettings
from sink.storage import S3Target, StorageConflict, StorageError, open_storage
from sink.storage._s3 import S3Storage, make_client
from tests.integration.s3_server import BUCKET, S3Server
from tests.integration.storage.conftest import s3_settings, unique_prefix

MT = "application/vc+jwt"


def fresh_bucket() -> str:
    return f"b-{uuid.uuid4().hex[:20]}"


def raw_client(server: S3Server) -> Any:
    """A plain boto3 client, to look at what the storage wrote from outside it."""
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(s3={"addressing_style": "path"}),
    )


def test_open_storage_by_url_with_the_settings(s3_server: S3Server) -> None:
    prefix = unique_prefix()
    storage = open_storage(f"s3://{BUCKET}/{prefix}/", s3_settings(s3_server), create_bucket=True)
    try:
        assert isinstance(storage, S3Storage)
        assert storage.url == f"s3://{BUCKET}/{prefix}"
        assert storage.conditional_writes is True
        storage.put_if_absent("k", b"v", MT)
        listed = raw_client(s3_server).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        assert [o["Key"] for o in listed["Contents"]] == [f"{prefix}/k"]
    finally:
        storage.close()


def test_a_missing_bucket_is_an_error_unless_creation_is_asked(s3_server: S3Server) -> None:
    bucket = fresh_bucket()
    with pytest.raises(StorageError, match=f"bucket '{bucket}' does not exist"):
        open_storage(f"s3://{bucket}", s3_settings(s3_server))
    storage = open_storage(f"s3://{bucket}", s3_settings(s3_server), create_bucket=True)
    try:
        assert storage.put_if_absent("k", b"v", MT) is True
        assert storage.list() == ["k"]
    finally:
        storage.close()
    again = open_storage(f"s3://{bucket}", s3_settings(s3_server), create_bucket=True)
    try:
        assert again.get("k") == b"v"  # creating an existing bucket of ours is harmless
    finally:
        again.close()


def test_objects_carry_their_media_type(s3_server: S3Server) -> None:
    prefix = unique_prefix()
    storage = open_storage(f"s3://{BUCKET}/{prefix}", s3_settings(s3_server), create_bucket=True)
    try:
        storage.put_if_absent("cred", b"eyJ.x.y", MT)
        storage.put("did.json", b"{}", "application/json")
    finally:
        storage.close()
    client = raw_client(s3_server)
    assert client.head_object(Bucket=BUCKET, Key=f"{prefix}/cred")["ContentType"] == MT
    head = client.head_object(Bucket=BUCKET, Key=f"{prefix}/did.json")
    assert head["ContentType"] == "application/json"


def test_prefixes_in_one_bucket_do_not_see_each_other(s3_server: S3Server) -> None:
    settings = s3_settings(s3_server)
    one = open_storage(f"s3://{BUCKET}/{unique_prefix()}", settings, create_bucket=True)
    two = open_storage(f"s3://{BUCKET}/{unique_prefix()}", settings, create_bucket=True)
    try:
        one.put_if_absent("k", b"one", MT)
        assert two.get("k") is None
        assert two.list() == []
        assert two.put_if_absent("k", b"two", MT) is True
        assert one.get("k") == b"one"
    finally:
        one.close()
        two.close()


def test_wrong_keys_fail_without_showing_the_secret(s3_server: S3Server) -> None:
    secret = "wrong-" + uuid.uuid4().hex
    settings = SinkSettings(
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=SecretStr(s3_server.access_key_id),
        s3_secret_access_key=SecretStr(secret),
    )
    with pytest.raises(StorageError) as caught:
        open_storage(f"s3://{BUCKET}/x", settings)
    message = str(caught.value)
    assert "403" in message
    assert secret not in message
    assert secret not in repr(settings)


def test_half_the_keys_is_a_clear_error(s3_server: S3Server) -> None:
    settings = SinkSettings(
        s3_endpoint_url=s3_server.endpoint_url, s3_access_key_id=SecretStr("only-the-id")
    )
    with pytest.raises(StorageError, match="set both ORETRAIL_SINK_S3_ACCESS_KEY_ID"):
        open_storage(f"s3://{BUCKET}/x", settings)


def test_an_unreachable_endpoint_names_the_storage() -> None:
    settings = SinkSettings(
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id=SecretStr("id"),
        s3_secret_access_key=SecretStr("secret-value"),
    )
    with pytest.raises(StorageError, match=f"cannot open s3://{BUCKET}/x") as caught:
        open_storage(f"s3://{BUCKET}/x", settings)
    assert "secret-value" not in str(caught.value)


def test_without_conditional_writes_the_sequential_semantics_hold(s3_server: S3Server) -> None:
    storage = S3Storage.from_settings(
        S3Target(BUCKET, unique_prefix()),
        s3_settings(s3_server),
        create_bucket=True,
        conditional_writes=False,
    )
    try:
        assert storage.put_if_absent("k", b"1", MT) is True
        assert storage.put_if_absent("k", b"1", MT) is False
        with pytest.raises(StorageConflict):
            storage.put_if_absent("k", b"2", MT)
        assert storage.compare_and_put("p", b"1", MT, expected=None) is True
        assert storage.compare_and_put("p", b"2", MT, expected=b"x") is False
        assert storage.compare_and_put("p", b"2", MT, expected=b"1") is True
        assert storage.get("p") == b"2"
    finally:
        storage.close()


def test_errors_name_the_key_and_the_reason(s3_server: S3Server) -> None:
    # Built directly (no bucket check), on a bucket that is not there.
    storage = S3Storage(make_client(s3_settings(s3_server)), S3Target(fresh_bucket(), "p"))
    try:
        with pytest.raises(
            StorageError, match=r"cannot write cred/1 in s3://b-\w+/p: NoSuchBucket"
        ):
            storage.put("cred/1", b"x", MT)
        with pytest.raises(StorageError, match=r"cannot read cred/1 in s3://b-\w+/p: NoSuchBucket"):
            storage.get("cred/1")
        with pytest.raises(StorageError, match=r"cannot list cred/ in s3://b-\w+/p: NoSuchBucket"):
            storage.list("cred/")
    finally:
        storage.close()
