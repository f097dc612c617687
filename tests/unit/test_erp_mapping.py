"""The ERP mapping: YAML errors at their line, and rows -> EPCIS events (or a RowError that
names the column), on the refinery example of examples/erp."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.erp import DOCUMENT_KEY, EventBuilder, MappingError, RowError, load_mapping
from connectors.erp import parse_mapping as parse
from oretrail.epcis import to_trace_event

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp" / "refinery-mapping.yaml"
ORIGIN = {
    "connector": "erp-file",
    "source": "test",
    "position": "1",
    "format": "erp-csv",
    "receivedAt": datetime(2026, 11, 2, tzinfo=UTC),
}


@pytest.fixture(scope="module")
def builder() -> EventBuilder:
    return EventBuilder(load_mapping(EXAMPLE))


def _order_line(**overrides: str) -> dict[str, str]:
    line = {
        "AUFNR": "1000417", "POSNR": "0002", "BWART": "261", "MATNR": "CO-HYD-01",
        "CHARG": "KOL-2026-0917", "MENGE": "10.000,000", "MEINS": "KG", "WERKS": "FI01",
        "LGORT": "0001", "BUDAT": "01.11.2026", "CPUTM": "22:45:00", "ELEMENT": "",
        "GEHALT_PCT": "",
    }  # fmt: skip
    line.update(overrides)
    return line


def _order() -> list[dict[str, str]]:
    header = {"MENGE": "14,300", "MEINS": "TO", "ELEMENT": "Co", "GEHALT_PCT": "20,88"}
    return [
        _order_line(POSNR="0001", BWART="101", MATNR="CO-SO4-21", CHARG="CSF-2026-1101", **header),
        _order_line(),
        _order_line(
            POSNR="0003", MATNR="H2SO4-96", CHARG="ACD-2026-1031", MENGE="6,12", MEINS="TO"
        ),
    ]


def _movement(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "MBLNR": "4900023311", "MJAHR": "2026", "ZEILE": "1", "BWART": "601", "SOBKZ": "",
        "MATNR": "CO-SO4-21", "CHARG": "CSF-2026-1101", "MENGE": Decimal("14.3"),
        "MEINS": "TO", "WERKS": "FI01", "LGORT": "0002", "BUDAT": "2026-11-03",
        "CPUTM": "07:30:00", "EBELN": "", "LIFNR": "", "KUNNR": "C-30007",
        "VBELN": "8000112005",
    }  # fmt: skip
    row.update(overrides)
    return row


# -- rows -> events -----------------------------------------------------------------------


def test_production_order_is_one_transformation(builder: EventBuilder) -> None:
    event = builder.event("production_order", _order()).event
    assert event["type"] == "TransformationEvent"
    assert event["eventTime"] == "2026-11-01T22:45:00.000+02:00"  # Helsinki, winter time
    lgtin = "https://id.gs1.org/01/{}/10/{}".format
    assert event["inputQuantityList"] == [
        {"epcClass": lgtin("09506000134352", "KOL-2026-0917"), "quantity": 10000, "uom": "KGM"},
        {"epcClass": lgtin("09506000134772", "ACD-2026-1031"), "quantity": 6120, "uom": "KGM"},
    ]
    assert event["outputQuantityList"] == [
        {"epcClass": lgtin("09506000134420", "CSF-2026-1101"), "quantity": 14300, "uom": "KGM"},
    ]
    assert event["ilmd"] == {"ot:elementContent": [{"ot:element": "Co", "ot:massFraction": 0.2088}]}
    assert event["bizTransactionList"] == [
        {"type": "prodorder", "bizTransaction": "urn:epcglobal:cbv:bt:0950600022349:1000417"}
    ]
    assert event[DOCUMENT_KEY] == "1000417"
    record = to_trace_event(builder.event("production_order", _order()), origin=ORIGIN)
    assert record["eventID"].startswith("ni:///sha-256;")
    assert record["readPoint"] == "https://id.gs1.org/414/0950600022349"


def test_goods_movements_by_movement_type(builder: EventBuilder) -> None:
    kinds = ["goods_receipt", "goods_issue", "consignment_transfer"]
    assert builder.kind_of(_movement(), kinds) == "goods_issue"
    assert builder.kind_of(_movement(BWART="411", SOBKZ="K"), kinds) == "consignment_transfer"
    with pytest.raises(RowError, match="matches the where filter of no record kind"):
        builder.kind_of(_movement(BWART="411"), kinds)  # 411 without consignment: no kind
    shipped = builder.event("goods_issue", [_movement()]).event
    assert shipped["destinationList"] == [
        {"type": "owning_party", "destination": "https://id.gs1.org/417/0950600033314"}
    ]
    assert shipped["readPoint"] == {"id": "https://id.gs1.org/414/0950600022349/254/0002"}
    assert shipped["quantityList"][0]["quantity"] == 14300
    consignment = _movement(BWART="411", SOBKZ="K", LIFNR="V-20045", EBELN="4500044187")
    ownership = builder.event("consignment_transfer", [consignment]).event
    assert (ownership["type"], ownership["action"], ownership["bizStep"]) == (
        "TransactionEvent",
        "ADD",
        "accepting",
    )


def test_typed_cells_from_a_database(builder: EventBuilder) -> None:
    """PostgreSQL hands over Decimal, date and datetime: they map like their text."""
    row = _movement(BUDAT=date(2026, 11, 3), MENGE=Decimal("14.300"))
    assert (
        builder.event("goods_issue", [row]).event
        == builder.event("goods_issue", [_movement()]).event
    )


def test_same_row_same_id_other_document_other_id(builder: EventBuilder) -> None:
    def event_id(row: dict[str, Any]) -> str:
        return str(to_trace_event(builder.event("goods_issue", [row]), origin=ORIGIN)["eventID"])

    assert event_id(_movement()) == event_id(_movement())
    # the same goods, moved at the same minute, by another document item: another event
    assert event_id(_movement()) != event_id(_movement(ZEILE="2"))


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("goods_issue", {"MEINS": "barrels"}, "column 'MEINS': unknown unit 'barrels'"),
        ("goods_issue", {"MENGE": "14,3,0"}, "column 'MENGE': '14,3,0' is not a number"),
        ("goods_issue", {"MENGE": "-14"}, "column 'MENGE': negative quantity"),
        ("goods_issue", {"MATNR": "CO-XX"}, "column 'MATNR': 'CO-XX' is not in the lookup table"),
        ("goods_issue", {"CHARG": "CSF#1"}, "column 'CHARG': lot 'CSF#1' has characters outside"),
        ("goods_issue", {"KUNNR": ""}, "column 'KUNNR' is empty"),
        ("goods_issue", {"BUDAT": "03.11.2026"}, "columns 'BUDAT', 'CPUTM': Invalid isoformat"),
        ("goods_issue", {"VBELN": None}, "column 'VBELN' is empty"),
        ("lot_master", {"HSDAT": "31.02.2026"}, "column 'HSDAT': day is out of range"),
        ("lot_master", {"GEHALT_PCT": "viel"}, "column 'GEHALT_PCT': 'viel' is not a number"),
    ],
)  # fmt: skip
def test_bad_cells_name_their_column(
    builder: EventBuilder, kind: str, change: dict[str, Any], message: str
) -> None:
    row = _movement() if kind == "goods_issue" else {
        "MATNR": "CO-HYD-01", "CHARG": "RCY-2026-1028", "WERKS": "FI01", "HSDAT": "28.10.2026",
        "MENGE": "4.250,000", "MEINS": "KG", "HERKL": "FI", "ELEMENT": "Co", "GEHALT_PCT": "31,50",
    }  # fmt: skip
    builder.event(kind, [row])  # the row as it is makes an event
    row.update(change)
    with pytest.raises(RowError) as caught:
        builder.event(kind, [row])
    assert message in str(caught.value)


def test_missing_column_and_culprit_row_of_a_group(builder: EventBuilder) -> None:
    row = _movement()
    del row["MEINS"]
    with pytest.raises(RowError, match="column 'MEINS' is missing"):
        builder.event("goods_issue", [row])
    order = _order()
    order[2]["MEINS"] = "Fass"
    with pytest.raises(RowError, match="unknown unit 'Fass'") as caught:
        builder.event("production_order", order)
    assert caught.value.row == 2
    stray = [*_order(), _order_line(BWART="999")]
    with pytest.raises(RowError, match="neither the header nor a line") as caught:
        builder.event("production_order", stray)
    assert caught.value.row == 3
    with pytest.raises(RowError, match="no row of the group matches the header"):
        builder.event("production_order", _order()[1:])


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(_movement())),
        st.one_of(st.text(max_size=12), st.none(), st.decimals(allow_nan=True), st.integers()),
    )
)
def test_any_row_is_an_event_or_a_row_error(builder: EventBuilder, changes: dict[str, Any]) -> None:
    row = _movement(**changes)
    try:
        event = builder.event("goods_issue", [row])
    except RowError as exc:
        problem = str(exc)
    else:
        try:
            to_trace_event(event, origin=ORIGIN)
            return
        except ValueError as exc:  # what the EPCIS layer refuses is dead-lettered at "validate"
            problem = str(exc)
    assert problem  # never an empty message, never another exception type


# -- the mapping file ---------------------------------------------------------------------

_MINIMAL = """\
identifiers:
  lookups:
    mats: {{A: "{gtin}"}}
