"""The installed ``oretrail`` command run as a user runs it: its own process, settings in
``ORETRAIL_*`` environment variables, output on stdout and stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ORETRAIL = str(Path(sys.executable).parent / "oretrail")


def oretrail_env(bootstrap: str, home: Path, **settings: str) -> dict[str, str]:
    """This process's environment with the broker, the home and ``ORETRAIL_<NAME>`` settings
    (``capture_port="8080"`` is ``ORETRAIL_CAPTURE_PORT=8080``)."""
    extra = {f"ORETRAIL_{name.upper()}": value for name, value in settings.items()}
    return {**os.environ, "ORETRAIL_BOOTSTRAP": bootstrap, "ORETRAIL_HOME": str(home), **extra}


def run_oretrail(
    bootstrap: str, home: Path, *args: str, timeout: float = 240, **settings: str
) -> subprocess.CompletedProcess[str]:
    """``oretrail <args>`` to its end; the exit code is the caller's to check."""
    return subprocess.run(
        [ORETRAIL, *args],
        env=oretrail_env(bootstrap, home, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def isolated_run_env(
    bootstrap: str, home: Path, name: str, **settings: str
) -> tuple[dict[str, str], dict[str, str]]:
    """``oretrail run``'s environment on topics, groups and an app id of its own (created
    here, 3 partitions each), so other tests' traffic cannot reach it; and those topics."""
    from oretrail.kafka import TopicSpec, ensure_topics

    topics = {t: f"{name}.{t}" for t in ("events", "passports", "alerts", "dlq", "credentials")}
    ensure_topics(bootstrap, [TopicSpec(t, 3) for t in topics.values()])
    env = oretrail_env(
        bootstrap,
        home,
        capture_topic=topics["events"],
        capture_dlq_topic=topics["dlq"],
        worker_app_id=f"{name}.worker",
        worker_events_topic=topics["events"],
        worker_passports_topic=topics["passports"],
        worker_alerts_topic=topics["alerts"],
        worker_dlq_topic=topics["dlq"],
        worker_debounce_seconds="0.5",
        sink_events_topic=topics["events"],
        sink_passports_topic=topics["passports"],
        sink_credentials_topic=topics["credentials"],
        sink_dlq_topic=topics["dlq"],
        sink_group_id=f"{name}.sink",
        sink_dte_window_seconds="1",
        **settings,
    )
    return env, topics
