"""Errors of the EPCIS layer (see oretrail.epcis for the whole family)."""

from __future__ import annotations


class EpcisValidationError(ValueError):
    """An event that was read but breaks an EPCIS 2.0 / CBV 2.0 rule; the message says which."""

    stage = "validate"