kinds:
  gm:
    document: {{column: DOC}}
    event:
      type: ObjectEvent
      action: OBSERVE
      event_time: {{column: T}}
{extra}      quantities:
        - epc_class: {{scheme: lgtin, code: {{column: M}}, lookup: mats, lot: {{column: B}}}}
          quantity: {{column: Q}}
          unit: {{column: U}}
"""


def _mapping(gtin: str = "09506000134352", extra: str = "") -> str:
    return _MINIMAL.format(gtin=gtin, extra=extra)


def test_minimal_mapping_loads() -> None:
    mapping = parse(_mapping())
    assert mapping.kinds["gm"].event.type == "ObjectEvent"
    assert mapping.namespaces["ot"] == "https://oretrail.dev/ns/epcis/"


_ERRORS = [
    (
        _mapping(extra="      biz_stpe: shipping\n"),
        "<m>:11: kinds.gm.event.biz_stpe: unknown key (did you mean 'biz_step'?)",
    ),
    (
        _mapping(gtin="09506000134353"),
        "<m>:3: identifiers.lookups.mats.A: GTIN '09506000134353' has a bad check digit",
    ),
    (
        _mapping().replace('"09506000134352"', "9506000134352"),
        "<m>:3: identifiers.lookups.mats.A: Input should be a valid string (quote ERP codes",
    ),
    (
        _mapping(extra="      ilmd: {xx:lot: {column: B}}\n"),
        "<m>:11: kinds.gm.event.ilmd.xx:lot: key 'xx:lot' needs a declared namespace prefix",
    ),
    (
        _mapping().replace("lookup: mats", "lookup: plants"),
        "<m>:12: kinds.gm.event.quantities.0.epc_class: lookup 'plants' is not a table",
    ),
    (_mapping(extra="      action: OBSERVE\n"), "<m>:11: duplicate key 'action'"),
    (
        _mapping().replace("{column: T}", "{column: T, const: x}"),
        "<m>:10: kinds.gm.event.event_time: Value error, give exactly one of column, const",
    ),
    (
        _mapping().replace("    document: {column: DOC}\n", ""),
        "kinds.gm: Value error, document is required unless group_by",
    ),
    (
        _mapping().replace("ObjectEvent", "TransformationEvent"),
        "TransformationEvent has no action and no quantities",
    ),
    (
        _mapping() + "timezone: Mars/Olympus\n",
        "timezone: Value error, unknown time zone 'Mars/Olympus'",
    ),
    ("kinds: [", "<m>: not valid YAML"),
]


@pytest.mark.parametrize(("text", "expected"), _ERRORS)
def test_mapping_errors_name_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse(text, "<m>")
    assert expected in str(caught.value)


def test_mapping_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(_mapping(extra="      dispositon: active\n"))
    with pytest.raises(MappingError, match=rf"^{path}:11: .*did you mean 'disposition'"):
        load_mapping(path)
    with pytest.raises(MappingError, match="cannot read mapping"):
        load_mapping(tmp_path / "absent.yaml")


_FEATURES = """\
timezone: America/Toronto
identifiers: {company_prefix: "9506000"}
kinds:
  lots:
    document: {column: LOT}
    event:
      type: ObjectEvent
      action: {column: FLAG, map: {"": ADD, X: DELETE}, optional: true}
      event_time: {column: MADE}
      biz_step: {column: STEP, map: {"10": commissioning, "20": inspecting}}
      read_point: {scheme: sgln, code: {column: SITE}, from_prefix: true}
      biz_location: {scheme: uri, code: {template: "urn:example:site:{SITE}"}}
      quantities:
        - epc_class: {scheme: lgtin, code: {column: ITEM}, from_prefix: true, lot: {column: LOT}}
          quantity: {column: KG}
          unit: kg
      biz_transactions:
        - {type: po, id: {template: "urn:example:po:{PO}", optional: true}}
      ilmd:
        cbvmda:itemExpirationDate: {column: BEST_BEFORE, type: date, format: "%Y%m%d"}
        ot:drums: {column: DRUMS, type: integer}
        ot:conflictFree: {column: CF, type: boolean}
        ot:grade: {column: GRADE, optional: true}
        ot:carbonFootprint: {ot:kgCO2ePerKg: 2.1, ot:stage: RawMaterialExtraction}
