"""Named scenarios: how many lots and runs each site makes at ``--scale 1``, when the chain
starts, and which faults are injected."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

FAULTS: Final = ("laundering", "malformed", "duplicates", "late")


@dataclass(frozen=True)
class Volumes:
    """Counts at scale 1; ``--scale`` multiplies each (at least 1 remains)."""

    packs: int = 16
    hydroxide_lots: int = 90
    ore_lots: int = 80  # each becomes one concentrate lot (identity preserved)
    carbonate_lots: int = 40
    mhp_lots: int = 80
    graphite_lots: int = 50
    manganese_lots: int = 20
    black_mass_lots: int = 60
    cobalt_runs: int = 50
    nickel_runs: int = 50
    lithium_runs: int = 50
    pcam_runs: int = 16
    cam_runs: int = 16
    anode_runs: int = 16
    cell_runs_per_pack: float = 2.0  # a run makes half a pack's cells
    telemetry_per_run: int = 6  # furnace / reactor temperature readings per run

    def scaled(self, scale: float) -> Volumes:
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale}")
        values = {}
        for name, value in vars(self).items():
            if isinstance(value, int) and name != "telemetry_per_run":
                values[name] = max(1, round(value * scale))
        return replace(self, **values)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    volumes: Volumes = field(default_factory=Volumes)
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
    faults: tuple[str, ...] = FAULTS
    modules_per_pack: int = 8
    cells_per_module: int = 12

    def with_faults(self, faults: tuple[str, ...]) -> Scenario:
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown faults {unknown}: choose from {', '.join(FAULTS)}")
        return replace(self, faults=tuple(f for f in FAULTS if f in faults))


SCENARIOS: Final = {
    "default": Scenario(
        "default",
        "mines to packs with recycling, every fault injected; sized for the whole pipeline "
        "in about two minutes on two cores",
    ),
    "clean": Scenario("clean", "the default chain without any injected fault", faults=()),
}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}: choose from {', '.join(SCENARIOS)}") from None
