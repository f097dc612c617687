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
