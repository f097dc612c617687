"""A real S3 server on loopback for the storage tests: S3Proxy over a local folder.

S3Proxy (``org.gaul:s3proxy``, Apache 2.0) serves the S3 REST API with AWS v2/v4 signature
checks in front of jclouds' ``filesystem`` blob store. Its ``jar-with-dependencies`` is
fetched from Maven Central once into ``~/.cache/oretrail/s3proxy-<version>/`` (the pom is
``tests/integration/storage/pom.xml``), then each test session runs one server under a
temporary folder with a freshly generated access key, and stops it at the end.

S3Proxy answers conditional writes: ``If-None-Match: *`` atomically, ``If-Match`` with its
check outside the write (see :attr:`S3Server.atomic_if_match`).

S3Proxy 4.x is compiled for Java 17, so the distribution's default JDK is enough; a newer
one found the way the registry finds its Java works as well. Set
``ORETRAIL_TEST_S3_ENDPOINT`` (with ``..._ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY``) to
run the same tests against another S3-compatible server instead.
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from oretrail import registry
from oretrail._mavencache import maven_cached
from oretrail._process import HOST, Service, free_port
from oretrail.config import Settings

S3PROXY_VERSION = "4.1.0"
S3PROXY_MIN_JAVA = 17
JAR = "s3proxy.jar"
BUCKET = "oretrail-test"


class S3ServerError(RuntimeError):
    """S3Proxy could not be fetched, started or reached."""


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    # S3Proxy 4.1's file system store creates with If-None-Match atomically (a hard link)
    # but checks If-Match before, not under, its write: two racing swaps can both succeed.
    # AWS S3 and MinIO evaluate If-Match atomically.
    atomic_if_match: bool = True


_S3PROXY = Service(
    "s3proxy",
    marks=(JAR.encode(), b"s3proxy-"),
    error=S3ServerError,
    logs=("s3proxy.log",),
    startup_timeout_s=60.0,
    poll_s=0.1,
)


def fetch_s3proxy(cache_dir: Path, version: str = S3PROXY_VERSION) -> Path:
    """The runnable S3Proxy jar, fetched with Maven the first time."""

    def arguments(work: Path) -> list[str]:
        return [
            f"-Ds3proxy.version={version}",
            f"-DoutputDirectory={work / 'jar'}",
            # The cache keeps the one jar; a second copy in ~/.m2 would only use disk.
            f"-Dmaven.repo.local={work / 'm2'}",
            "dependency:copy",
        ]

    def collect(work: Path) -> Path | None:
        return work / "jar" if (work / "jar" / JAR).is_file() else None

    folder = maven_cached(
        cache_dir / f"s3proxy-{version}" / "jar",
        pom_package="tests.integration.storage",
        arguments=arguments,
        collect=collect,
        what=f"org.gaul:s3proxy:{version}:jar-with-dependencies",
        error=S3ServerError,
    )
    return folder / JAR


def properties(endpoint: str, basedir: Path, identity: str, credential: str) -> str:
    return "\n".join(
        [
            f"s3proxy.endpoint={endpoint}",
            "s3proxy.authorization=aws-v2-or-v4",
            f"s3proxy.identity={identity}",
            f"s3proxy.credential={credential}",
            "jclouds.provider=filesystem",
            f"jclouds.filesystem.basedir={basedir}",
            "",
        ]
    )


def answers(port: int) -> bool:
    """True once the HTTP port answers at all (unsigned requests get 403: that is up)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status > 0
    except OSError:
        return False
    finally:
        conn.close()


@dataclass
class RunningS3Proxy:
    server: S3Server
    process: subprocess.Popen[bytes]
    directory: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaped (no zombie left)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def start_s3proxy(directory: Path, *, cache_dir: Path, java: str | None = None) -> RunningS3Proxy:
    """Run S3Proxy on a free loopback port over ``directory/blobs``; return once it answers."""
    jar = fetch_s3proxy(cache_dir)
    if java is None:
        try:
            java = registry.find_java(S3PROXY_MIN_JAVA)
        except registry.RegistryError as exc:
            raise S3ServerError(f"S3Proxy needs Java {S3PROXY_MIN_JAVA}+: {exc}") from exc
    port = free_port()
    endpoint = f"http://{HOST}:{port}"
    identity = f"oretrail-{secrets.token_hex(4)}"
    credential = secrets.token_urlsafe(24)
    (directory / "blobs").mkdir(parents=True, exist_ok=True)
    conf = directory / "s3proxy.conf"
    conf.write_text(properties(endpoint, directory / "blobs", identity, credential))
    conf.chmod(0o600)
    command = [
        java,
        "-Xmx256m",
        # A test server: C1 alone and the serial collector start faster on 2 cores.
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        f"-Djava.io.tmpdir={directory}",
        "-jar",
        str(jar),
        "--properties",
        str(conf),
    ]
    process = _S3PROXY.spawn(command, directory / "s3proxy.log", cwd=directory)
    server = S3Server(endpoint, identity, credential, atomic_if_match=False)
    running = RunningS3Proxy(server, process, directory)
    try:
        _S3PROXY.wait_until_up(process, lambda: answers(port), directory)
    except BaseException:
        running.stop()
        raise
    return running


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A running S3 server (S3Proxy unless ``ORETRAIL_TEST_S3_ENDPOINT`` names another)."""
    external = os.environ.get("ORETRAIL_TEST_S3_ENDPOINT")
    if external:
        host = urlsplit(external).hostname or ""
        if not host.startswith("127.") and host not in ("localhost", "::1"):
            pytest.fail(f"ORETRAIL_TEST_S3_ENDPOINT {external} is not on loopback")
        yield S3Server(
            external,
            os.environ.get("ORETRAIL_TEST_S3_ACCESS_KEY_ID", ""),
            os.environ.get("ORETRAIL_TEST_S3_SECRET_ACCESS_KEY", ""),
        )
        return
    try:
        running = start_s3proxy(tmp_path_factory.mktemp("s3proxy"), cache_dir=Settings().cache_dir)
    except S3ServerError as exc:
        pytest.fail(f"the S3Proxy test server did not start: {exc}")
    try:
        yield running.server
    finally:
        running.stop()
