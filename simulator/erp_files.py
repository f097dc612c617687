"""ERP rows as files: CSV and JSON exports (erp-file), staging-table loads (erp-postgres)
with their schema, the mapping and the connector configurations."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import yaml

from simulator import erp_mapping
from simulator.erp import COLUMNS, KINDS, NUMERIC, ErpRow, erp_rows, full, nightly
from simulator.feeds import CONNECTORS, FeedFile, weeks
from simulator.model import Flow, Operation, Site

STAGING_TABLES: Final = {
    "production-orders": "production_order_lines",
    "goods-movements": "goods_movements",
}


def number_text(value: Decimal, decimal: str, thousands: str | None) -> str:
    whole, _, fraction = format(value, "f").partition(".")
    if thousands:
        sign = "-" if whole.startswith("-") else ""
        digits = whole.lstrip("-")
        groups = [digits[max(0, i - 3) : i] for i in range(len(digits), 0, -3)][::-1]
        whole = sign + thousands.join(groups)
    return f"{whole}{decimal}{fraction}" if fraction else whole


def csv_export(rows: Sequence[ErpRow], extract: str, system: erp_mapping.ErpSystem) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS[extract])
    for r in rows:
        cells = []
        for value in full(r.row, extract).values():
            if isinstance(value, Decimal):
                cells.append(number_text(value, system.decimal, system.thousands))
            else:
                cells.append("" if value is None else value)
        writer.writerow(cells)
    return out.getvalue().encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return "" if value is None else value


def json_export(rows: Sequence[ErpRow], extract: str) -> bytes:
    """A JSON array, one object per line (as MB51-style extracts come)."""
    lines = [
        json.dumps({k: _json_value(v) for k, v in full(r.row, extract).items()}, ensure_ascii=False)
        for r in rows
    ]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode()


def staging_load(rows: Sequence[ErpRow], extract: str) -> bytes:
    """Rows for ``COPY <table> (<columns>) FROM ... WITH (FORMAT csv, HEADER true)``: numbers
    with a decimal point, NULL as an unquoted empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[extract])
    for r in rows:
        cells = []
        for value in full(r.row, extract).values():
            cells.append(
                "" if value is None else format(value, "f") if isinstance(value, Decimal) else value
            )
        writer.writerow(cells)
    return out.getvalue().encode()


def staging_schema(schema: str) -> bytes:
    """The staging tables, with the txid the connector's watermark needs (as
    examples/erp/staging.sql explains)."""
    tables = []
    for extract, table in STAGING_TABLES.items():
        columns = ",\n".join(
            f'    "{c}" {"numeric" if c in NUMERIC else "text"}' for c in COLUMNS[extract]
        )
        tables.append(
            f"CREATE TABLE IF NOT EXISTS {schema}.{table} (\n"
            "    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            "    txid      xid8 NOT NULL DEFAULT pg_current_xact_id(),\n"
            "    loaded_at timestamptz NOT NULL DEFAULT now(),\n"
            f"{columns}\n);\n"
            f"CREATE INDEX IF NOT EXISTS {table}_txid_id ON {schema}.{table} (txid, id);\n"
            f"DROP TRIGGER IF EXISTS stamp_txid ON {schema}.{table};\n"
            f"CREATE TRIGGER stamp_txid BEFORE INSERT OR UPDATE ON {schema}.{table}\n"
            f"    FOR EACH ROW EXECUTE FUNCTION {schema}.stamp_txid();\n"
        )
    head = (
        f"-- Staging tables of the {schema} ERP interface, written by `oretrail simulate`.\n"
        "-- Load each table's rows with psql, e.g.\n"
        f"--   \\copy {schema}.production_order_lines (<the CSV header's columns>) FROM "
        "'production_order_lines.csv' WITH (FORMAT csv, HEADER true)\n"
        "-- (one COPY is one transaction: every production order's lines land together).\n\n"
        f"CREATE SCHEMA IF NOT EXISTS {schema};\n\n"
        f"CREATE OR REPLACE FUNCTION {schema}.stamp_txid() RETURNS trigger\n"
        "LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.txid := pg_current_xact_id();\n    RETURN NEW;\n"
        "END\n$$;\n\n"
    )
    return (head + "\n".join(tables)).encode()


