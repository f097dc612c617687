"""docs/operations.md names real things: each ``oretrail ...`` command it shows exists in the
CLI with the options it uses, each ``ORETRAIL_*`` variable is read by a settings model, and
the files and Python names it points at exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from oretrail.cli import cli
from tests.deploy_support import unknown_env

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
_INLINE = re.compile(r"`(oretrail(?: [^`]+)?)`")
_FENCE = re.compile(r"```\w*\n(.*?)```", re.DOTALL)
_ROOT_OPTIONS = {"--home", "--bootstrap", "--schema-registry"}


def commands(text: str) -> list[list[str]]:
    """``oretrail ...`` invocations in inline code and code blocks, as argument lists;
    placeholders (``NAME``, ``<link>``) stay, optional parts lose their brackets."""
    lines = [m.group(1) for m in _INLINE.finditer(text)]
    for block in _FENCE.finditer(text):
        joined = re.sub(r"\\\n\s*", " ", block.group(1))
        lines += [
            line.strip() for line in joined.splitlines() if line.strip().startswith("oretrail")
        ]
    found = []
    for line in lines:
        words = shlex.split(line.split("#")[0].replace("[", "").replace("]", ""))
        found.append([w for w in words[1:] if not w.startswith("<") and not w.endswith(">")])
    return found


def check(argv: list[str]) -> None:
    """Sub-commands exist; every ``--option`` is one of the leaf command's (or the root's)."""
    args = list(argv)
    while args and args[0] in _ROOT_OPTIONS:
        args = args[2:]
    command: click.Command = cli
    ctx = click.Context(cli, info_name="oretrail")
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(ctx, args[0])
        assert sub is not None, f"oretrail has no command {' '.join(argv)!r}"
        command, args = sub, args[1:]
        ctx = click.Context(command, info_name=command.name, parent=ctx)
    if isinstance(command, click.Group):
        assert not args or args[0] in ("-h", "--help"), f"{argv}: a group needs a sub-command"
        return
    options = {opt for p in command.params for opt in getattr(p, "opts", [])} | {"--help"}
    for word in args:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"oretrail {' '.join(argv)}: no option {word}"


def test_every_command_shown_exists() -> None:
    found = commands(DOC.read_text())
    for argv in found:
        check(argv)
    shown = {" ".join(a[:2]) for a in found}
    for needed in ("schemas check", "topics create", "dlq show", "passport revoke", "did"):
        assert any(s.startswith(needed) for s in shown), f"the guide never shows {needed}"


def test_command_check_catches_a_wrong_name() -> None:
    for wrong in (["schema", "check"], ["worker", "--replicas", "3"]):
        try:
            check(wrong)
        except AssertionError:
            continue
        raise AssertionError(f"{wrong} passed the check")


def test_every_variable_named_is_a_setting() -> None:
    names = set(re.findall(r"ORETRAIL_[A-Z0-9_]*[A-Z0-9]", DOC.read_text()))
    assert len(names) >= 10
    assert unknown_env(names) == []


def test_files_named_exist() -> None:
    text = DOC.read_text()
    paths = set(
        re.findall(
            r"`((?:docs|helm|deploy|scripts|schemas|oretrail|streams|tests)/[\w./-]+)`", text
        )
    )
    paths |= {"Dockerfile", "docker-compose.yml"}
    for path in paths:
        assert (ROOT / path.rstrip("/")).exists(), path
