"""Find a Java runtime recent enough for the registry.

Apicurio Registry 3.x is compiled for Java 21, while the broker is happy with the
distribution's default Java 17, so the registry looks beyond ``java`` on PATH: an
explicit ``ORETRAIL_REGISTRY_JAVA``, then ``JAVA_HOME``, PATH, and the JDKs installed
side by side under ``/usr/lib/jvm``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from oretrail.registry._base import RegistryError

MIN_JAVA = 21
JVM_ROOT = Path("/usr/lib/jvm")

_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


def java_major(version_output: str) -> int | None:
    """The major version in ``java -version`` output (``1.8.0_x`` is 8, ``25.0.3`` is 25)."""
    match = _VERSION.search(version_output)
    if match is None:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2) is not None:
        return int(match.group(2))
    return first


def _probe(java: str) -> int | None:
    try:
        proc = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return java_major(proc.stderr + proc.stdout)


def candidates(env: dict[str, str], jvm_root: Path = JVM_ROOT) -> list[str]:
    """Java executables to try, most explicit first, without duplicates."""
    found: list[str] = []
    explicit = env.get("ORETRAIL_REGISTRY_JAVA")
    if explicit:
        found.append(explicit)
    if env.get("JAVA_HOME"):
        found.append(str(Path(env["JAVA_HOME"]) / "bin" / "java"))
    # An empty PATH means none: shutil.which would fall back to this process's own PATH.
    search = env.get("PATH")
    on_path = shutil.which("java", path=search) if search else None
    if on_path:
        found.append(on_path)
    if jvm_root.is_dir():
        # Each one is probed, so the order here only decides which of several good JDKs wins.
        found.extend(str(p / "bin" / "java") for p in sorted(jvm_root.iterdir(), reverse=True))
    return _unique(found)


def _unique(paths: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for path in paths:
        key = os.path.realpath(path)
        if key not in seen and Path(path).is_file():
            seen.add(key)
            out.append(path)
    return out


def find_java(
    min_major: int = MIN_JAVA, env: dict[str, str] | None = None, jvm_root: Path = JVM_ROOT
) -> str:
    """The first candidate whose major version is at least ``min_major``."""
    tried = []
    for java in candidates(dict(os.environ) if env is None else env, jvm_root):
        major = _probe(java)
        if major is not None and major >= min_major:
            return java
        tried.append(f"{java} ({major if major is not None else 'unreadable version'})")
    raise RegistryError(
        f"Apicurio Registry needs Java {min_major} or newer; tried: "
        f"{', '.join(tried) or 'none found'}. Install one (Debian: openjdk-21-jre-headless "
        f"or later) or point ORETRAIL_REGISTRY_JAVA at its bin/java"
    )