def _system_sites(flow: Flow, system: str) -> list[Site]:
    return [s for s in flow.sites.values() if s.erp == system]


def erp_feeds(flow: Flow, held_back: frozenset[str] = frozenset()) -> list[FeedFile]:
    files: list[FeedFile] = []
    for system_key, system in erp_mapping.SYSTEMS.items():
        plants = _system_sites(flow, system_key)
        mapping_path = f"erp/{system_key}/mapping.yaml"
        data = erp_mapping.mapping(system, plants, list(flow.products.values()), flow.sites)
        first = min(op.time for op in flow.operations)
        files.append(FeedFile(mapping_path, erp_mapping.dumps(system, data), "erp-mapping", None,
                              None, first))  # fmt: skip
        for site in plants:
            ops = [o for o in flow.operations if o.site == site.key and o.key not in held_back]
            if site.feed == "erp-staging":
                files += _staging(flow, system_key, site, ops, mapping_path)
            else:
                files += _exports(flow, system, site, ops, mapping_path)
    return files


def _exports(
    flow: Flow, system: erp_mapping.ErpSystem, site: Site, ops: Sequence[Operation], mapping: str
) -> list[FeedFile]:
    files = []
    fmt = site.feed  # erp-csv or erp-json
    for group in weeks(ops):
        rows = erp_rows(flow, system.key, group)
        for extract in COLUMNS:
            chosen = [r for r in rows if r.extract == extract]
            if not chosen:
                continue
            day = min(r.time for r in chosen)
            ext = "csv" if fmt == "erp-csv" else "json"
            path = f"erp/{system.key}/exports/{site.plant}-{extract}-{day:%Y-%m-%d}.{ext}"
            data = (
                csv_export(chosen, extract, system)
                if ext == "csv"
                else json_export(chosen, extract)
            )
            files.append(
                FeedFile(path, data, fmt, CONNECTORS[fmt], site.key, nightly(chosen),
                         events=len({r.group for r in chosen}),
                         operations=tuple(dict.fromkeys(r.op for r in chosen)),
                         notes={"mapping": mapping, "kinds": list(KINDS[extract])})
            )  # fmt: skip
    return files


def _staging(
    flow: Flow, system: str, site: Site, ops: Sequence[Operation], mapping: str
) -> list[FeedFile]:
    rows = erp_rows(flow, system, ops)
    first = min(r.time for r in rows)
    files = [
        FeedFile(f"erp/{system}/staging/schema.sql", staging_schema(system), "sql-schema", None,
                 site.key, first),
    ]  # fmt: skip
    sources = []
    for extract, table in STAGING_TABLES.items():
        chosen = [r for r in rows if r.extract == extract]
        if not chosen:
            continue
        path = f"erp/{system}/staging/{table}.csv"
        sources.append({"table": f"{system}.{table}", "kinds": list(KINDS[extract])})
        files.append(
            FeedFile(path, staging_load(chosen, extract), "erp-staging", CONNECTORS["erp-staging"],
                     site.key, max(r.time for r in chosen), events=len({r.group for r in chosen}),
                     operations=tuple(dict.fromkeys(r.op for r in chosen)),
                     notes={"mapping": mapping, "table": f"{system}.{table}",
                            "kinds": list(KINDS[extract])})
        )  # fmt: skip
    config = {
        "dsn": "host=127.0.0.1 dbname=erp user=oretrail",
        "mapping": mapping,
        "sources": sources,
    }
    text = (
        "# oretrail connectors run erp-postgres --config this file --set dsn=... (paths are\n"
        "# relative to the simulated folder: run it from there)\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    files.append(
        FeedFile(f"erp/{system}/erp-postgres.yaml", text.encode(), "connector-config", None,
                 site.key, first)
    )  # fmt: skip
    return files
