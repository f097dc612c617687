"""Facility master data the operator supplies (YAML or CSV), keyed by the facility's GS1 id as
events name it in bizLocation / readPoint (canonical Digital Link ``https://id.gs1.org/414/
<GLN>``; an EPC ``urn:epc:id:sgln:`` URN is accepted and converted).

YAML: a list of facilities, or ``{"facilities": [...]}``; CSV: one facility a row, the field
names below as the header. Fields::

    id, name                                    required
    country                                     ISO 3166-1 alpha-2 (countryOfOperation)
    description
    operator_id, operator_name                  the operating party (both or neither)
    street_address, postal_code, locality, region
    latitude, longitude                         WGS 84 degrees (both or neither)
    process_id, process_name, process_code,     what the facility does, as a classification
    process_scheme_id, process_scheme_name      (e.g. ISIC 0729 "Mining of other non-ferrous
                                                metal ores"); id and name both or neither

Every error names the file and the line of the facility (of the member, where YAML tells).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.dataclasses import dataclass

from oretrail.identifiers import IdentifierError, to_digital_link
from sink.untp._common import is_uri

_COUNTRY = re.compile(r"[A-Z]{2}")
_EXTENSION = re.compile(r"/254/[^/]+$")


class FacilityError(ValueError):
    """Facility master data that cannot be read; the message names the file and line."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid", str_strip_whitespace=True))
class Facility:
    id: str
    name: str = Field(min_length=1)
    country: str | None = None
    description: str | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    process_id: str | None = None
    process_name: str | None = None
    process_code: str | None = None
    process_scheme_id: str | None = None
    process_scheme_name: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        # an empty CSV cell (or YAML ``key:`` with nothing) means "not given"
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("id")
    @classmethod
    def _canonical_id(cls, value: str) -> str:
        try:
            canonical = to_digital_link(value)
        except IdentifierError as exc:
            raise ValueError(str(exc)) from None
        if not is_uri(canonical):
            raise ValueError(f"{value!r} is no URI")
        return canonical

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and not _COUNTRY.fullmatch(value):
            raise ValueError(f"{value!r} is no ISO 3166-1 alpha-2 code (two capital letters)")
        return value

    @field_validator("operator_id", "process_id", "process_scheme_id")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not is_uri(value):
            raise ValueError(f"{value!r} is no URI")
        return value

    @model_validator(mode="after")
    def _pairs(self) -> Facility:
        for first, second in (
            ("operator_id", "operator_name"),
            ("latitude", "longitude"),
            ("process_id", "process_name"),
        ):
            if (getattr(self, first) is None) != (getattr(self, second) is None):
                raise ValueError(f"{first} and {second} go together: give both or neither")
        return self


def _message(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        text = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {text}" if where else text)
    return "; ".join(parts)


def _yaml_items(path: Path, text: str) -> Iterator[tuple[int, Any, Mapping[str, int]]]:
    """(line, facility data, line of each member) of a YAML registry."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        raise FacilityError(f"{path}:{line} not valid YAML: {exc}") from None
    if isinstance(root, yaml.MappingNode) and isinstance(data, dict) and "facilities" in data:
        root = next(v for k, v in root.value if k.value == "facilities")
        data = data["facilities"]
    if data is None:
        return
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        raise FacilityError(f"{path}:1: expected a list of facilities (or facilities: [...])")
    for node, item in zip(root.value, data, strict=True):
        members = {}
        if isinstance(node, yaml.MappingNode):
            members = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        yield node.start_mark.line + 1, item, members


class _Lines:
    """The lines of a CSV file, remembering where the record being read began (a quoted
    cell may span lines, and the reader skips blank ones)."""

    def __init__(self, text: str) -> None:
        self.lines = iter(text.splitlines(keepends=True))
        self.number = 0
        self.start: int | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        if self.start is None and line.strip():
            self.start = self.number
        return line

    def record_start(self) -> int:
        start, self.start = self.start or self.number, None
        return start


def _csv_items(path: Path, text: str) -> Iterator[tuple[int, Any, Mapping[str, int]]]:
    lines = _Lines(text)
    reader = csv.DictReader(lines)
    try:
        if reader.fieldnames is None:
            return
        lines.record_start()  # the header
        for row in reader:
            line = lines.record_start()
            if None in row:
                raise FacilityError(f"{path}:{line}: more cells than the header has columns")
            cells = {k: v for k, v in row.items() if v is not None}
            if any(v and v.strip() for v in cells.values()):
                yield line, cells, {}
    except csv.Error as exc:
        raise FacilityError(f"{path}:{lines.number}: not valid CSV: {exc}") from None


def load_facilities(path: Path) -> dict[str, Facility]:
    """Facilities by canonical id, from a YAML (.yaml, .yml) or CSV (.csv) file."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        read = _yaml_items
    elif suffix == ".csv":
        read = _csv_items
    else:
        raise FacilityError(f"{path}: facility master data must be .yaml, .yml or .csv")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FacilityError(f"{path}: cannot read: {exc}") from None
    facilities: dict[str, Facility] = {}
    lines: dict[str, int] = {}
    for line, item, members in read(path, text):
        if not isinstance(item, Mapping):
            raise FacilityError(f"{path}:{line}: a facility is a mapping of fields")
        try:
            facility = Facility(**{str(k): v for k, v in item.items()})
        except (ValidationError, TypeError) as exc:
            message = _message(exc) if isinstance(exc, ValidationError) else str(exc)
            first = exc.errors()[0]["loc"] if isinstance(exc, ValidationError) else ()
            at = members.get(str(first[0]), line) if first else line
            raise FacilityError(f"{path}:{at}: facility {item.get('id')!r}: {message}") from None
        if facility.id in facilities:
            raise FacilityError(
                f"{path}:{line}: facility {facility.id} is already defined on line "
                f"{lines[facility.id]}"
            )
        facilities[facility.id] = facility
        lines[facility.id] = line
    return facilities


def find_facility(facilities: Mapping[str, Facility], location: str) -> Facility | None:
    """The facility of an event location: the exact id, else the GLN without its ``/254/``
    extension (a line or dock inside the facility)."""
    found = facilities.get(location)
    if found is None and _EXTENSION.search(location):
        found = facilities.get(_EXTENSION.sub("", location))
    return found
