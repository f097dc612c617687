"""Fill a per-version cache folder once, with Maven and a pom.xml shipped in a package.

The cache lives outside the repository (``~/.cache/oretrail/...``) so a fresh clone reuses
it. Maven works in a scratch folder next to the target; the result is moved into place and
a ``.complete`` marker is written last, so an interrupted run is redone rather than
half-used.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

MARKER = ".complete"


def maven_cached(
    target: Path,
    *,
    pom_package: str,
    arguments: Callable[[Path], list[str]],
    collect: Callable[[Path], Path | None],
    what: str,
    error: type[Exception],
) -> Path:
    """Return ``target``, filled by Maven the first time.

    ``arguments(work)`` are the properties and goals for ``mvn`` run on ``pom_package``'s
    pom.xml in the scratch folder ``work``. ``collect(work)`` then gives the folder to move
    to ``target``, or None if Maven's output lacks it; it may also raise ``error`` itself.
    ``what`` names the fetched artifact in error messages.
    """
    marker = target.parent / MARKER
    if marker.exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise error("`mvn` not found on PATH: install Maven (Debian: apt-get install maven)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        pom = work / "pom.xml"
        pom.write_bytes(resources.files(pom_package).joinpath("pom.xml").read_bytes())
        cmd = [mvn, "-q", "-B", "-f", str(pom), *arguments(work)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        staged = collect(work) if proc.returncode == 0 else None
        if staged is None:
            raise error(
                f"fetching {what} with Maven failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    marker.write_text(target.parent.name + "\n")
    return target
