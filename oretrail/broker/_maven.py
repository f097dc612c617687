"""Resolve the broker's jars from Maven Central into a per-version cache.

The cache lives outside the repository (``~/.cache/oretrail/kafka-<version>``) so a
fresh clone reuses it, and a ``.complete`` marker is written last so an interrupted
resolution is redone rather than half-used.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path


class MavenError(RuntimeError):
    """Maven is missing or could not resolve the broker's dependencies."""


def jar_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"kafka-{version}" / "lib"


def resolve_jars(cache_dir: Path, version: str) -> Path:
    """Return the folder holding every runtime jar of ``kafka_2.13:<version>``."""
    lib = jar_dir(cache_dir, version)
    marker = lib.parent / ".complete"
    if marker.exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenError("`mvn` not found on PATH: install Maven (Debian: apt-get install maven)")
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_bytes(resources.files("oretrail.broker").joinpath("pom.xml").read_bytes())
        staging = Path(tmp) / "lib"
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dkafka.version={version}",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not any(staging.glob(f"kafka_2.13-{version}.jar")):
            raise MavenError(
                f"resolving org.apache.kafka:kafka_2.13:{version} failed "
                f"(exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        if lib.exists():
            shutil.rmtree(lib)
        staging.rename(lib)
    marker.write_text(version + "\n")
    return lib
