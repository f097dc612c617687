"""Measurement types (CBV 2.0 / GS1 Web Vocabulary) and UN/CEFACT Rec 20 unit codes.

Gateways write units the way their vendor likes (``°C``, ``degC``, ``kg``, ``t``, ``%``);
EPCIS sensor reports carry the Rec 20 common code. The table below covers the quantities
a battery-materials plant measures; a unit outside it is rejected rather than guessed, and
a unit that does not measure the reading's type (``KGM`` for a temperature) is too.
"""

from __future__ import annotations

import re

from connectors.iot._errors import ReadingError

#: every measurement type the EPCIS 2.0 JSON schema lists (measurement-type-JSON-Schema)
MEASUREMENT_TYPES = frozenset(
    """
    AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude
    AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration
    AngularMomentum AngularVelocity Area Capacitance Conductance Conductivity Count Density
    Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge
    ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force
    Frequency Illuminance Inductance Irradiance KinematicViscosity Length LinearMomentum
    Luminance LuminousFlux LuminousIntensity MagneticFlux MagneticFluxDensity
    MagneticVectorPotential Mass MassConcentration MassFlowRate MassPerAreaTime
    MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume Power Pressure
    RadiantFlux RadiantIntensity RelativeHumidity Resistance Resistivity SolidAngle
    SpecificVolume Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume
    VolumeFlowRate VolumeFraction VolumetricFlux Wavenumber
    """.split()  # noqa: SIM905 - a list literal of 75 names would fill a screen
)
GS1_VOC = "https://gs1.org/voc/"

# Plant vocabulary seen in topic segments and PLC tag names.
_TYPE_ALIASES = {"temp": "Temperature", "weight": "Mass", "humidity": "RelativeHumidity"}
_TYPE_BY_LOWER = {t.lower(): t for t in MEASUREMENT_TYPES} | {
    k: v for k, v in _TYPE_ALIASES.items()
}

#: Rec 20 code -> the measurement types it can express
UNIT_TYPES: dict[str, frozenset[str]] = {
    code: frozenset(types.split())
    for code, types in {
        "CEL": "Temperature",
        "KEL": "Temperature",
        "FAH": "Temperature",
        "KGM": "Mass",
        "GRM": "Mass",
        "MGM": "Mass",
        "TNE": "Mass",
        "LBR": "Mass",
        "KWH": "Energy",
        "WHR": "Energy",
        "MWH": "Energy",
        "GWH": "Energy",
        "JOU": "Energy",
        "KJO": "Energy",
        "WTT": "Power",
        "KWT": "Power",
        "MAW": "Power",
        "PAL": "Pressure",
        "KPA": "Pressure",
        "BAR": "Pressure",
        "MBR": "Pressure",
        "P1": "RelativeHumidity VolumeFraction Dimensionless",
        "59": "VolumeFraction Dimensionless",
        "A93": "AbsoluteHumidity MassConcentration",
        "KMQ": "Density MassConcentration",
        "GL": "MassConcentration",
        "MTR": "Length Altitude",
        "MMT": "Length",
        "CMT": "Length",
        "KMT": "Length",
        "MTK": "Area",
        "LTR": "Volume",
        "MTQ": "Volume",
        "MQH": "VolumeFlowRate",
        "AMP": "ElectricCurrent",
        "VLT": "Voltage",
        "KVT": "Voltage",
        "OHM": "Resistance",
        "HTZ": "Frequency",
        "MTS": "Speed",
        "KMH": "Speed",
        "SEC": "Time",
        "MIN": "Time",
        "HUR": "Time",
        "C62": "Count Dimensionless",
        "DD": "Angle",
        "NEW": "Force",
        "LUX": "Illuminance",
    }.items()
}

