"""`oretrail ingest epcis` as a user runs it: a real process, a real broker, stdout as contract."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from oretrail.kafka import TopicSpec, ensure_topics
from oretrail.keys import lot_key
from oretrail.serde import SingleObjectSerde
from tests.cli_helpers import run_oretrail
from tests.kafka_helpers import dead_letters, read_topic

ROOT = Path(__file__).resolve().parents[2]


def _ingest(bootstrap: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_oretrail(bootstrap, home, "ingest", "epcis", *args)


def test_json_output_is_one_object_and_events_land_keyed_by_lot(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    topic = f"{unique_name}.events"
    ensure_topics(bootstrap, [TopicSpec(topic, 3)])
    sample = ROOT / "examples" / "epcis" / "cobalt-refinery-batch.jsonld"
    expected = len(json.loads(sample.read_bytes())["epcisBody"]["eventList"])
    done = _ingest(bootstrap, tmp_path, str(sample), "--json", "--topic", topic)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"accepted": expected, "rejected": 0}
    assert done.stdout.count("\n") == 1

    serde = SingleObjectSerde()
    got = read_topic(bootstrap, topic, expect=expected)
    assert len(got) == expected
    for msg in got:
        record = serde.decode("trace_event", msg.value, topic)
        assert msg.key == lot_key(record).encode()
        assert record["origin"]["connector"] == "epcis-file"


def test_bad_documents_count_once_and_are_dead_lettered(
    bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    topic = f"{unique_name}.events"
    ensure_topics(bootstrap, [TopicSpec(topic, 1)])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "garbage.json").write_bytes(b"\x00\x01 this is no EPCIS")
    good = json.loads((ROOT / "examples/epcis/cobalt-refinery-batch.jsonld").read_bytes())
    events = good["epcisBody"]["eventList"]
    events[1]["bizStep"] = "smelting"  # not a CBV term and not a URI
    (inbox / "one-bad-event.jsonld").write_text(json.dumps(good))
    done = _ingest(bootstrap, tmp_path / "home", str(inbox), "--json", "--topic", topic)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"accepted": len(events) - 1, "rejected": 2}

    dead = dead_letters(bootstrap, "epcis-file", source=str(inbox / "garbage.json"))
    assert len(dead) == 1
    assert dead[0].headers["__connect.errors.stage"] == b"parse"
    (bad,) = dead_letters(bootstrap, "epcis-file", source=str(inbox / "one-bad-event.jsonld"))
    assert b"smelting" in bad.headers["__connect.errors.exception.message"]
    assert bad.headers["__connect.errors.source.position"] == b"1:1"
