"""ErpFileSource: ERP exports (CSV, JSON, JSON Lines) -> TraceEvents, by a mapping file.

Files are read in sorted path order; a position is ``<path>:<line>``, the line of the last
row of what was published (a group is published at its last row, and groups are emitted in
the order of their last rows). After a restart everything at or before the committed
position is skipped: files sorting before its path, and rows up to its line in that file.
So exports should be named to sort in the order they were written (timestamps in names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.erp._convert import Converter, Member
from connectors.erp._load import load_mapping
from connectors.erp._mapping import EventBuilder
from connectors.erp._rows import SUFFIXES, FileError, Line, read_lines
from connectors.erp._values import RowError
from connectors.sdk import Rejected, Source, SourceRecord

Item = SourceRecord | Rejected


class ErpFileConfig(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", env_prefix="ORETRAIL_ERP_FILE_")

    mapping: Path = Field(description="the mapping YAML (see examples/erp/refinery-mapping.yaml)")
    paths: tuple[Path, ...] = Field(description="export files, or folders searched for them")
    topic: str = "oretrail.events"


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given, folders searched recursively for exports; sorted by path, unique."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            found.add(path)
    return sorted(found, key=str)


def split_position(position: str) -> tuple[str, int]:
    path, _, line = position.rpartition(":")
    return path, int(line)


class ErpFileSource(Source):
    name = "erp-file"
    config_model = ErpFileConfig
    summary = "ERP exports (CSV / JSON) mapped to EPCIS events by a declarative YAML mapping"

    def __init__(self, config: ErpFileConfig) -> None:
        super().__init__(config)
        self.cfg = config
        self.mapping = load_mapping(config.mapping)  # a bad mapping fails before any I/O
        self.builder = EventBuilder(self.mapping)

    def poll(self) -> Iterator[SourceRecord | Rejected | None]:
        saved = self.state.load() if self.state is not None else None
        done_path, done_line = split_position(saved) if saved else ("", 0)
        for path in expand(self.cfg.paths):
            if saved and str(path) < done_path:
                continue
            skip_through = done_line if str(path) == done_path else 0
            for line, make in self._file(path):
                if line > skip_through:
                    yield make()
                if self.stopping:
                    return

    def _file(self, path: Path) -> list[tuple[int, Callable[[], Item]]]:
        """What the file yields, as (line, thunk) sorted by line: built only when needed."""
        kind_format = "erp-csv" if path.suffix.lower() == ".csv" else "erp-json"
        convert = Converter(self.builder, self.name, self.cfg.topic, kind_format)
        source = str(path)
        items: list[tuple[int, Callable[[], Item]]] = []
        try:
            # JSON is UTF-8 by definition (RFC 8259); the mapping's encoding is the CSV one
            encoding = self.mapping.csv.encoding if kind_format == "erp-csv" else "utf-8-sig"
            # decoded whole, not through a text stream: CPython's incremental utf-8-sig
            # decoder drops an incomplete BOM at the end of a file (b"\xef" read as ""), and
            # the export would vanish without a dead letter; newlines as read_text gives them
            raw = path.read_bytes().decode(encoding)
            text = raw.replace("\r\n", "\n").replace("\r", "\n")
        except (OSError, UnicodeDecodeError) as exc:
            # the whole file is one dead letter, positioned past its last line
            whole = _whole(path)
            end = whole.raw.count(b"\n") + 1
            dead = convert.rejected(exc, source, f"{source}:{end}", [whole])
            return [(end, lambda: dead)]
        candidates = self.builder.kinds_for_file(path.name)
        groups: dict[tuple[str, tuple[str, ...]], list[Member]] = {}
        last = 0

        def reject(exc: Exception, line: int, member: Member) -> None:
            position = f"{source}:{line}"
            items.append((line, lambda: convert.rejected(exc, source, position, [member])))

        try:
            for line in read_lines(path.name, text, self.mapping.csv):
                last = line.number
                member = Member(f"{source}:{line.number}", line.row or {}, line.raw.encode())
                try:
                    kind, key = self._place(line, candidates)
                except RowError as exc:
                    reject(exc, line.number, member)
                    continue
                groups.setdefault((kind, key), []).append(member)
        except FileError as exc:
            rest = "".join(text.splitlines(keepends=True)[exc.line - 1 :])
            reject(exc, max(exc.line, last + 1), Member(f"{source}:{exc.line}", {}, rest.encode()))
        for (kind, _), members in groups.items():
            end = int(members[-1].position.rpartition(":")[2])
            items.append((end, _deferred(convert, kind, members, source, f"{source}:{end}")))
        items.sort(key=lambda item: item[0])
        return items

    def _place(self, line: Line, candidates: list[str]) -> tuple[str, tuple[str, ...]]:
        if line.error is not None or line.row is None:
            raise RowError(line.error or "unreadable row")
        if not candidates:
            raise RowError("no record kind of the mapping matches this file name (see files:)")
        kind = self.builder.kind_of(line.row, candidates)
        if not self.mapping.kinds[kind].group_by:
            return kind, (f"#{line.number}",)  # a group of its own
        return kind, self.builder.group_key(kind, line.row)


def _deferred(
    convert: Converter, kind: str, members: list[Member], source: str, position: str
) -> Callable[[], Item]:
    return lambda: convert.convert(kind, members, source=source, position=position)


def _whole(path: Path) -> Member:
    try:
        return Member(f"{path}:1", {}, path.read_bytes())
    except OSError:
        return Member(f"{path}:1", {}, b"")
