"""Fetch and unpack Apicurio Registry's prebuilt distribution into a per-version cache.

Like the broker's jars, it lives outside the repository
(``~/.cache/oretrail/apicurio-<version>/app``), filled once by
:func:`oretrail._mavencache.maven_cached`.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from oretrail._mavencache import maven_cached
from oretrail.registry._base import RegistryError

APICURIO_VERSION = "3.3.3"
"""The Apicurio Registry release the local registry runs (Quarkus 3.33, needs Java 21+)."""

RUN_JAR = "quarkus-run.jar"
_ARCHIVE = "apicurio-registry-app.tar.gz"


def app_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"apicurio-{version}" / "app"


def resolve(cache_dir: Path, version: str = APICURIO_VERSION) -> Path:
    """Return the folder holding ``quarkus-run.jar`` of Apicurio Registry ``version``."""

    def arguments(work: Path) -> list[str]:
        return [
            f"-Dapicurio.version={version}",
            f"-DoutputDirectory={work}",
            # A throw-away local repository: the 150 MB archive is unpacked into the cache,
            # and a second copy in ~/.m2 would only use disk.
            f"-Dmaven.repo.local={work / 'm2'}",
            "dependency:copy",
        ]

    def unpack(work: Path) -> Path | None:
        archive = work / _ARCHIVE
        if not archive.exists():
            return None
        staging = work / "app"
        with tarfile.open(archive) as tar:
            # "data" refuses absolute paths, links out of the folder and device files.
            tar.extractall(staging, filter="data")
        if not (staging / RUN_JAR).is_file():
            raise RegistryError(f"{archive.name} of {version} has no {RUN_JAR} at its top level")
        return staging

    return maven_cached(
        app_dir(cache_dir, version),
        pom_package="oretrail.registry",
        arguments=arguments,
        collect=unpack,
        what=f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all",
        error=RegistryError,
    )
