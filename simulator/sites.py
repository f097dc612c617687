"""The simulated chain's sites and products: who makes what, where, and how each site's
systems speak (EPCIS 2.0 JSON-LD or XML, EPCIS 1.2 XML, ERP exports or staging tables).

Names are descriptive, not real companies; GS1 keys are under GS1's demonstration prefix.
"""

from __future__ import annotations

from simulator import ids
from simulator.model import Custody, Feed, Product, Site
from simulator.reference import NOMINAL

#: (key, name, location reference, country, UTC offset, feed, custody, erp, plant)
_SITES: tuple[tuple[str, str, int, str, str, Feed, Custody, str | None, str | None], ...] = (
    ("drc-mine", "Kolwezi cobalt hydroxide plant", 1001, "CD", "+02:00", "epcis-json",
     "controlled_blending", None, None),
    ("au-mine", "Greenbushes spodumene mine and concentrator", 1002, "AU", "+08:00", "epcis-xml",
     "identity_preserved", None, None),
    ("cl-brine", "Salar de Atacama lithium carbonate plant", 1003, "CL", "-03:00",
     "epcis-xml-1.2", "controlled_blending", None, None),
    ("id-nickel", "Morowali HPAL mixed hydroxide plant", 1004, "ID", "+08:00", "erp-csv",
     "controlled_blending", "morowali", "ID01"),
    ("mz-graphite", "Balama graphite mine", 1005, "MZ", "+02:00", "epcis-json",
     "controlled_blending", None, None),
    ("za-manganese", "Kalahari manganese sulphate plant", 1006, "ZA", "+02:00", "epcis-xml",
     "controlled_blending", None, None),
    ("kr-foil", "Ulsan copper foil mill", 1007, "KR", "+09:00", "epcis-json",
     "controlled_blending", None, None),
    ("de-recycler", "Saxony black mass recycler", 1008, "DE", "+01:00", "epcis-json",
     "controlled_blending", None, None),
    ("fi-cobalt", "Kokkola cobalt sulphate refinery", 2001, "FI", "+02:00", "epcis-json",
     "controlled_blending", None, None),
    ("fi-nickel", "Harjavalta nickel sulphate refinery", 2002, "FI", "+02:00", "epcis-xml",
     "mass_balance", None, None),
    ("fi-lithium", "Ostrobothnia lithium hydroxide refinery", 2003, "FI", "+02:00",
     "erp-staging", "controlled_blending", "nordlith", "FI10"),
    ("pl-pcam", "Konin precursor (pCAM) plant", 3001, "PL", "+01:00", "erp-csv",
     "controlled_blending", "cathode", "PL01"),
    ("pl-cam", "Konin cathode active material plant", 3002, "PL", "+01:00", "erp-json",
     "controlled_blending", "cathode", "PL02"),
    ("se-anode", "Lulea anode graphite plant", 3003, "SE", "+01:00", "epcis-xml",
     "segregated", None, None),
    ("de-cells", "Lausitz cell gigafactory", 4001, "DE", "+01:00", "epcis-json",
     "controlled_blending", None, None),
    ("de-modules", "Lausitz module assembly", 4002, "DE", "+01:00", "epcis-xml-1.2",
     "controlled_blending", None, None),
    ("de-packs", "Leipzig pack assembly", 4003, "DE", "+01:00", "epcis-json",
     "controlled_blending", None, None),
)  # fmt: skip

#: buyers outside the simulated chain: refined lots not used by it are sold to them
OTHER_CUSTOMERS = ("other-cathode-maker", "other-trader")
_OTHERS = {"other-cathode-maker": 9001, "other-trader": 9002}

#: (key, name, item reference, ERP material number, lot / serial prefix)
_PRODUCTS = (
    ("co-hydroxide", "Cobalt hydroxide", 10101, "CO-HYD-01", "KOL"),
    ("spodumene-ore", "Spodumene ore (run of mine)", 10201, "SPD-ROM", "GBO"),
    ("spodumene-sc6", "Spodumene concentrate SC6", 10202, "SPD-SC6", "GBC"),
    ("li-carbonate", "Lithium carbonate, battery grade", 10301, "LI2CO3-BG", "ATA"),
    ("mhp", "Mixed hydroxide precipitate", 10401, "NI-MHP-39", "MHP"),
    ("graphite-conc", "Natural flake graphite concentrate", 10501, "GR-CONC-95", "BAL"),
    ("mn-sulfate", "Manganese sulphate monohydrate", 10601, "MNSO4-H2O", "MNS"),
    ("cu-foil", "Copper foil 8 um", 10701, "CU-FOIL-8", "CUF"),
    ("black-mass", "NMC black mass", 10801, "BM-NMC", "BMX"),
    ("co-sulfate", "Cobalt sulphate heptahydrate, battery grade", 11101, "CO-SO4-21", "CSF"),
    ("ni-sulfate", "Nickel sulphate hexahydrate, battery grade", 11201, "NI-SO4-22", "NSF"),
    ("li-hydroxide", "Lithium hydroxide monohydrate, battery grade", 11301, "LIOH-H2O-BG", "LHM"),
    ("pcam-811", "NMC811 precursor", 11401, "PCAM-811", "PCA"),
    ("cam-811", "NMC811 cathode active material", 11501, "CAM-811", "CAM"),
    ("anode-graphite", "Spherical coated graphite", 11601, "SPG-C", "ANG"),
    ("cell", "NMC811 prismatic cell 150 Ah", 12001, "CELL-P150", "C"),
    ("module", "Battery module 12S", 12101, "MOD-12S", "M"),
    ("pack", "Battery pack 96S", 12201, "PACK-96S", "P"),
)


def sites() -> dict[str, Site]:
    out = {}
    for key, name, ref, country, offset, feed, custody, erp, plant in _SITES:
        out[key] = Site(key, name, ids.gln(ref), country, offset, feed, custody, erp, plant)
    return out


def partner_gln(key: str, catalog: dict[str, Site]) -> str:
    """The GLN of a site of the chain or of a buyer outside it."""
    return catalog[key].gln if key in catalog else ids.gln(_OTHERS[key])


def products() -> dict[str, Product]:
    out = {}
    for key, name, ref, material, prefix in _PRODUCTS:
        nominal = tuple(NOMINAL.get(key, {}).items())
        out[key] = Product(key, name, ids.gtin(ref), material, prefix, nominal)
    return out
