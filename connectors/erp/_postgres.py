"""ErpPostgresSource: incremental polling of ERP staging tables in PostgreSQL.

The watermark problem. Reading ``WHERE id > last_id`` loses rows: transaction A inserts
id 10, transaction B inserts id 11 and commits first, the reader takes 11 and moves on,
then A commits and 10 is never read. A timestamp watermark has the same gap, and a safety
lag only makes it unlikely.

The design. Every staging row records the id of the transaction that wrote it
(``txid xid8 DEFAULT pg_current_xact_id()``, refreshed by a trigger on update; see
examples/erp/staging.sql). Each poll first takes ``pg_snapshot_xmin(pg_current_snapshot())``:
every transaction with a smaller id has ended, and every transaction that starts later gets
a larger id. So the rows with ``txid < xmin`` are final: none can still appear, change, or
roll back. The reader takes them in (txid, key) order after its watermark, whole
transactions at a time, and never looks at a row of a transaction still in flight, however
long it stays open: it only waits for it (latency, never a gap). An updated row gets the
updating transaction's id and is read again, as the corrected record it is.

The watermark is one (txid, key) pair per staging source, persisted as JSON only through
:meth:`Source.commit`, i.e. after Kafka acknowledged every event up to it. Rows of one
transaction that group into one event (an order's lines) are published at the group's last
row; inside a transaction the watermark only moves to a point no unpublished group straddles
(connectors.erp._watermark), so a restart never re-publishes a truncated order. After a
kill -9 the events in flight are published again, with the same content and event id.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.erp._convert import Converter, Member
from connectors.erp._load import load_mapping
from connectors.erp._mapping import EventBuilder
from connectors.erp._values import RowError
from connectors.erp._watermark import Cuts
from connectors.sdk import Rejected, Source, SourceRecord, StateStore

_XID = "__oretrail_xid"
_KEY = "__oretrail_key"
Mark = tuple[int, Any]  # (transaction id, key) of the last row behind the watermark


class StagingSource(BaseModel):
    """One staging table (or SELECT over staging tables) and the record kinds of its rows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str | None = None  # schema.table
    query: str | None = None  # a SELECT exposing the key and xid columns
    name: str | None = None  # position prefix; defaults to the table
    kinds: list[str] = Field(min_length=1)  # the first whose `where` matches a row wins
    key: str = "id"
    xid: str = "txid"

    @model_validator(mode="after")
    def _one_relation(self) -> StagingSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table, query")
        if self.query is not None and self.name is None:
            raise ValueError("a query source needs a name (its positions are name:key)")
        return self

    @property
    def label(self) -> str:
        return self.name or str(self.table)


class ErpPostgresConfig(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", env_prefix="ORETRAIL_ERP_POSTGRES_"
    )

    dsn: SecretStr = Field(description="libpq connection string or URI of the staging DB")
    mapping: Path = Field(description="the mapping YAML (see examples/erp)")
    sources: tuple[StagingSource, ...] = Field(min_length=1)
    topic: str = "oretrail.events"
    poll_interval: float = Field(default=0.5, gt=0, le=60)
    batch_size: int = Field(default=500, gt=0)


