"""What the deployment tests (compose file, Helm chart) check a container's setup against:
the real settings models and the real command line.

- :func:`settings_models`: every pydantic-settings model of oretrail (core, capture, worker,
  ledger, sink, and each installed connector's ``config_model``), found by walking the
  subclasses of ``BaseSettings`` after importing them, so a model added later is covered.
- :func:`unknown_env`: the ``ORETRAIL_*`` names that no model reads (an invented or
  misspelt variable is silently ignored at run time: pydantic-settings only reads fields).
- :func:`validate_env`: every model built from exactly that environment, as the processes
  will build them (values parsed by pydantic-settings itself).
- :func:`parse_command`: an ``oretrail`` argument list parsed by the real click commands
  (sub-commands looked up, options and arguments validated, nothing invoked).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import click
from pydantic_settings import BaseSettings

PREFIX = "ORETRAIL_"
# the HTTP paths health probes ask each serving role for (tests/unit/test_deploy_probes.py
# proves the real applications answer them): capture interface, worker web (faust's
# production index), resolver: ready once the sink's start published the issuer's DID
# document to the credential store, alive while it serves its static problem pages
PROBES = {
    "capture": "/openapi.json",
    "worker": "/",
    "sink": "/.well-known/did.json",
    "sink-live": "/problems/not-found",
}
# imported for their models: the process-wide settings and each role's boundary
_MODEL_MODULES = (
    "oretrail.config",
    "connectors.capture",
    "streams.app",
    "streams.ledger",
    "sink.config",
    "sink.pipeline",
)


def _all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def settings_models() -> list[type[BaseSettings]]:
    """Every settings model with an ``ORETRAIL_`` prefix, the installed connectors' included."""
    for module in _MODEL_MODULES:
        importlib.import_module(module)
    from connectors.sdk import installed, load

    for item in installed():
        load(item.name)
    models = {
        m
        for m in _all_subclasses(BaseSettings)
        if str(m.model_config.get("env_prefix", "")).startswith(PREFIX)
    }
    return sorted(models, key=lambda m: (m.__module__, m.__qualname__))


def env_names(model: type[BaseSettings]) -> set[str]:
    """The variables ``model`` reads: prefix + field name (or a string alias), upper case."""
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    names = set()
    for name, field in model.model_fields.items():
        names.add(prefix + name.upper())
        for alias in (field.alias, field.validation_alias):
            if isinstance(alias, str):
                names.add(prefix + alias.upper())
    return names


def accepted_names() -> dict[str, list[str]]:
    """Each accepted ``ORETRAIL_*`` name → the models reading it."""
    out: dict[str, list[str]] = {}
    for model in settings_models():
        for name in env_names(model):
            out.setdefault(name, []).append(f"{model.__module__}.{model.__qualname__}")
    return out


def unknown_env(names: Iterator[str] | Sequence[str] | set[str]) -> list[str]:
    """The ``ORETRAIL_*`` names among ``names`` that no settings model reads."""
    known = accepted_names()
    return sorted(n for n in names if n.upper().startswith(PREFIX) and n.upper() not in known)


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with every ``ORETRAIL_*`` variable replaced by ``env``'s, restored after."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.upper().startswith(PREFIX)]:
            del os.environ[name]
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def role_models() -> list[type[BaseSettings]]:
    """The models every oretrail process may build whatever its role; all fields defaulted."""
    from connectors.capture import CaptureConfig
    from oretrail.config import Settings
    from sink.config import SinkSettings
    from streams.app import WorkerConfig
    from streams.ledger import LedgerConfig

    return [Settings, CaptureConfig, WorkerConfig, LedgerConfig, SinkSettings]


def validate_env(env: Mapping[str, str]) -> dict[str, BaseSettings]:
    """Each role model built from ``env`` alone (a bad value raises ValidationError)."""
    with environment(env):
        return {m.__name__: m() for m in role_models()}


def parse_command(argv: Sequence[str]) -> click.Context:
    """``oretrail ARGV`` parsed by the real CLI; the context of the leaf command.

    Group-level options are not expected here (containers set them through the environment),
    so the first arguments name the sub-commands.
    """
    from oretrail.cli import cli

    ctx = click.Context(cli, info_name="oretrail")
    command: click.Command = cli
    args = list(argv)
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError(f"{ctx.command_path} needs a sub-command")
        name, args = args[0], args[1:]
        sub = command.get_command(ctx, name)
        if sub is None:
            raise click.UsageError(f"{ctx.command_path} has no command {name!r}")
        if isinstance(sub, click.Group):
            ctx = click.Context(sub, info_name=name, parent=ctx)
            command = sub
            continue
        return sub.make_context(name, args, parent=ctx)
    raise AssertionError("unreachable: the loop returns from a leaf command")


def host_path(container_path: str, mounts: Mapping[str, Path]) -> Path | None:
    """The repository file behind ``container_path`` through bind mounts (target → source)."""
    target = PurePosixPath(container_path)
    for mount, source in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        base = PurePosixPath(mount)
        if target == base or base in target.parents:
            return source.joinpath(*target.relative_to(base).parts)
    return None
