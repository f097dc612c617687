"""ERP rows -> EPCIS 2.0 JSON-LD events, as the mapping file says.

Pure logic on rows (mappings of column -> cell). One event is made from one row, or from a
group of rows (``group_by``: a production order header and its component lines); the
event-level fields come from the group's header row and every row of a group must be used
(header, or a line of a quantity list), so no ERP line is ever dropped without a word.

Every event carries ``ot:erpDocument``, the ERP document (and line) it records, so two
different rows never make identical events, and a re-read row makes the same event (and
the same CBV 2.0 event hash).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.erp import _gs1
from connectors.erp._model import (
    ACTIONS,
    CBVMDA_NAMESPACE,
    DOCUMENT_KEY,
    EventSpec,
    IdSpec,
    Kind,
    Mapping,
    PartySpec,
    QuantitySpec,
    Shape,
    Value,
)
from connectors.erp._units import UnitError, convert, unit_code
from connectors.erp._values import (
    Row,
    RowError,
    as_text,
    epcis_time,
    label,
    lookup,
    matches,
    moment,
    number,
    offset,
    text,
    typed,
)
from oretrail.epcis import EPCIS_CONTEXT, DocumentEvent


class EventBuilder:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.namespaces = {"cbvmda": CBVMDA_NAMESPACE, **mapping.namespaces}
        self.context: list[Any] = [EPCIS_CONTEXT, dict(self.namespaces)]
        self._targets: dict[str, str] = {k: v for k, v in mapping.units.convert.items()}

    # -- which kind, which group ---------------------------------------------------------

    def kinds_for_file(self, file_name: str) -> list[str]:
        """The kinds whose ``files`` patterns match (a kind without patterns matches all)."""
        return [
            name
            for name, kind in self.mapping.kinds.items()
            if not kind.files or any(fnmatch.fnmatch(file_name, p) for p in kind.files)
        ]

    def kind_of(self, row: Row, candidates: Sequence[str]) -> str:
        """The first candidate kind whose ``where`` the row satisfies."""
        for name in candidates:
            if matches(row, self.mapping.kinds[name].where):
                return name
        raise RowError(f"the row matches the where filter of no record kind of {list(candidates)}")

    def group_key(self, kind: str, row: Row) -> tuple[str, ...]:
        """The ``group_by`` values of a row (empty when the kind does not group)."""
        columns = self.mapping.kinds[kind].group_by
        key = []
        for column in columns:
            cell = lookup(row, column)
            if cell is None or not as_text(cell):
                raise RowError(f"column {column!r} (group_by) is empty")
            key.append(as_text(cell))
        return tuple(key)

    # -- the event --------------------------------------------------------------------

    def event(self, kind_name: str, rows: Sequence[Row], index: int = 0) -> DocumentEvent:
        """The event of one row or group; RowError (with the culprit row) otherwise."""
        kind = self.mapping.kinds[kind_name]
        header = self._header(kind, rows)
        used = {header}
        try:
            event = self._head(kind, kind.event, rows[header])
        except RowError as exc:
            exc.row = header
            raise
        lists = (("quantityList", kind.event.quantities), ("inputQuantityList", kind.event.inputs))
        for field, specs in (*lists, ("outputQuantityList", kind.event.outputs)):
            elements = []
            for spec in specs:
                for i, row in enumerate(rows):
                    if not matches(row, spec.where):
                        continue
                    used.add(i)
                    try:
                        elements.append(self._quantity(spec, row))
                    except RowError as exc:
                        exc.row = i
                        raise
            if elements:
                event[field] = elements
        unused = sorted(set(range(len(rows))) - used)
        if unused:
            raise RowError(
                "the row is neither the header nor a line of any quantity list "
                "(check the where filters)",
                row=unused[0],
            )
        return DocumentEvent(
            event=event, index=index, namespaces=dict(self.namespaces), context=self.context
        )

    def _header(self, kind: Kind, rows: Sequence[Row]) -> int:
        if not kind.header:
            return 0
        for i, row in enumerate(rows):
            if matches(row, kind.header):
                return i
        raise RowError(f"no row of the group matches the header filter {kind.header}")

    def _head(self, kind: Kind, spec: EventSpec, row: Row) -> dict[str, Any]:
        when = moment(spec.event_time, row, self.mapping.timezone)
        if when is None:  # only when the mapping made it optional
            raise RowError(f"{label(spec.event_time)}: an event needs its time")
        event: dict[str, Any] = {
            "type": spec.type,
            "eventTime": epcis_time(when),
            "eventTimeZoneOffset": offset(when),
        }
        if spec.action is not None:
            action = text(spec.action, row)
            if action not in ACTIONS:
                raise RowError(f"{label(spec.action)}: action {action!r} is not one of {ACTIONS}")
            event["action"] = action
        for field, value in (
            ("bizStep", spec.biz_step),
            ("disposition", spec.disposition),
            ("transformationID", spec.transformation_id),
        ):
            found = None if value is None else text(value, row)
            if found is not None:
                event[field] = found
        for field, where in (("readPoint", spec.read_point), ("bizLocation", spec.biz_location)):
            place = None if where is None else self.identifier(where, row)
            if place is not None:
                event[field] = {"id": place}
        transactions = []
        for tx in spec.biz_transactions:
            ident = text(tx.id, row)
            if ident is not None:
                kind_word = None if tx.type is None else text(tx.type, row)
                transactions.append(
                    {"type": kind_word, "bizTransaction": ident}
                    if kind_word
                    else {"bizTransaction": ident}
                )
        if transactions:
            event["bizTransactionList"] = transactions
        for field, member, parties in (
            ("sourceList", "source", spec.sources),
            ("destinationList", "destination", spec.destinations),
        ):
            found_parties = self._parties(parties, member, row)
            if found_parties:
                event[field] = found_parties
        ilmd = self._shape_object(spec.ilmd, row)
        if ilmd:
            event["ilmd"] = ilmd
        event.update(self._shape_object(spec.extensions, row))
        event[DOCUMENT_KEY] = self._document(kind, row)
        return event

    def _document(self, kind: Kind, row: Row) -> str:
        if kind.document is not None:
            found = text(kind.document, row)
            if found:
                return found
        if kind.group_by:
            return "/".join(as_text(lookup(row, column)) for column in kind.group_by)
        assert kind.document is not None  # the mapping model requires one without group_by
        raise RowError(f"{label(kind.document)}: the ERP document of the event is empty")

    def _parties(self, parties: list[PartySpec], member: str, row: Row) -> list[dict[str, str]]:
        out = []
        for party in parties:
            ident = self.identifier(party.id, row)
            if ident is not None:
                out.append({"type": party.type, member: ident})
        return out

    def _quantity(self, spec: QuantitySpec, row: Row) -> dict[str, Any]:
        epc_class = self.identifier(spec.epc_class, row)
        amount = number(spec.quantity, row, self.mapping.numbers)
        written = text(spec.unit, row)
        if epc_class is None or amount is None or written is None:
            raise RowError(
                f"a quantity line needs its class, quantity and unit ({label(spec.quantity)})"
            )
        if amount < 0:
            raise RowError(f"{label(spec.quantity)}: negative quantity {amount} (a reversal?)")
        try:
            code = unit_code(written, self.mapping.units.aliases)
            quantity = convert(amount, code, self._targets)
        except UnitError as exc:
            raise RowError(f"{label(spec.unit)}: {exc}") from None
        if not math.isfinite(float(quantity.amount)):
            raise RowError(f"{label(spec.quantity)}: {amount} {code} is out of range")
        return {
            "epcClass": epc_class,
            "quantity": _json_number(quantity.amount),
            "uom": quantity.uom,
        }

    def identifier(self, spec: IdSpec, row: Row) -> str | None:
        """The Digital Link (or URI) of ``spec`` for this row; None when optional and blank."""
        code = text(spec.code, row)
        if code is None:
            return None
        if spec.scheme == "uri":
            if ":" not in code:
                raise RowError(f"{label(spec.code)}: {code!r} is not a URI")
            return code
        try:
            if spec.lookup is not None:
                table = self.mapping.identifiers.lookups[spec.lookup]
                if code not in table:
                    raise ValueError(f"{code!r} is not in the lookup table {spec.lookup!r}")
                key = table[code]
            elif spec.from_prefix:
                prefix = self.mapping.identifiers.company_prefix
                assert prefix is not None  # the mapping model checked it
                what = "item" if spec.scheme in ("lgtin", "gtin") else "location"
                key = _gs1.from_prefix(prefix, code, what=what)
            else:
                key = code
            if spec.scheme == "gtin":
                return _gs1.gtin_uri(key)
            if spec.scheme == "pgln":
                return _gs1.pgln_uri(key)
            if spec.scheme == "sgln":
                extension = None if spec.extension is None else text(spec.extension, row)
                return _gs1.sgln_uri(key, extension)
            _gs1.gtin14(key)
        except ValueError as exc:
            raise RowError(f"{label(spec.code)}: {exc}") from None
        assert spec.lot is not None  # lgtin: the mapping model requires a lot
        lot = text(spec.lot, row)
        try:
            return _gs1.lgtin_uri(key, lot or "")
        except ValueError as exc:
            raise RowError(f"{label(spec.lot)}: {exc}") from None

    def _shape_object(self, shapes: dict[str, Shape], row: Row) -> dict[str, Any]:
        out = {}
        for key, shape in shapes.items():
            found = self._shape(shape, row)
            if found is not None:
                out[key] = found
        return out

    def _shape(self, shape: Shape, row: Row) -> Any:
        if isinstance(shape, Value):
            return typed(shape, row, self.mapping.numbers, self.mapping.timezone)
        if isinstance(shape, list):
            items = [self._shape(item, row) for item in shape]
            return [item for item in items if item is not None] or None
        return self._shape_object(shape, row) or None


def _json_number(amount: Decimal) -> int | float:
    # 20000 stays an integer in the JSON (and its hash); 12.5 a float
    return int(amount) if amount == amount.to_integral_value() else float(amount)
