"""Identifiers the simulated chain uses: GS1 keys under GS1's demonstration company prefix,
their Digital Link URIs, and event ids drawn from the scenario's seeded random streams."""

from __future__ import annotations

import random
import uuid

from oretrail.identifiers import gs1_check_digit

#: GS1's example company prefix (950 6000), as examples/ uses
COMPANY_PREFIX = "9506000"
DIGITAL_LINK = "https://id.gs1.org"


def gln(reference: int) -> str:
    """A 13-digit GLN: prefix + 5-digit location reference + check digit."""
    body = f"{COMPANY_PREFIX}{reference:05d}"
    return body + gs1_check_digit(body)


def gtin(reference: int) -> str:
    """A GTIN-14 (indicator 0): prefix + 5-digit item reference + check digit."""
    body = f"0{COMPANY_PREFIX}{reference:05d}"
    return body + gs1_check_digit(body)


def lot_uri(gtin14: str, lot: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin14}/10/{lot}"


def item_uri(gtin14: str, serial: str) -> str:
    return f"{DIGITAL_LINK}/01/{gtin14}/21/{serial}"


def rng(seed: int, stream: str) -> random.Random:
    """An independent, reproducible random stream per purpose: a change in how one site draws
    its numbers leaves every other site's numbers as they were. A str seed is hashed with
    SHA-512 by ``random`` (not Python's salted hash), so it is the same in every process."""
    return random.Random(f"oretrail-simulator:{seed}:{stream}")  # noqa: S311 - not secrets


def event_id(stream: random.Random) -> str:
    return f"urn:uuid:{uuid.UUID(int=stream.getrandbits(128), version=4)}"
