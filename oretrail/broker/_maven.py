"""Resolve the broker's jars from Maven Central into a per-version cache.

The cache is ``~/.cache/oretrail/kafka-<version>/lib``, filled once by
:func:`oretrail._mavencache.maven_cached`.
"""

from __future__ import annotations

from pathlib import Path

from oretrail._mavencache import maven_cached


class MavenError(RuntimeError):
    """Maven is missing or could not resolve the broker's dependencies."""


def jar_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / f"kafka-{version}" / "lib"


def resolve_jars(cache_dir: Path, version: str) -> Path:
    """Return the folder holding every runtime jar of ``kafka_2.13:<version>``."""

    def arguments(work: Path) -> list[str]:
        return [
            f"-Dkafka.version={version}",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={work / 'lib'}",
        ]

    def collect(work: Path) -> Path | None:
        staging = work / "lib"
        return staging if (staging / f"kafka_2.13-{version}.jar").is_file() else None

    return maven_cached(
        jar_dir(cache_dir, version),
        pom_package="oretrail.broker",
        arguments=arguments,
        collect=collect,
        what=f"org.apache.kafka:kafka_2.13:{version}",
        error=MavenError,
    )
