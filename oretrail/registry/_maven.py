"""Fetch and unpack Apicurio Registry's prebuilt distribution into a per-version cache.

Like the broker's jars, it lives outside the repository
(``~/.cache/oretrail/apicurio-<version>/app``) and a ``.complete`` marker is written last,
so an interrupted download or extraction is redone rather than half-used.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

from oretrail.registry._base import RegistryError

APICURIO_VERSION = "3.3.3"
"""The Apicurio Registry release the local registry runs (Quarkus 3.33, needs Java 21+)."""

RUN_JAR = "quarkus-run.jar"


def app_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"apicurio-{version}" / "app"


def resolve(cache_dir: Path, version: str = APICURIO_VERSION) -> Path:
    """Return the folder holding ``quarkus-run.jar`` of Apicurio Registry ``version``."""
    app = app_dir(cache_dir, version)
    marker = app.parent / ".complete"
    if marker.exists():
        return app
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RegistryError(
            "`mvn` not found on PATH: install Maven (Debian: apt-get install maven)"
        )
    app.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=app.parent) as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_bytes(resources.files("oretrail.registry").joinpath("pom.xml").read_bytes())
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            f"-Dapicurio.version={version}",
            f"-DoutputDirectory={tmp}",
            # A throw-away local repository: the 150 MB archive is unpacked into the cache
            # below, and a second copy in ~/.m2 would only use disk.
            f"-Dmaven.repo.local={Path(tmp) / 'm2'}",
            "dependency:copy",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        archive = Path(tmp) / "apicurio-registry-app.tar.gz"
        if proc.returncode != 0 or not archive.exists():
            raise RegistryError(
                f"fetching io.apicurio:apicurio-registry-app:{version}:tar.gz:all failed "
                f"(exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        staging = Path(tmp) / "app"
        with tarfile.open(archive) as tar:
            # "data" refuses absolute paths, links out of the folder and device files.
            tar.extractall(staging, filter="data")
        if not (staging / RUN_JAR).is_file():
            raise RegistryError(f"{archive.name} of {version} has no {RUN_JAR} at its top level")
        if app.exists():
            shutil.rmtree(app)
        staging.rename(app)
    marker.write_text(version + "\n")
    return app
