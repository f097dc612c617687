"""Reading one value out of an ERP row, typed: text, number, date-time, JSON value.

A row is a mapping from column to what the export holds: strings for CSV, JSON values for
JSON exports, Python values (Decimal, datetime ...) for PostgreSQL. Every failure is a
:class:`RowError` naming the column, so a dead letter says what to repair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.erp._model import NumberFormat, Value
from connectors.erp._units import parse_number

Row = Mapping[str, Any]
_TRUE = {"true", "yes", "y", "1", "x"}  # "X" is SAP's flag for "set"
_FALSE = {"false", "no", "n", "0"}


class RowError(ValueError):
    """A row (of a group) that cannot become (part of) an event; names column and row."""

    stage = "parse"

    def __init__(self, message: str, *, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


def label(value: Value) -> str:
    if value.column is not None:
        return f"column {value.column!r}"
    if value.template is not None:
        return "columns " + ", ".join(repr(c) for c in value.columns())
    return f"constant {value.const!r}"


def lookup(row: Row, column: str) -> Any:
    """The cell of ``column``; dotted names reach into nested JSON objects."""
    if column in row:
        return row[column]
    node: Any = row
    for part in column.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise RowError(f"column {column!r} is missing")
        node = node[part]
    return node


def as_text(cell: Any) -> str:
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def raw(value: Value, row: Row) -> Any:
    """What ``value`` takes from ``row`` (after ``map``); None only when optional and blank."""
    if value.column is not None:
        cell = lookup(row, value.column)
    elif value.template is not None:
        parts: dict[str, str] = {}
        for column in value.columns():
            part = lookup(row, column)
            if _blank(part):
                if value.optional:
                    return None
                raise RowError(f"column {column!r} is empty")
            parts[column] = as_text(part)
        cell = value.template.format_map(parts)
    else:
        cell = value.const
    if _blank(cell):
        if value.map is not None and "" in value.map:
            return value.map[""]  # a blank flag can mean something (SAP: not set)
        if value.optional:
            return None
        raise RowError(f"{label(value)} is empty")
    if value.map is not None:
        key = as_text(cell)
        if key not in value.map:
            raise RowError(f"{label(value)}: {key!r} is not one of {sorted(value.map)}")
        cell = value.map[key]
    return cell


def text(value: Value, row: Row) -> str | None:
    cell = raw(value, row)
    return None if cell is None else as_text(cell)


def number(value: Value, row: Row, numbers: NumberFormat) -> Decimal | None:
    cell = raw(value, row)
    if cell is None:
        return None
    try:
        amount = parse_number(cell, numbers.decimal, numbers.thousands)
    except ValueError as exc:
        raise RowError(f"{label(value)}: {exc}") from None
    if value.factor is not None:
        amount *= Decimal(repr(value.factor))
    if not math.isfinite(float(amount)):
        raise RowError(f"{label(value)}: {amount} is out of range")
    return amount


def moment(value: Value, row: Row, zone: str) -> datetime | None:
    """A time zone aware date-time; times written without an offset are in ``zone``."""
    cell = raw(value, row)
    if cell is None:
        return None
    try:
        if isinstance(cell, datetime):
            parsed = cell
        elif isinstance(cell, date):
            parsed = datetime.combine(cell, time())
        elif isinstance(cell, str) and value.format is not None:
            parsed = datetime.strptime(cell.strip(), value.format)
        elif isinstance(cell, str):
            parsed = datetime.fromisoformat(cell.strip())
        else:
            raise ValueError(f"{cell!r} is not a date-time")
    except ValueError as exc:
        hint = f" (format {value.format!r})" if value.format else " (ISO 8601 expected)"
        raise RowError(f"{label(value)}: {exc}{hint}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(zone))


def typed(value: Value, row: Row, numbers: NumberFormat, zone: str) -> Any:
    """A JSON value for ILMD / extensions, as ``value.type`` says."""
    if value.type == "number":
        amount = number(value, row, numbers)
        return None if amount is None else float(amount)
    if value.type == "integer":
        amount = number(value, row, numbers)
        if amount is None:
            return None
        if amount != amount.to_integral_value():
            raise RowError(f"{label(value)}: {amount} is not a whole number")
        return int(amount)
    if value.type in ("date", "datetime"):
        when = moment(value, row, zone)
        if when is None:
            return None
        return when.date().isoformat() if value.type == "date" else epcis_time(when)
    cell = raw(value, row)
    if value.type == "boolean" and cell is not None and not isinstance(cell, bool):
        word = as_text(cell).lower()
        if word not in _TRUE | _FALSE:
            raise RowError(f"{label(value)}: {cell!r} is not a yes/no value")
        return word in _TRUE
    if cell is None or value.type == "boolean":
        return cell
    if isinstance(cell, int | float) and (value.const is not None or value.map is not None):
        return cell  # a number written in the mapping stays a number
    return as_text(cell)


def epcis_time(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def offset(when: datetime) -> str:
    delta = when.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def matches(row: Row, where: Mapping[str, list[str]]) -> bool:
    """The row holds one of the listed values in every filtered column (a missing one: no)."""
    for column, accepted in where.items():
        try:
            cell = lookup(row, column)
        except RowError:
            return False
        if _blank(cell) or as_text(cell) not in accepted:
            return False
    return True
