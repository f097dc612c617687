"""Plausible numbers for the simulated chain, and where each comes from.

Two tables come from the battery-passport reference pack
(``../shared/standards/batterypass/reference-data``, see its README). They are restated here,
not read at run time, so the simulator runs without that folder; the conformance test
``tests/conformance/test_simulator_reference_data.py`` checks them against the files.
The rest are stoichiometric fractions (standard atomic weights) and assumptions, marked
as such.
"""

from __future__ import annotations

from typing import Final

# batterypass/reference-data/batpac51_mineral_intensity_kg_per_kwh.csv, chemistry "NMC 811"
# (BatPac 5.1 default configuration; pmbusch/Critical-Minerals-EV, MIT): kg per kWh of
# battery. "Graphite" is the ledger's C.
NMC811_KG_PER_KWH: Final = {
    "Li": 0.09980,
    "Ni": 0.65837,
    "Co": 0.08261,
    "Mn": 0.07701,
    "C": 0.92411,
    "Cu": 0.36951,
}

# batterypass/reference-data/raw_material_ghg_istrate2024.csv (Istrate et al., Joule 2024;
# robyistrate/decarbonization_LIB_raw_materials, MIT): cradle-to-gate kg CO2e per kg of the
# battery-grade product named.
GHG_KG_PER_KG: Final = {
    "lioh_spodumene": 17.237,  # "Lithium, spodumene", kg LiOH·H2O
    "li2co3_brine": 3.620,  # "Lithium, brine - carbonate", kg Li2CO3
    "coso4": 14.991,  # "Cobalt", kg CoSO4·7H2O
    "niso4": 5.479,  # "Nickel", kg NiSO4·6H2O
    "graphite_natural": 10.560,  # "Graphite, natural", kg spherical graphite
}

# Standard atomic weights (IUPAC, abridged) for the stoichiometric fractions below.
_LI, _CO, _NI, _MN, _O, _H, _S = 6.94, 58.933, 58.693, 54.938, 15.999, 1.008, 32.06
_OH, _SO4, _H2O = _O + _H, _S + 4 * _O, 2 * _H + _O
_NMC811_METALS = 0.8 * _NI + 0.1 * _CO + 0.1 * _MN
_CAM_METALS = (("Li", 1.0, _LI), ("Ni", 0.8, _NI), ("Co", 0.1, _CO), ("Mn", 0.1, _MN))

#: element mass fractions of the products as specified (real lots scatter around them)
NOMINAL: Final[dict[str, dict[str, float]]] = {
    "co-hydroxide": {"Co": 0.30},  # DRC Co(OH)2 intermediate, ~30 % Co as traded
    "spodumene-ore": {"Li": 0.0065},  # run-of-mine ore, ~1.4 % Li2O
    "spodumene-sc6": {"Li": 0.0279},  # SC6 concentrate: 6 % Li2O
    "li-carbonate": {"Li": round(2 * _LI / (2 * _LI + 12.011 + 3 * _O), 4)},
    "mhp": {"Ni": 0.39, "Co": 0.04, "Mn": 0.03},  # Indonesian HPAL mixed hydroxide
    "graphite-conc": {"C": 0.95},  # flake concentrate, 95 % C
    "cu-foil": {"Cu": 0.999},
    "mn-sulfate": {"Mn": round(_MN / (_MN + _SO4 + _H2O), 4)},  # MnSO4·H2O
    # NMC black mass (shredded cells, ~10 % of it binder, electrolyte, plastics residue)
    "black-mass": {"Li": 0.035, "Ni": 0.20, "Co": 0.06, "Mn": 0.055, "C": 0.35, "Cu": 0.03},
    "co-sulfate": {"Co": round(_CO / (_CO + _SO4 + 7 * _H2O), 4)},  # CoSO4·7H2O
    "ni-sulfate": {"Ni": round(_NI / (_NI + _SO4 + 6 * _H2O), 4)},  # NiSO4·6H2O
    "li-hydroxide": {"Li": round(_LI / (_LI + _OH + _H2O), 4)},  # LiOH·H2O
    "pcam-811": {  # Ni0.8Co0.1Mn0.1(OH)2
        e: round(share * mass / (_NMC811_METALS + 2 * _OH), 4)
        for e, share, mass in (("Ni", 0.8, _NI), ("Co", 0.1, _CO), ("Mn", 0.1, _MN))
    },
    "cam-811": {  # LiNi0.8Co0.1Mn0.1O2
        e: round(share * mass / (_LI + _NMC811_METALS + 2 * _O), 4)
        for e, share, mass in _CAM_METALS
    },
    "anode-graphite": {"C": 0.9995},  # spherical, coated
}

#: share of a refined product's cradle-to-gate footprint (GHG_KG_PER_KG) spent before the
#: refinery, i.e. carried in by the mine's lots. Assumption: the reference pack gives totals
#: only; mining and concentration are the smaller part for Li, about half for Co.
UPSTREAM_SHARE: Final = {"Co": 0.50, "Ni": 0.70, "Li_ore": 0.05, "Li_concentrate": 0.20, "C": 0.30}

#: kg CO2e per kg, assumptions (not in the reference pack): copper foil (cathode copper
#: ~4 plus rolling), manganese sulphate, black mass (collection, discharge, shredding: the
#: recycled material itself comes burden-free under the cut-off rule)
ASSUMED_KG_PER_KG: Final = {"cu-foil": 4.5, "mn-sulfate": 1.6, "black-mass": 0.9}

#: process emissions per kg of output, assumptions: LiOH from carbonate or black mass
#: (hydrometallurgy), pCAM co-precipitation, CAM calcination; cells per kWh
PROCESS_KG_PER_KG: Final = {
    "li-hydroxide-from-carbonate": 2.0,
    "li-hydroxide-from-black-mass": 3.0,
    "pcam-811": 1.2,
    "cam-811": 4.0,
}
CELL_KG_CO2E_PER_KWH: Final = 10.0  # cell manufacturing (dry rooms, formation); assumption

#: the simulated cell: an NMC811 prismatic cell, 0.55 kWh, 2.6 kg (~210 Wh/kg)
CELL_KWH: Final = 0.55
CELL_KG: Final = 2.6
