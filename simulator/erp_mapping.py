"""The mapping file (connectors.erp) of each simulated ERP system: SAP-style extracts
(production order confirmations, material documents, batch master data) onto EPCIS events
with the ``ot:`` composition vocabulary. One mapping per ERP system; its plants, materials
and business partners come from the chain's catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml

from simulator.model import Product, Site
from simulator.sites import partner_gln

#: element / content column pairs a row may fill (a product names at most four elements)
ELEMENT_COLUMNS: Final = 4


@dataclass(frozen=True)
class ErpSystem:
    key: str
    timezone: str  # IANA zone of the times the ERP writes (local plant time, no offset)
    decimal: str
    thousands: str | None
    mass_unit: str  # what its extracts write for kg: "KG", or "TO" for tonnes


SYSTEMS: Final = {
    "morowali": ErpSystem("morowali", "Asia/Makassar", ",", ".", "TO"),
    "cathode": ErpSystem("cathode", "Europe/Warsaw", ",", " ", "KG"),
    "nordlith": ErpSystem("nordlith", "Europe/Helsinki", ".", None, "KG"),
}


def partner_number(key: str, sites: dict[str, Site]) -> str:
    """The business partner number an ERP knows a site (or outside buyer) by."""
    return f"BP{partner_gln(key, sites)[7:12]}"


def _elements() -> list[dict[str, Any]]:
    out = []
    for i in range(1, ELEMENT_COLUMNS + 1):
        optional = {"optional": True} if i > 1 else {}  # a lot names one element at least
        element = {"column": f"ELEMENT_{i}", **optional}
        content = {"column": f"GEHALT_{i}", "type": "number", "factor": 0.01, **optional}
        out.append({"ot:element": element, "ot:massFraction": content})
    return out


_LOT = {"scheme": "lgtin", "code": {"column": "MATNR"}, "lookup": "materials",
        "lot": {"column": "CHARG"}}  # fmt: skip
_PLANT = {"scheme": "sgln", "code": {"column": "WERKS"}, "lookup": "plants"}
_STORAGE = {**_PLANT, "extension": {"column": "LGORT", "optional": True}}
_QUANTITY = [{"epc_class": _LOT, "quantity": {"column": "MENGE"}, "unit": {"column": "MEINS"}}]


def _transaction(kind: str, company: str, column: str) -> dict[str, Any]:
    return {"type": kind, "id": {"template": f"urn:epcglobal:cbv:bt:{company}:{{{column}}}"}}


def _party(partner: dict[str, Any], column: str) -> dict[str, Any]:
    return {"type": "owning_party", "id": {**partner, "code": {"column": column}}}


def _kinds(company: str) -> dict[str, Any]:
    plant_party = {"scheme": "pgln", "code": {"column": "WERKS"}, "lookup": "plants"}
    partner = {"scheme": "pgln", "lookup": "partners"}
    kinds: dict[str, Any] = {
        "goods_receipt": {
            "files": ["*goods-movements-*"],
            "where": {"BWART": "101"},
            "document": {"template": "{MBLNR}/{MJAHR}/{ZEILE}"},
            "event": {
                "type": "ObjectEvent", "action": "OBSERVE",
                "event_time": {"template": "{BUDAT}T{CPUTM}"},
                "biz_step": "receiving", "disposition": "in_progress",
                "read_point": _STORAGE, "biz_location": _STORAGE, "quantities": _QUANTITY,
                "biz_transactions": [_transaction("po", company, "EBELN")],
                "sources": [_party(partner, "LIFNR")],
                "destinations": [{"type": "owning_party", "id": plant_party}],
            },
        },
        "goods_issue": {
            "files": ["*goods-movements-*"],
            "where": {"BWART": "601"},
            "document": {"template": "{MBLNR}/{MJAHR}/{ZEILE}"},
            "event": {
                "type": "ObjectEvent", "action": "OBSERVE",
                "event_time": {"template": "{BUDAT}T{CPUTM}"},
                "biz_step": "shipping", "disposition": "in_transit",
                "read_point": _STORAGE, "quantities": _QUANTITY,
                "biz_transactions": [_transaction("desadv", company, "VBELN")],
                "sources": [{"type": "owning_party", "id": plant_party}],
                "destinations": [_party(partner, "KUNNR")],
            },
        },
        "production_order": {
            "files": ["*production-orders-*"],
            "group_by": ["AUFNR"],
            "header": {"BWART": "101"},
            "event": {
                "type": "TransformationEvent",
                "event_time": {"template": "{BUDAT} {CPUTM}", "format": "%d.%m.%Y %H:%M:%S"},
                "biz_step": "commissioning", "disposition": "active",
                "read_point": _PLANT, "biz_location": _PLANT,
                "inputs": [{"where": {"BWART": "261"}, **_QUANTITY[0]}],
                "outputs": [{"where": {"BWART": "101"}, **_QUANTITY[0]}],
                "biz_transactions": [_transaction("prodorder", company, "AUFNR")],
                "ilmd": {"ot:elementContent": _elements()},
                "extensions": {
                    "ot:chainOfCustody": {"column": "COC"},
                    "ot:processEmissions": {
                        "ot:kgCO2e": {"column": "CO2E_KG", "type": "number"},
                        "ot:stage": "MainProduction",
                    },
                },
            },
        },
        "lot_master": {
            "files": ["*lot-master-*"],
            "document": {"template": "{MATNR}/{CHARG}"},
            "event": {
                "type": "ObjectEvent", "action": "ADD",
                "event_time": {"template": "{HSDAT} {HSZEIT}", "format": "%d.%m.%Y %H:%M:%S"},
                "biz_step": "commissioning", "disposition": "active",
                "read_point": _PLANT, "biz_location": _PLANT, "quantities": _QUANTITY,
                "ilmd": {
                    "cbvmda:lotNumber": {"column": "CHARG"},
                    "cbvmda:countryOfOrigin": {"column": "HERKL"},
                    "ot:elementContent": _elements(),
                    "ot:carbonFootprint": {
                        "ot:kgCO2ePerKg": {"column": "CO2E_PRO_KG", "type": "number"},
                        "ot:stage": "RawMaterialExtraction",
                    },
                },
            },
        },
    }  # fmt: skip
    return kinds


def mapping(
    system: ErpSystem, plants: list[Site], products: list[Product], sites: dict[str, Site]
) -> dict[str, Any]:
    partners = [*sites, "other-cathode-maker", "other-trader"]
    numbers: dict[str, str] = {"decimal": system.decimal}
    if system.thousands is not None:
        numbers["thousands"] = system.thousands
    return {
        "version": 1,
        "namespaces": {"ot": "https://oretrail.dev/ns/epcis/"},
        "timezone": system.timezone,
        "numbers": numbers,
        "csv": {"delimiter": ";", "encoding": "utf-8-sig"},
        "units": {"aliases": {"TO": "TNE", "KG": "KGM"}, "convert": {"mass": "KGM"}},
        "identifiers": {
            "company_prefix": "9506000",
            "lookups": {
                "materials": {p.material: p.gtin for p in products},
                "plants": {s.plant: s.gln for s in plants if s.plant},
                "partners": {partner_number(k, sites): partner_gln(k, sites) for k in partners},
            },
        },
        "kinds": _kinds(plants[0].gln),
    }


def dumps(system: ErpSystem, data: dict[str, Any]) -> bytes:
    head = (
        f"# Mapping of the {system.key} ERP extracts onto EPCIS 2.0 events, written by\n"
        "# `oretrail simulate` (see connectors.erp and examples/erp for the file format).\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return (head + body).encode()
