"""Pure parts of ``oretrail.registry``: Java discovery, the command line, the info record."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oretrail.registry import CCOMPAT_PATH, RegistryError, RegistryInfo, find_java
from oretrail.registry._base import read_info, write_info
from oretrail.registry._java import candidates, java_major
from oretrail.registry._server import java_command


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "25.0.3" 2026-04-21 LTS', 25),
        ('java version "1.8.0_402"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "22-ea" 2024-03-19', 22),
        ("bash: java: command not found", None),
        ("", None),
    ],
)
def test_java_major(output: str, major: int | None) -> None:
    assert java_major(output) == major


@given(
    st.integers(min_value=9, max_value=999),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)
def test_java_major_of_any_modern_version(major: int, minor: int, patch: int) -> None:
    text = f'openjdk version "{major}.{minor}.{patch}" 2030-01-01\nOpenJDK 64-Bit Server VM'
    assert java_major(text) == major


def _fake_jdk(root: Path, name: str, version: str) -> Path:
    """A JDK folder whose bin/java answers ``-version`` like the real one (on stderr)."""
    java = root / name / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2026-01-01' >&2\n")
    java.chmod(0o755)
    return java


def test_find_java_skips_old_runtimes(tmp_path: Path) -> None:
    old = _fake_jdk(tmp_path / "jvm", "java-17-openjdk", "17.0.15")
    new = _fake_jdk(tmp_path / "jvm", "temurin-25-jdk", "25.0.3")
    env = {"JAVA_HOME": str(old.parent.parent), "PATH": str(old.parent)}
    found = candidates(env, tmp_path / "jvm")
    assert found[0] == str(old)  # JAVA_HOME first, the PATH duplicate dropped
    assert found.count(str(old)) == 1
    assert str(new) in found
    assert find_java(21, env, tmp_path / "jvm") == str(new)


def test_explicit_java_wins(tmp_path: Path) -> None:
    _fake_jdk(tmp_path / "jvm", "temurin-25-jdk", "25.0.3")
    mine = _fake_jdk(tmp_path / "mine", "jdk-21", "21.0.2")
    env = {"ORETRAIL_REGISTRY_JAVA": str(mine), "PATH": ""}
    assert find_java(21, env, tmp_path / "jvm") == str(mine)


def test_no_recent_java_is_a_clear_error(tmp_path: Path) -> None:
    _fake_jdk(tmp_path / "jvm", "java-17-openjdk", "17.0.15")
    with pytest.raises(RegistryError, match=r"Java 21 or newer.*java-17-openjdk.*\(17\)"):
        find_java(21, {"PATH": ""}, tmp_path / "jvm")


def test_command_is_loopback_only_and_keeps_state_in_its_folder(tmp_path: Path) -> None:
    cmd = java_command("/opt/jdk/bin/java", tmp_path / "app", tmp_path / "reg", 18080, 19000)
    assert cmd[0] == "/opt/jdk/bin/java"
    assert cmd[-2:] == ["-jar", str(tmp_path / "app" / "quarkus-run.jar")]
    props = dict(a[2:].split("=", 1) for a in cmd if a.startswith("-D"))
    assert props["quarkus.http.host"] == "127.0.0.1"
    assert props["quarkus.management.host"] == "127.0.0.1"
    assert props["quarkus.http.port"] == "18080"
    assert props["quarkus.management.port"] == "19000"
    assert (
        props["apicurio.datasource.url"] == f"jdbc:h2:file:{tmp_path / 'reg' / 'db' / 'registry'}"
    )
    for key in ("java.io.tmpdir", "apicurio.storage.snapshot.location", "apicurio.import.work-dir"):
        assert props[key] == str(tmp_path / "reg" / "tmp")


def test_info_round_trip(tmp_path: Path) -> None:
    info = RegistryInfo("http://127.0.0.1:18080", 18080, 19000, 4242, "3.3.3", str(tmp_path))
    assert read_info(tmp_path) is None
    write_info(tmp_path, info)
    assert read_info(tmp_path) == info
    assert info.ccompat_url == "http://127.0.0.1:18080" + CCOMPAT_PATH
    assert not list(tmp_path.glob("*.tmp"))