class ErpPostgresSource(Source):
    name = "erp-postgres"
    config_model = ErpPostgresConfig
    summary = "ERP staging tables in PostgreSQL, polled by transaction-id watermark, no gaps"

    def __init__(self, config: ErpPostgresConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self.mapping = load_mapping(config.mapping)
        self.builder = EventBuilder(self.mapping)
        self.convert = Converter(self.builder, self.name, config.topic, "erp-postgres")
        for source in config.sources:
            unknown = [k for k in source.kinds if k not in self.mapping.kinds]
            if unknown:
                raise ValueError(f"{source.label}: kinds {unknown} are not in the mapping")
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._read: dict[str, Mark] = {}  # what was handed to the runner, per source
        self._marks: dict[str, Mark] = {}  # the safe resume point after the last item
        self._pending: deque[tuple[str, dict[str, Mark]]] = deque()

    # -- lifecycle ----------------------------------------------------------------------

    def open(self, state: StateStore) -> None:
        super().open(state)
        saved = state.load()
        if saved:
            marks = json.loads(saved)
            self._marks = {name: (int(xid), key) for name, (xid, key) in marks.items()}
        self._read = dict(self._marks)

    def commit(self, position: str) -> None:
        index = next((i for i, (p, _) in enumerate(self._pending) if p == position), None)
        if index is None:
            return  # not one of ours: never move the watermark on a guess
        for _ in range(index):
            self._pending.popleft()
        _, marks = self._pending.popleft()
        if self.state is not None:
            self.state.save(json.dumps({n: [xid, key] for n, (xid, key) in marks.items()}))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.cfg.dsn.get_secret_value(),
                autocommit=True,
                row_factory=dict_row,
                application_name="oretrail-erp-postgres",
                connect_timeout=10,
            )
        return self._conn

    # -- polling ------------------------------------------------------------------------

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        backoff = self.cfg.poll_interval
        while not self.stopping:
            try:
                found = 0
                for source in self.cfg.sources:
                    for item in self._batch(source):
                        found += 1
                        yield item
                        if self.stopping:
                            return
                backoff = self.cfg.poll_interval
            except psycopg.OperationalError:
                # the database went away: reconnect later, resume from what was handed out
                self.close()
                yield None
                self.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if not found:
                yield None
                self.wait(self.cfg.poll_interval)

    def _relation(self, source: StagingSource) -> sql.Composable:
        if source.table is not None:
            return sql.Identifier(*source.table.split("."))
        # a literal % in the query (LIKE 'x%') must not read as a parameter placeholder
        return sql.SQL("({})").format(sql.SQL((source.query or "").replace("%", "%%")))

    def _fetch(self, source: StagingSource, xmin: int, after: Mark | None) -> list[dict[str, Any]]:
        conn = self._connection()
        xid, key = sql.Identifier(source.xid), sql.Identifier(source.key)
        select = sql.SQL(
            "SELECT s.*, s.{xid}::text AS {x}, s.{key} AS {k} FROM {rel} AS s "
        ).format(
            xid=xid,
            key=key,
            x=sql.Identifier(_XID),
            k=sql.Identifier(_KEY),
            rel=self._relation(source),
        )
        where = sql.SQL("WHERE s.{xid} < %(xmin)s::text::xid8").format(xid=xid)
        params: dict[str, Any] = {"xmin": str(xmin), "n": self.cfg.batch_size}
        if after is not None:
            where += sql.SQL(" AND (s.{xid}, s.{key}) > (%(ax)s::text::xid8, %(ak)s)").format(
                xid=xid, key=key
            )
            params.update(ax=str(after[0]), ak=after[1])
        order = sql.SQL(" ORDER BY s.{xid}, s.{key} LIMIT %(n)s").format(xid=xid, key=key)
        rows = conn.execute(select + where + order, params).fetchall()
        if len(rows) == self.cfg.batch_size:
            # finish the last transaction, so its groups are whole
            last_xid, last_key = rows[-1][_XID], rows[-1][_KEY]
            rest = sql.SQL(
                " WHERE s.{xid} = %(x)s::text::xid8 AND s.{key} > %(k)s ORDER BY s.{key}"
            ).format(xid=xid, key=key)
            rows += conn.execute(select + rest, {"x": last_xid, "k": last_key}).fetchall()
        return rows

    def _batch(self, source: StagingSource) -> Iterator[SourceRecord | Rejected]:
        conn = self._connection()
        found = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x").fetchone()
        assert found is not None
        rows = self._fetch(source, int(found["x"]), self._read.get(source.label))
        if not rows:
            return
        start = 0
        for end in range(1, len(rows) + 1):
            if end == len(rows) or rows[end][_XID] != rows[start][_XID]:
                yield from self._transaction(source, rows[start:end])
                start = end

    def _transaction(
        self, source: StagingSource, rows: list[dict[str, Any]]
    ) -> Iterator[SourceRecord | Rejected]:
        label = source.label
        xid = int(rows[0][_XID])
        members, keys, places = [], [], []
        for row in rows:
            key = row.pop(_KEY)
            row.pop(_XID)
            raw = json.dumps(row, default=str, ensure_ascii=False).encode()
            members.append(Member(f"{label}:{key}", row, raw))
            keys.append(key)
            places.append(self._place(source, row, key))
        cuts = Cuts([(kind, group) for kind, group, _ in places])
        for kind, group in cuts.order():
            indexes = cuts.rows((kind, group))
            last = members[indexes[-1]]
            error = places[indexes[0]][2]
            if error is not None:
                item: SourceRecord | Rejected = self.convert.rejected(
                    error, label, last.position, [last], f"{last.position}: {error}"
                )
            else:
                item = self.convert.convert(
                    kind, [members[i] for i in indexes], source=label, position=last.position
                )
            cut = cuts.publish((kind, group))
            if cut >= 0:
                self._marks[label] = (xid, keys[cut])
            self._pending.append((last.position, dict(self._marks)))
            yield item
        self._read[label] = (xid, keys[-1])

    def _place(
        self, source: StagingSource, row: dict[str, Any], key: Any
    ) -> tuple[str, tuple[Any, ...], RowError | None]:
        """(kind, group, error) of a row; a bad row is a group of its own."""
        try:
            kind = self.builder.kind_of(row, source.kinds)
            if not self.mapping.kinds[kind].group_by:
                return kind, ("#", key), None
            return kind, self.builder.group_key(kind, row), None
        except RowError as exc:
            return "", ("#", key), exc
