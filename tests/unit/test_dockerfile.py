"""The Dockerfile read as instructions (no Docker engine here): its stages, what it copies
(everything the wheel build needs, nothing .dockerignore drops), its entrypoint, its user.

The build commands themselves (``uv sync --frozen --no-install-project`` then ``uv sync
--frozen --no-editable`` with only the copied files) were replayed by hand in a scratch
folder: the wheel installs and ``oretrail connectors list`` runs from it.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    stage: str
    keyword: str
    value: str


def instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined, each tagged with its stage name."""
    joined = re.sub(r"\\\n", " ", text)
    out, stage = [], ""
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)$", value, re.IGNORECASE)
            stage = match.group(1) if match else ""
        out.append(Instruction(stage, keyword, value.strip()))
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return instructions((ROOT / "Dockerfile").read_text())


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore drops ``path`` (or a folder above it); ``!`` re-includes."""
    result = False
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.removeprefix("**/")
        if any(fnmatch.fnmatch(c, pat) or fnmatch.fnmatch(Path(c).name, pat) for c in candidates):
            result = not negate
    return result


def test_two_stages_and_compose_builds_the_runtime_one(dockerfile: list[Instruction]) -> None:
    stages = [i.stage for i in dockerfile if i.keyword == "FROM"]
    assert stages == ["build", "runtime"]
    args = {
        i.value.split("=")[0]: i.value.split("=", 1)[1] for i in dockerfile if i.keyword == "ARG"
    }
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), "base image pinned to a patch"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    targets = {s["build"]["target"] for s in compose["services"].values() if "build" in s}
    assert targets == {"runtime"}


def test_it_copies_everything_the_wheel_build_needs(dockerfile: list[Instruction]) -> None:
    copied = set()
    for i in dockerfile:
        if i.keyword == "COPY" and not i.value.startswith("--from"):
            *sources, _dest = i.value.split()
            copied.update(sources)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = {"pyproject.toml", "uv.lock", project["project"]["readme"]}
    needed |= set(wheel["packages"]) | set(wheel["force-include"])
    assert needed <= copied, f"missing from the image build: {sorted(needed - copied)}"
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not ignored(source, patterns), f".dockerignore drops {source}"
    # and the context stays small: tests, the VCS and local state never go in
    for heavy in (".git", ".venv", "var", "tests", "helm"):
        assert ignored(heavy, patterns), heavy


def test_dependencies_come_from_the_lock_without_dev_extras(
    dockerfile: list[Instruction],
) -> None:
    syncs = [i.value for i in dockerfile if i.keyword == "RUN" and "uv sync" in i.value]
    assert len(syncs) == 2
    for command in syncs:
        assert "--frozen" in command
        assert "--extra" not in command
        assert "--all-extras" not in command
    assert "--no-install-project" in syncs[0]


def test_entrypoint_is_oretrail_under_tini_as_a_non_root_user(
    dockerfile: list[Instruction],
) -> None:
    runtime = [i for i in dockerfile if i.stage == "runtime"]
    entrypoint = json.loads(next(i.value for i in runtime if i.keyword == "ENTRYPOINT"))
    assert entrypoint == ["/usr/bin/tini", "--", "oretrail"]
    assert any(
        i.keyword == "RUN" and re.search(r"apt-get install .*\btini\b", i.value) for i in runtime
    )
    user = next(i.value for i in runtime if i.keyword == "USER")
    assert user.split(":")[0] not in {"0", "root"}
    env = " ".join(i.value for i in runtime if i.keyword == "ENV")
    assert "ORETRAIL_HOME=/var/lib/oretrail" in env
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["oretrail"] == "oretrail.cli:main"


def test_exposed_ports_are_the_roles_ports(dockerfile: list[Instruction]) -> None:
    exposed = {int(p) for i in dockerfile if i.keyword == "EXPOSE" for p in i.value.split()}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {
        name: {k: str(v) for k, v in (s.get("environment") or {}).items()}
        for name, s in compose["services"].items()
    }
    assert {
        int(env["capture"]["ORETRAIL_CAPTURE_PORT"]),
        int(env["sink"]["ORETRAIL_SINK_RESOLVER_PORT"]),
        int(env["worker"]["ORETRAIL_WORKER_WEB_PORT"]),
    } == exposed
