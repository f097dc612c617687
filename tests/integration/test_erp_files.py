"""erp-file on the real broker: the refinery's exports become TraceEvents keyed by lot, bad
rows are dead-lettered with the row verbatim and the column named, and a restart resumes
after the committed row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from confluent_kafka import Producer

from connectors.erp import ErpFileConfig, ErpFileSource
from connectors.sdk import HEADER_PREFIX, Counts, Rejected, SourceRunner, StateStore
from oretrail.cli import cli
from oretrail.kafka import TopicSpec, ensure_topics, producer_config
from oretrail.serde import SingleObjectSerde
from tests.kafka_helpers import read_topic

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp"
SERDE = SingleObjectSerde()


def _run(bootstrap: str, config: ErpFileConfig, state: Path, dlq: str) -> Counts:
    runner = SourceRunner(Producer(producer_config(bootstrap)), SERDE, dlq_topic=dlq)
    return runner.run(ErpFileSource(config), StateStore(state))


def _topics(bootstrap: str, unique_name: str) -> tuple[str, str]:
    events, dlq = f"{unique_name}.events", f"{unique_name}.dlq"
    ensure_topics(bootstrap, [TopicSpec(events, 3), TopicSpec(dlq, 1)])
    return events, dlq


def _document(record: dict[str, Any]) -> str:
    return str(json.loads(record["extensions"])["ot:erpDocument"])


def test_refinery_exports_become_events_keyed_by_lot(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    events, dlq = _topics(bootstrap, unique_name)
    exports = tmp_path / "exports"
    shutil.copytree(EXAMPLE / "exports", exports)
    config = ErpFileConfig(
        mapping=EXAMPLE / "refinery-mapping.yaml", paths=(exports,), topic=events
    )
    counts = _run(bootstrap, config, tmp_path / "state.json", dlq)
    assert (counts.accepted, counts.rejected) == (8, 0)

    got = read_topic(bootstrap, events, expect=8)
    records = {
        _document(r): (m.key, r)
        for m in got
        for r in [SERDE.decode("trace_event", m.value, events)]
    }
    assert len(got) == 8
    assert sorted(records) == [
        "1000417", "1000418", "4900023311/2026/1", "4900023311/2026/2", "5000081231/2026/1",
        "5000081377/2026/1", "CO-HYD-01/RCY-2026-1028", "CO-HYD-01/RCY-2026-1030",
    ]  # fmt: skip
    key, order = records["1000417"]
    # a transformation is keyed by the lot it makes, so it shares a partition with that lot
    assert key == b"https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
    assert order["eventType"] == "TransformationEvent"
    assert [q["quantity"] for q in order["inputQuantityList"]] == [10000.0, 6120.0]
    assert order["origin"]["position"] == f"{exports / 'production-orders-2026-11-01.csv'}:4"
    key, shipped = records["4900023311/2026/1"]
    assert key == b"https://id.gs1.org/01/09506000134420/10/CSF-2026-1101"
    assert shipped["bizStep"] == "shipping"
    assert shipped["bizTransactionList"][0]["type"] == "desadv"
    _, transfer = records["5000081377/2026/1"]
    assert (transfer["eventType"], transfer["action"]) == ("TransactionEvent", "ADD")
    _, lot = records["CO-HYD-01/RCY-2026-1028"]
    assert json.loads(lot["ilmd"])["cbvmda:countryOfOrigin"] == "FI"

    # everything was committed: a restart publishes nothing again
    again = _run(bootstrap, config, tmp_path / "state.json", dlq)
    assert (again.accepted, again.rejected) == (0, 0)


_MAPPING = """\
numbers: {decimal: ","}
csv: {delimiter: ";"}
units: {convert: {mass: KGM}}
kinds:
  receipts:
    document: {template: "{doc}/{item}"}
    event:
      type: ObjectEvent
      action: OBSERVE
      event_time: {column: posted, format: "%d.%m.%Y %H:%M"}
      biz_step: receiving
      quantities:
        - epc_class: {scheme: lgtin, code: {column: gtin}, lot: {column: lot}}
          quantity: {column: qty}
          unit: {column: unit}
