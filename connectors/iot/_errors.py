"""The one error the pure mapping raises: input that cannot become a SensorReading."""

from __future__ import annotations


class ReadingError(ValueError):
    """A payload or value that cannot become a reading; ``stage`` names the failing step
    (parse, validate, normalise) for the dead-letter record."""

    def __init__(self, message: str, stage: str = "validate") -> None:
        super().__init__(message)
        self.stage = stage