# Exact spellings first: case matters for mWh / MWh and m / M.
_UNIT_ALIASES = {
    "°C": "CEL", "℃": "CEL", "degC": "CEL", "deg C": "CEL", "C": "CEL", "celsius": "CEL",
    "K": "KEL", "kelvin": "KEL", "°F": "FAH", "degF": "FAH", "F": "FAH",
    "kg": "KGM", "g": "GRM", "mg": "MGM", "t": "TNE", "tonne": "TNE", "tonnes": "TNE",
    "lb": "LBR", "lbs": "LBR",
    "kWh": "KWH", "Wh": "WHR", "MWh": "MWH", "GWh": "GWH", "J": "JOU", "kJ": "KJO",
    "W": "WTT", "kW": "KWT", "MW": "MAW",
    "Pa": "PAL", "kPa": "KPA", "bar": "BAR", "mbar": "MBR",
    "%": "P1", "percent": "P1", "%RH": "P1", "ppm": "59",
    "g/m3": "A93", "g/m³": "A93", "kg/m3": "KMQ", "kg/m³": "KMQ", "g/L": "GL", "g/l": "GL",
    "m": "MTR", "mm": "MMT", "cm": "CMT", "km": "KMT", "m2": "MTK", "m²": "MTK",
    "L": "LTR", "l": "LTR", "m3": "MTQ", "m³": "MTQ", "m3/h": "MQH", "m³/h": "MQH",
    "A": "AMP", "V": "VLT", "kV": "KVT", "Ω": "OHM", "ohm": "OHM", "Hz": "HTZ",
    "m/s": "MTS", "km/h": "KMH", "s": "SEC", "min": "MIN", "h": "HUR",
    "°": "DD", "deg": "DD", "N": "NEW", "lx": "LUX",
}  # fmt: skip


def _unambiguous_lower() -> dict[str, str]:
    """Case-folded spellings that name one unit only. A leading m/M is milli or mega (mWh,
    MWh; mW, MW), so those are matched exactly or not at all."""
    seen: dict[str, set[str]] = {}
    for spelling, code in [*_UNIT_ALIASES.items(), *((c, c) for c in UNIT_TYPES)]:
        seen.setdefault(spelling.lower(), set()).add(code)
    return {
        k: next(iter(v))
        for k, v in seen.items()
        if len(v) == 1 and not (k.startswith("m") and len(k) > 1)
    }


_UNIT_BY_LOWER = _unambiguous_lower()
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")


def is_uri(value: str) -> bool:
    return bool(_URI.match(value))


def normalise_uom(raw: str) -> str:
    """The Rec 20 code for a code or a common spelling; ReadingError when unknown."""
    text = raw.strip()
    if text in UNIT_TYPES:
        return text
    code = _UNIT_ALIASES.get(text) or _UNIT_BY_LOWER.get(text.lower())
    if code is None:
        raise ReadingError(f"unknown unit {raw!r}: not a known UN/CEFACT Rec 20 code or alias")
    return code


def normalise_type(raw: str) -> str:
    """``gs1:Temperature`` for ``Temperature``, ``temperature``, ``gs1:Temperature`` or the
    GS1 Web Vocabulary URI; other URIs (a company's own vocabulary) are kept as they are."""
    text = raw.strip()
    if text.startswith(GS1_VOC):
        text = "gs1:" + text[len(GS1_VOC) :]
    if text.startswith("gs1:"):
        if text[4:] not in MEASUREMENT_TYPES:
            raise ReadingError(f"{raw!r} is not a CBV measurement type")
        return text
    if is_uri(text):
        return text
    name = _TYPE_BY_LOWER.get(text.lower())
    if name is None:
        raise ReadingError(
            f"unknown measurement type {raw!r}: use a CBV name such as Temperature or a URI"
        )
    return "gs1:" + name


def check_unit_fits(type_: str, uom: str | None, numeric: bool) -> None:
    """A numeric CBV reading needs a unit of its dimension (Count and Dimensionless excepted)."""
    if not type_.startswith("gs1:"):
        return
    name = type_[4:]
    if uom is None:
        if numeric and name not in ("Count", "Dimensionless"):
            raise ReadingError(f"a {type_} reading needs a unit (uom)")
        return
    fits = UNIT_TYPES.get(uom, frozenset())
    if name not in fits:
        raise ReadingError(f"unit {uom} does not measure {type_}")
