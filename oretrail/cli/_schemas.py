"""``oretrail schemas check``: the Avro evolution rule, runnable before a release."""

from __future__ import annotations

import click

from oretrail.schema_compat import check_folder
from oretrail.serde import released_versions, schemas_dir


@click.group()
def schemas() -> None:
    """Inspect the Avro contract in schemas/."""


@schemas.command()
def check() -> None:
    """Fail unless every schema is BACKWARD compatible with the last released version."""
    released = released_versions()
    if not released:
        click.echo("no released schemas yet: nothing to compare")
        return
    report = check_folder(schemas_dir(), released[-1])
    for name, problems in report.items():
        for problem in problems:
            click.echo(f"{name}: {problem}", err=True)
    if report:
        raise SystemExit(1)
    click.echo(f"schemas are BACKWARD compatible with {released[-1].name}")
