"""ERP feeds: the sites on an ERP system send extracts, not EPCIS. Production order
confirmations (one line per goods movement: 101 the lot made, 261 a lot consumed), material
documents (101 goods receipt, 601 goods issue) and batch master data, as CSV or JSON
exports, or as rows landed in PostgreSQL staging tables; with the mapping each system's
connector reads them by (simulator.erp_mapping)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from simulator.erp_mapping import ELEMENT_COLUMNS, SYSTEMS, ErpSystem, partner_number
from simulator.model import Commission, Declaration, Flow, Move, Operation, Transform

Row = dict[str, Any]  # column -> Decimal | str | None

_ELEMENTS: Final = tuple(
    c for i in range(1, ELEMENT_COLUMNS + 1) for c in (f"ELEMENT_{i}", f"GEHALT_{i}")
)
_MOVEMENT: Final = ("MATNR", "CHARG", "MENGE", "MEINS", "WERKS", "LGORT", "BUDAT", "CPUTM")
COLUMNS: Final = {
    "production-orders": ("AUFNR", "POSNR", "BWART", *_MOVEMENT, "COC", "CO2E_KG", *_ELEMENTS),
    "goods-movements": ("MBLNR", "MJAHR", "ZEILE", "BWART", *_MOVEMENT, "EBELN", "LIFNR",
                        "KUNNR", "VBELN"),
    "lot-master": ("MATNR", "CHARG", "WERKS", "HSDAT", "HSZEIT", "MENGE", "MEINS", "HERKL",
                   *_ELEMENTS, "CO2E_PRO_KG"),
}  # fmt: skip
#: columns holding numbers (numeric in the staging tables)
NUMERIC: Final = frozenset(
    {"MENGE", "CO2E_KG", "CO2E_PRO_KG", *(f"GEHALT_{i}" for i in range(1, ELEMENT_COLUMNS + 1))}
)
#: the record kinds of each extract
KINDS: Final = {
    "production-orders": ("production_order",),
    "goods-movements": ("goods_receipt", "goods_issue"),
    "lot-master": ("lot_master",),
}


def decimal(value: float) -> Decimal:
    """The float as the decimal it prints as: reads back as the same double."""
    return Decimal(repr(value))


def lot_number(uri: str) -> str:
    return uri.rsplit("/10/", 1)[1]


@dataclass(frozen=True)
class ErpRow:
    extract: str  # "production-orders", "goods-movements", "lot-master"
    op: str  # the operation it records
    time: datetime
    row: Row
    group: str  # rows of one event share it (a production order), else unique


class _Rows:
    def __init__(self, flow: Flow, system: ErpSystem) -> None:
        self.flow = flow
        self.system = system
        self.zone = ZoneInfo(system.timezone)
        self.documents = 0

    def _mass(self, kg: float) -> tuple[Decimal, str]:
        if self.system.mass_unit == "TO":
            return decimal(kg) / 1000, "TO"
        return decimal(kg), "KG"

    def _line(self, product: str, lot: str, kg: float, site: str, when: datetime) -> Row:
        amount, unit = self._mass(kg)
        local = when.astimezone(self.zone)
        return {
            "MATNR": self.flow.products[product].material, "CHARG": lot_number(lot),
            "MENGE": amount, "MEINS": unit, "WERKS": self.flow.sites[site].plant,
            "LGORT": "0001", "BUDAT": f"{local:%d.%m.%Y}", "CPUTM": f"{local:%H:%M:%S}",
        }  # fmt: skip

    @staticmethod
    def _composition(decl: Declaration) -> Row:
        row: Row = {}
        for i, (element, fraction) in enumerate(decl.fractions, start=1):
            row[f"ELEMENT_{i}"] = element
            row[f"GEHALT_{i}"] = (decimal(fraction) * 100).normalize()
        return row

    def rows(self, op: Operation) -> list[ErpRow]:
        if isinstance(op, Transform):
            return self._order(op)
        if isinstance(op, Move):
            return [self._movement(op)]
        if isinstance(op, Commission):
            return [self._lot_master(op)]
        raise ValueError(f"an ERP site records no {type(op).__name__}")

    def _order(self, op: Transform) -> list[ErpRow]:
        lines: list[Row] = []
        for output in op.outputs:
            for lot, kg in output.lots():
                row = {"BWART": "101", **self._line(output.product, lot, kg, op.site, op.time)}
                row["LGORT"] = "0002"
                row.update(COC=op.custody, **self._composition(output.declaration))
                lines.append(row)
        lines[0]["CO2E_KG"] = decimal(op.emissions_kg)
        for take in op.inputs:
            product = self.flow.product_of[take.lot]
            lines.append(
                {"BWART": "261", **self._line(product, take.lot, take.kg, op.site, op.time)}
            )
        out = []
        for i, line in enumerate(lines, start=1):
            row = {"AUFNR": op.order, "POSNR": f"{i:04d}", **line}
            out.append(ErpRow("production-orders", op.key, op.time, row, f"order:{op.order}"))
        return out

    def _movement(self, op: Move) -> ErpRow:
        self.documents += 1
        local = op.time.astimezone(self.zone)
        row: Row = {
            "MBLNR": str(5000000000 + self.documents), "MJAHR": f"{local:%Y}", "ZEILE": "1",
            "BWART": "601" if op.step == "shipping" else "101",
            **self._line(op.product, op.lot, op.kg, op.site, op.time),
        }  # fmt: skip
        row["BUDAT"] = f"{local:%Y-%m-%d}"
        partner = partner_number(op.partner, self.flow.sites)
        if op.step == "shipping":
            row.update(KUNNR=partner, VBELN=op.document)
        else:
            row.update(EBELN=f"45{op.document}", LIFNR=partner)
        return ErpRow("goods-movements", op.key, op.time, row, f"movement:{op.key}")

    def _lot_master(self, op: Commission) -> ErpRow:
        local = op.time.astimezone(self.zone)
        amount, unit = self._mass(op.kg)
        decl = op.declaration
        row: Row = {
            "MATNR": self.flow.products[op.product].material, "CHARG": lot_number(op.lot),
            "WERKS": self.flow.sites[op.site].plant, "HSDAT": f"{local:%d.%m.%Y}",
            "HSZEIT": f"{local:%H:%M:%S}", "MENGE": amount, "MEINS": unit, "HERKL": decl.country,
            **self._composition(decl),
            "CO2E_PRO_KG": None if decl.carbon_per_kg is None else decimal(decl.carbon_per_kg),
        }  # fmt: skip
        return ErpRow("lot-master", op.key, op.time, row, f"lot:{op.key}")


def erp_rows(flow: Flow, system: str, ops: Sequence[Operation]) -> list[ErpRow]:
    """The extract rows recording ``ops`` (operations of the system's sites), in time order."""
    maker = _Rows(flow, SYSTEMS[system])
    return [row for op in ops for row in maker.rows(op)]


def full(row: Row, extract: str) -> Row:
    """Every column of the extract, blanks as None."""
    return {column: row.get(column) for column in COLUMNS[extract]}


def nightly(rows: Sequence[ErpRow]) -> datetime:
    """Extracts run at night: a file goes out six hours after its last row."""
    return max(r.time for r in rows) + timedelta(hours=6)
