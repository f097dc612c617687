"""Same scenario, seed and scale: byte-identical output, in this process and in another one
with a different hash seed (so no set or dict order can leak into a file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simulator.run import simulate, write
from simulator.scenario import scenario


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_the_same_seed_writes_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    write(simulate(scenario("default"), 4, 0.3), tmp_path / "here")
    code = (
        "import sys; from pathlib import Path; from simulator.run import simulate, write; "
        "from simulator.scenario import scenario; "
        "write(simulate(scenario('default'), 4, 0.3), Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], env=env, check=True)
    here, there = _tree(tmp_path / "here"), _tree(tmp_path / "there")
    assert len(here) > 50
    assert sorted(here) == sorted(there)
    different = [path for path in here if here[path] != there[path]]
    assert different == []


def test_another_seed_draws_another_chain() -> None:
    a = {f.path: f.data for f in simulate(scenario("default"), 4, 0.3).files}
    b = {f.path: f.data for f in simulate(scenario("default"), 5, 0.3).files}
    common = set(a) & set(b)
    changed = [p for p in common if a[p] != b[p] and not p.endswith((".yaml", ".sql"))]
    assert len(changed) > len(common) // 2
