"""Rows of ERP export files, each with its line number and its verbatim text.

CSV (header line first; dialect from the mapping), a JSON array of objects, or JSON Lines.
JSON numbers are read as Decimal so quantities keep every digit. Line numbers are those of
the file (a quoted CSV field may span lines: a row is numbered by its first line), so a
dead letter's position points at the row in an editor.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.erp._model import CsvFormat

SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")


@dataclass(frozen=True, slots=True)
class Line:
    """One row of an export: ``row`` (column -> cell) or ``error`` when it cannot be read."""

    number: int
    raw: str
    row: dict[str, Any] | None = None
    error: str | None = None


class FileError(ValueError):
    """The rest of the file from ``line`` on cannot be read at all."""

    stage = "parse"

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def csv_lines(text: str, dialect: CsvFormat) -> Iterator[Line]:
    # newline="": split on \n / \r only (splitlines would cut at \u2028 inside a field)
    physical = list(io.StringIO(text, newline=""))
    consumed: list[str] = []
    position = 0

    def feed() -> Iterator[str]:
        nonlocal position
        while position < len(physical):
            consumed.append(physical[position])
            position += 1
            yield consumed[-1]

    reader = csv.reader(feed(), delimiter=dialect.delimiter, quotechar=dialect.quotechar)
    header: list[str] | None = None
    while True:
        first = position + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(f"CSV: {exc}", first) from None
        raw = "".join(consumed)
        consumed.clear()
        if not fields or all(not f.strip() for f in fields):
            continue  # blank lines carry nothing
        if header is None:
            header = [name.strip() for name in fields]
            continue
        if len(fields) != len(header):
            message = f"the row has {len(fields)} fields, the header {len(header)}"
            yield Line(first, raw, error=message)
        else:
            yield Line(first, raw, row=dict(zip(header, fields, strict=True)))


def _object(value: Any, number: int, raw: str) -> Line:
    if isinstance(value, dict):
        return Line(number, raw, row=value)
    return Line(number, raw, error=f"a record must be a JSON object, got {type(value).__name__}")


def jsonl_lines(text: str) -> Iterator[Line]:
    for number, raw in enumerate(io.StringIO(text, newline=""), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield Line(number, raw, error=f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        yield _object(value, number, raw)


def json_array_lines(text: str) -> Iterator[Line]:
    """The items of a top-level JSON array, with the line each one starts on."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    line, counted = 1, 0

    def line_at(index: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, index)
        counted = index
        return line

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    index = skip(0)
    if not text.startswith("[", index):
        raise FileError("a JSON export must be an array of objects (or JSON Lines)", 1)
    index = skip(index + 1)
    if text.startswith("]", index):
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise FileError(f"not JSON: {exc.msg}", line_at(index)) from None
        yield _object(value, line_at(index), text[index:end])
        index = skip(end)
        if text.startswith(",", index):
            index = skip(index + 1)
        elif text.startswith("]", index):
            return
        else:
            raise FileError("expected ',' or ']' after an array item", line_at(index))


def read_lines(name: str, text: str, dialect: CsvFormat) -> Iterator[Line]:
    """The rows of one export, by its suffix (a .json holding JSON Lines is accepted too)."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return csv_lines(text, dialect)
    if lower.endswith((".jsonl", ".ndjson")) or not text.lstrip().startswith("["):
        return jsonl_lines(text)
    return json_array_lines(text)
