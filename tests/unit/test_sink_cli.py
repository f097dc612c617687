"""``revoke ID [--version N]`` (to be attached under ``oretrail passport``): the passport's
bit is set in the published status list, so verification then says "revoked"; errors name
the product."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from oretrail.cli._sink import revoke
from sink.config import SinkSettings
from sink.jose import VerificationError, verify
from sink.pipeline import Publisher
from sink.untp import validate
from tests.sink_inputs import CSF, facilities_file, passport_update, refinery_events


@click.group()
def group() -> None:
    """A root like oretrail's, settings from the environment."""


group.add_command(revoke)


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Publisher:
    """A store holding version 1 of the refined lot's passport; the environment points the
    command at it."""
    env = {
        "ORETRAIL_HOME": str(tmp_path),
        "ORETRAIL_SINK_STORAGE_URL": (tmp_path / "store").as_uri(),
        "ORETRAIL_SINK_KEY_DIR": str(tmp_path / "keys"),
        "ORETRAIL_SINK_FACILITIES": str(facilities_file(tmp_path)),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pub = Publisher(SinkSettings(), tmp_path)
    pub.start()
    events = refinery_events()
    for record in events:
        pub.on_event(record)
    pub.on_passport(passport_update(CSF, events, events)[0])
    return pub


def check(pub: Publisher) -> None:
    latest = pub.store.latest(CSF)
    assert latest is not None
    document = json.loads(pub.store.did_document() or b"{}")
    verify(
        (pub.store.get(latest.sha256) or b"").decode(),
        resolve_did=lambda did: document,
        fetch_status=lambda url: (pub.store.status_list("revocation") or b"").decode(),
        validate=validate,
        now=datetime.now(UTC),
    )


def test_revoke_sets_the_bit_and_verification_fails_as_revoked(published: Publisher) -> None:
    check(published)
    result = CliRunner().invoke(group, ["revoke", "09506000134420", "--lot", "CSF-2026-1101"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["productID"] == CSF
    assert answer["version"] == 1
    assert answer["alreadyRevoked"] is False
    with pytest.raises(VerificationError) as caught:
        check(published)
    assert caught.value.reason == "revoked"

    again = CliRunner().invoke(group, ["revoke", CSF, "--version", "1"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["alreadyRevoked"] is True


def test_revoke_names_what_is_missing(published: Publisher) -> None:
    unknown = CliRunner().invoke(group, ["revoke", CSF, "--version", "7"])
    assert unknown.exit_code == 1
    assert f"{CSF} has no passport version 7" in unknown.output
    bad = CliRunner().invoke(group, ["revoke", "09506000134421", "--lot", "X"])
    assert bad.exit_code == 2
    assert "ID" in bad.output