"""

_GOOD = "01.11.2026 08:00"
_ROWS = [
    ("doc;item;gtin;lot;qty;unit;posted", None),
    (f"7001;1;09506000134352;L1;1,5;t;{_GOOD}", None),
    (f"7001;2;09506000134352;L2;2;barrel;{_GOOD}", "column 'unit': unknown unit 'barrel'"),
    (f"7001;3;09506000134353;L3;2;kg;{_GOOD}", "column 'gtin': GTIN '09506000134353' has a bad"),
    (f"7001;4;09506000134352;L4;zwei;kg;{_GOOD}", "column 'qty': 'zwei' is not a number"),
    ("7001;5;09506000134352;L5;2;kg;2026-11-01", "column 'posted': time data '2026-11-01'"),
    ("7001;6;09506000134352;L6;2;kg", "the row has 6 fields, the header 7"),
    (f"7001;7;09506000134352;L7;3;lb;{_GOOD}", None),
]  # fmt: skip


def test_bad_rows_are_dead_lettered_and_the_rest_goes_on(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    events, dlq = _topics(bootstrap, unique_name)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(_MAPPING)
    export = tmp_path / "receipts.csv"
    export.write_text("".join(row + "\n" for row, _ in _ROWS))
    jsonl = tmp_path / "receipts.jsonl"  # a JSON export whose record lacks a column
    record = {"doc": "7002", "item": "1", "gtin": "09506000134352", "lot": "L8", "unit": "kg"}
    jsonl.write_text(json.dumps({**record, "posted": _GOOD}) + "\n")
    config = ErpFileConfig(mapping=mapping, paths=(export, jsonl), topic=events)
    counts = _run(bootstrap, config, tmp_path / "state.json", dlq)
    assert (counts.accepted, counts.rejected) == (2, 6)

    published = [
        SERDE.decode("trace_event", m.value, events)
        for m in read_topic(bootstrap, events, expect=2)
    ]
    assert sorted(q["quantity"] for r in published for q in r["quantityList"]) == [
        pytest.approx(1.36077711),
        1500.0,
    ]
    dead = read_topic(bootstrap, dlq, expect=6)
    assert len(dead) == 6
    by_position = {m.headers[HEADER_PREFIX + "source.position"].decode(): m for m in dead}
    for line, (row, problem) in enumerate(_ROWS, start=1):
        if problem is None:
            continue
        letter = by_position[f"{export}:{line}"]
        assert problem in letter.headers[HEADER_PREFIX + "exception.message"].decode()
        assert letter.headers[HEADER_PREFIX + "connector.name"] == b"erp-file"
        assert letter.headers[HEADER_PREFIX + "source.name"] == str(export).encode()
        value = SERDE.decode("dead_letter", letter.value, dlq)
        assert value["payload"] == (row + "\n").encode()  # the row verbatim, to repair
    missing = by_position[f"{jsonl}:1"]
    assert b"column 'qty' is missing" in missing.headers[HEADER_PREFIX + "exception.message"]


def test_restart_resumes_after_the_committed_row(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    events, dlq = _topics(bootstrap, unique_name)
    exports = tmp_path / "exports"
    shutil.copytree(EXAMPLE / "exports", exports)
    state = tmp_path / "state.json"
    # as if a run had committed the first file (goods movements, 4 events) and the first lot
    StateStore(state).save(f"{exports / 'lot-master-2026-11-01.csv'}:2")
    config = ErpFileConfig(
        mapping=EXAMPLE / "refinery-mapping.yaml", paths=(exports,), topic=events
    )
    counts = _run(bootstrap, config, state, dlq)
    assert (counts.accepted, counts.rejected) == (3, 0)
    got = [
        SERDE.decode("trace_event", m.value, events)
        for m in read_topic(bootstrap, events, expect=3)
    ]
    assert sorted(_document(r) for r in got) == ["1000417", "1000418", "CO-HYD-01/RCY-2026-1030"]
    assert StateStore(state).load() == f"{exports / 'production-orders-2026-11-01.csv'}:7"


def test_the_cli_runs_the_example(bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    events, _ = _topics(bootstrap, unique_name)
    exports = tmp_path / "exports"
    shutil.copytree(EXAMPLE / "exports", exports)
    args = ["--bootstrap", bootstrap, "--home", str(tmp_path / "home"), "connectors", "run"]
    sets = [f"mapping={EXAMPLE / 'refinery-mapping.yaml'}", f"paths=[{exports}]", f"topic={events}"]
    command = [*args, "erp-file", *(part for s in sets for part in ("--set", s))]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "erp-file: 8 accepted, 0 rejected" in result.output
    assert len(read_topic(bootstrap, events, expect=8)) == 8


def test_unreadable_files_are_dead_letters_too(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(_MAPPING)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    broken = inbox / "a-broken.json"
    good = '{"doc": "1", "item": "1", "gtin": "09506000134352", "lot": "L1", "qty": "1", '
    good += f'"unit": "kg", "posted": "{_GOOD}"}}'
    broken.write_text(f"[\n{good},\n{good.replace('L1', 'L2')}\n{{]\n")
    latin = inbox / "b-latin1.csv"
    latin.write_bytes("doc;item;gtin;lot;qty;unit;posted\n7;1;x;Lø;1;kg;x\n".encode("latin-1"))
    source = ErpFileSource(ErpFileConfig(mapping=mapping, paths=(inbox,)))
    state = StateStore(tmp_path / "state" / "state.json")
    source.open(state)
    items = list(source.poll())
    assert [type(i).__name__ for i in items] == [
        "SourceRecord",
        "SourceRecord",
        "Rejected",
        "Rejected",
    ]
    truncated, undecodable = items[2], items[3]
    assert isinstance(truncated, Rejected)
    assert isinstance(undecodable, Rejected)
    # no comma after the second item: the rest of the file, from there, is one dead letter
    assert truncated.position == f"{broken}:4"
    assert truncated.message == "expected ',' or ']' after an array item"
    assert truncated.payload == b"{]\n"
    assert (undecodable.error_class, undecodable.position) == ("UnicodeDecodeError", f"{latin}:3")
    assert undecodable.payload == latin.read_bytes()
    for item in items:
        source.commit(item.position)
    assert list(ErpFileSource(source.cfg).poll()) != []  # without state: all again
    again = ErpFileSource(source.cfg)
    again.open(state)
    assert list(again.poll()) == []  # with it: nothing