"""


def test_identifier_schemes_maps_and_typed_ilmd() -> None:
    builder = EventBuilder(parse(_FEATURES))
    row: dict[str, Any] = {
        "LOT": "L-1", "FLAG": "X", "MADE": "2026-07-01T06:00:00", "STEP": "10", "SITE": "1234",
        "ITEM": "13435", "KG": "12.5", "PO": "", "BEST_BEFORE": "20270701", "DRUMS": "40",
        "CF": "x", "GRADE": " ",
    }  # fmt: skip
    event = builder.event("lots", [row]).event
    assert event["action"] == "DELETE"
    assert event["eventTime"] == "2026-07-01T06:00:00.000-04:00"  # Toronto, summer time
    assert event["eventTimeZoneOffset"] == "-04:00"
    assert event["bizStep"] == "commissioning"
    assert event["readPoint"] == {"id": "https://id.gs1.org/414/9506000012346"}
    assert event["bizLocation"] == {"id": "urn:example:site:1234"}
    assert event["quantityList"] == [
        {"epcClass": "https://id.gs1.org/01/09506000134352/10/L-1", "quantity": 12.5, "uom": "KGM"}
    ]
    assert "bizTransactionList" not in event  # no PO on this row: optional, left out
    assert event["ilmd"] == {
        "cbvmda:itemExpirationDate": "2027-07-01",
        "ot:drums": 40,
        "ot:conflictFree": True,
        "ot:carbonFootprint": {"ot:kgCO2ePerKg": 2.1, "ot:stage": "RawMaterialExtraction"},
    }
    row.update(FLAG="", PO="4711", DRUMS="40,5", CF="maybe", STEP="30")
    assert builder.event("lots", [{**row, "DRUMS": "40", "CF": "no", "STEP": "20"}]).event[
        "bizTransactionList"
    ] == [{"type": "po", "bizTransaction": "urn:example:po:4711"}]
    with pytest.raises(RowError, match=r"column 'STEP': '30' is not one of \['10', '20'\]"):
        builder.event("lots", [row])
    with pytest.raises(RowError, match="column 'CF': 'maybe' is not a yes/no value"):
        builder.event("lots", [{**row, "STEP": "10", "DRUMS": "4"}])
    with pytest.raises(RowError, match="column 'DRUMS': '40,5' is not a number"):
        builder.event("lots", [{**row, "STEP": "10", "CF": "1"}])
    with pytest.raises(RowError, match="column 'ITEM': item reference '1234567' is longer"):
        builder.event("lots", [{**row, "STEP": "10", "CF": "1", "DRUMS": "4", "ITEM": "1234567"}])
