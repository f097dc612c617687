"""Reading a mapping file: YAML in, :class:`Mapping` out, or an error naming file:line:key.

pydantic reports where an error is as a path of keys; the YAML node tree knows the line of
every key, so each error is shown at its line, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from connectors.erp import _model
from connectors.erp._model import Mapping, reference_problems


class MappingError(ValueError):
    """The mapping file is not valid YAML or does not fit the mapping model."""


def _field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(_model).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return names


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the deepest node of ``loc`` found in the YAML tree."""
    node, line = root, None
    if node is not None:
        line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                continue  # a union tag pydantic added, not a key of the file
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            continue
    return line


def _duplicates(node: yaml.Node | None, where: str, found: list[str]) -> None:
    # PyYAML keeps the last of two equal keys without a word: a silent typo trap
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append(f"{where}:{key.start_mark.line + 1}: duplicate key {key.value!r}")
            seen.add(key.value)
            _duplicates(value, where, found)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicates(item, where, found)


_TAGS = {"value", "list", "object", "str", "int", "float", "bool", "function-after"}


def _describe(error: Any, names: set[str]) -> str:
    loc = [str(p) for p in error["loc"] if str(p) not in _TAGS and not str(p).startswith("[")]
    key = ".".join(loc) or "(top level)"
    message = str(error["msg"])
    if error["type"] == "extra_forbidden" and loc:
        close = difflib.get_close_matches(loc[-1], sorted(names), n=1)
        message = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    elif error["type"] == "string_type" and isinstance(error.get("input"), int | float):
        message += " (quote ERP codes and GS1 keys in YAML, or leading zeros are lost)"
    return f"{key}: {message}"


def parse_mapping(text: str, source: str = "<mapping>") -> Mapping:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{source}: not valid YAML: {exc}") from exc
    problems: list[str] = []
    _duplicates(root, source, problems)
    if problems:
        raise MappingError("\n".join(problems))
    if not isinstance(data, dict):
        raise MappingError(f"{source}: a mapping file is a YAML object with `kinds:`")
    found: list[tuple[int, str]] = []
    try:
        mapping = Mapping.model_validate(data, context={"defer_references": True})
    except ValidationError as exc:
        names = _field_names()
        for error in exc.errors():
            found.append((_line_of(root, error["loc"]) or 0, _describe(error, names)))
    else:
        for loc, message in reference_problems(mapping):
            found.append((_line_of(root, loc) or 0, f"{'.'.join(map(str, loc))}: {message}"))
        if not found:
            return mapping
    found.sort(key=lambda item: item[0])
    raise MappingError("\n".join(f"{source}:{line or '?'}: {text}" for line, text in found))


def load_mapping(path: Path) -> Mapping:
    """The mapping in the YAML file ``path``; MappingError with file:line:key otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    return parse_mapping(text, str(path))
