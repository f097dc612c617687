"""The declarative mapping of ERP exports onto EPCIS events, as a strict pydantic model.

A mapping file (YAML) says, per record kind (production order, goods movement, lot master
data ...), which column feeds which event field, how units, numbers and times are written,
and how ERP material / plant / partner numbers become GS1 identifiers. Every model forbids
unknown keys, so a typo is an error naming the file, line and key (see connectors.erp._load).
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import TypeAliasType

from connectors.erp import _gs1
from connectors.erp._units import CODES

#: the oretrail EPCIS extension vocabulary, as examples/epcis declares it
OT_NAMESPACE = "https://oretrail.dev/ns/epcis/"
CBVMDA_NAMESPACE = "urn:epcglobal:cbv:mda:"
#: the extension member naming the ERP document (and line) an event comes from
DOCUMENT_KEY = "ot:erpDocument"

Scalar = str | int | float | bool
ACTIONS = ("ADD", "OBSERVE", "DELETE")
_REC20 = re.compile(r"^[A-Z0-9]{2,3}$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _template_fields(template: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from exc
    names = [name for _, name, _, _ in parsed if name is not None]
    if any(not name for name in names):
        raise ValueError(f"template {template!r} has an empty {{}}: name a column")
    return names


class Value(_Model):
    """Where one value comes from: a column, a constant, or a template over columns.

    A bare scalar in the YAML is a constant. ``map`` translates what the column holds
    (e.g. movement type ``601`` -> ``shipping``); a value missing from it is rejected.
    ``type`` and ``format`` say how ILMD / extension values are typed; the fields with a
    fixed type (event_time, quantity) ignore ``type`` but use ``format`` and ``factor``.
    """

    column: str | None = None
    const: Scalar | None = None
    template: str | None = None
    map: dict[str, Scalar] | None = None
    type: Literal["string", "number", "integer", "boolean", "date", "datetime"] = "string"
    format: str | None = Field(default=None, description="strptime format of a date / date-time")
    factor: float | None = Field(
        default=None, description="multiply a number, e.g. 0.01 for percent"
    )
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _scalar_is_const(cls, data: Any) -> Any:
        return {"const": data} if isinstance(data, Scalar) else data

    @model_validator(mode="after")
    def _one_source(self) -> Value:
        given = [k for k in ("column", "const", "template") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, const, template (got {given or 'none'})")
        if self.template is not None:
            _template_fields(self.template)
        return self

    def columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        return _template_fields(self.template) if self.template is not None else []


_VALUE_KEYS = set(Value.model_fields)


def _shape_tag(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, dict) and not (set(data) & _VALUE_KEYS):
        return "object"
    return "value"


#: an ILMD / extension value: a Value, or lists and objects (``prefix:local`` keys) of them
if TYPE_CHECKING:
    Shape: TypeAlias = Value | list["Shape"] | dict[str, "Shape"]
else:
    Shape = TypeAliasType(
        "Shape",
        Annotated[
            Annotated[Value, Tag("value")]
            | Annotated[list["Shape"], Tag("list")]
            | Annotated[dict[str, "Shape"], Tag("object")],
            Discriminator(_shape_tag),
        ],
    )


class IdSpec(_Model):
    """How a row names a GS1 identifier, always written as a GS1 Digital Link.

    ``code`` holds the GS1 key itself (GTIN / GLN, check digit verified), or an ERP number
    translated by the ``lookup`` table of that name, or (``from_prefix``) an item / location
    reference under ``identifiers.company_prefix``. ``uri`` takes the value as it is.
    """

    scheme: Literal["lgtin", "gtin", "sgln", "pgln", "uri"]
    code: Value
    lookup: str | None = None
    from_prefix: bool = False
    lot: Value | None = None
    extension: Value | None = Field(default=None, description="sgln: the GLN extension (AI 254)")

    @model_validator(mode="after")
    def _consistent(self) -> IdSpec:
        if self.lookup is not None and self.from_prefix:
            raise ValueError("lookup and from_prefix exclude each other")
        if (self.scheme == "lgtin") != (self.lot is not None):
            raise ValueError("lot is required for scheme lgtin and only allowed there")
        if self.extension is not None and self.scheme != "sgln":
            raise ValueError("extension is only allowed for scheme sgln")
        if self.scheme == "uri" and (self.lookup is not None or self.from_prefix):
            raise ValueError("scheme uri takes the value as it is: no lookup, no from_prefix")
        return self


def _filter(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
    return value


#: column -> the values a row must hold there (one value or a list)
RowFilter = Annotated[dict[str, list[str]], BeforeValidator(_filter)]


class QuantitySpec(_Model):
    """One quantity element per row (of the group) that matches ``where``."""

    where: RowFilter = {}
    epc_class: IdSpec
    quantity: Value
    unit: Value


class BizTransactionSpec(_Model):
    type: Value | None = None
    id: Value


class PartySpec(_Model):
    type: Literal["owning_party", "possessing_party", "location"]
    id: IdSpec


class EventSpec(_Model):
    type: Literal["ObjectEvent", "TransactionEvent", "TransformationEvent"]
    action: Value | None = None
    event_time: Value
    biz_step: Value | None = None
    disposition: Value | None = None
    read_point: IdSpec | None = None
    biz_location: IdSpec | None = None
    quantities: list[QuantitySpec] = []
    inputs: list[QuantitySpec] = []
    outputs: list[QuantitySpec] = []
    transformation_id: Value | None = None
    biz_transactions: list[BizTransactionSpec] = []
    sources: list[PartySpec] = []
    destinations: list[PartySpec] = []
    ilmd: dict[str, Shape] = {}
    extensions: dict[str, Shape] = {}

    @model_validator(mode="after")
    def _fits_type(self) -> EventSpec:
        if self.type == "TransformationEvent":
            if self.action is not None or self.quantities:
                raise ValueError("a TransformationEvent has no action and no quantities")
            if not (self.inputs or self.outputs):
                raise ValueError("a TransformationEvent needs inputs or outputs")
        else:
            if self.inputs or self.outputs or self.transformation_id is not None:
                raise ValueError(f"{self.type} has quantities, not inputs / outputs")
            if self.action is None or not self.quantities:
                raise ValueError(f"{self.type} needs an action and quantities")
            if self.action.const is not None and self.action.const not in ACTIONS:
                raise ValueError(f"action {self.action.const!r} is not one of {ACTIONS}")
        if self.ilmd and self.type == "TransactionEvent":
            raise ValueError("ilmd belongs on an ObjectEvent or a TransformationEvent")
        if DOCUMENT_KEY in self.extensions:
            raise ValueError(f"{DOCUMENT_KEY} is set from the kind's document, not extensions")
        return self


class Kind(_Model):
    """One record kind: which rows, how they group into events, and the event they make."""

    files: list[str] = []  # file name patterns (fnmatch) of this kind's exports
    where: RowFilter = {}
    group_by: list[str] = []
    header: RowFilter = Field(
        default={}, description="the row of a group giving event-level fields"
    )
    document: Value | None = Field(default=None, description="ERP document (and line) of the event")
    event: EventSpec

    @model_validator(mode="after")
    def _document_given(self) -> Kind:
        if self.document is None and not self.group_by:
            raise ValueError("document is required unless group_by names the document columns")
        if self.header and not self.group_by:
            raise ValueError("header selects a row of a group: it needs group_by")
        return self


class NumberFormat(_Model):
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'"] | None = None

    @model_validator(mode="after")
    def _distinct(self) -> NumberFormat:
        if self.decimal == self.thousands:
            raise ValueError("decimal and thousands separators must differ")
        return self


class CsvFormat(_Model):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    encoding: str = "utf-8-sig"


class Units(_Model):
    aliases: dict[str, str] = Field(default={}, description="unit as exported -> Rec 20 code")
    convert: dict[Literal["mass", "volume", "count"], str] = Field(
        default={}, description="convert every quantity of a dimension to this Rec 20 code"
    )

    @field_validator("aliases")
    @classmethod
    def _known_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for alias, code in value.items():
            if not _REC20.match(code):
                raise ValueError(f"alias {alias!r}: {code!r} is not a UN/CEFACT Rec 20 code")
        return value

    @model_validator(mode="after")
    def _convertible(self) -> Units:
        for dimension, code in self.convert.items():
            if CODES.get(code, ("", 0))[0] != dimension:
                known = sorted(c for c, (d, _) in CODES.items() if d == dimension)
                raise ValueError(f"convert.{dimension}: {code!r} is not one of {known}")
        return self


class Identifiers(_Model):
    company_prefix: str | None = None
    lookups: dict[str, dict[str, str]] = Field(default={}, description="ERP number -> GTIN / GLN")

    @field_validator("company_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return None if value is None else _gs1.company_prefix(value)


class Mapping(_Model):
    version: Literal[1] = 1
    namespaces: dict[str, str] = {"ot": OT_NAMESPACE}
    timezone: str = Field(default="UTC", description="IANA zone of times written without an offset")
    numbers: NumberFormat = NumberFormat()
    csv: CsvFormat = CsvFormat()
    units: Units = Units()
    identifiers: Identifiers = Identifiers()
    kinds: dict[str, Kind] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Mapping:
        if not (info.context or {}).get("defer_references"):
            problems = reference_problems(self)
            if problems:
                raise ValueError("; ".join(f"{_dotted(loc)}: {msg}" for loc, msg in problems))
        return self


Loc = tuple[str | int, ...]


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def reference_problems(mapping: Mapping) -> list[tuple[Loc, str]]:
    """What refers to something the mapping does not declare: prefixes, lookups, prefix."""
    problems: list[tuple[Loc, str]] = []
    uses: dict[str, set[str]] = {}
    prefixes = {**mapping.namespaces, "cbvmda": CBVMDA_NAMESPACE}
    for name, kind in mapping.kinds.items():
        for section in ("ilmd", "extensions"):
            for key in getattr(kind.event, section):
                if key.split(":", 1)[0] not in prefixes or ":" not in key:
                    problems.append(
                        (
                            ("kinds", name, "event", section, key),
                            f"key {key!r} needs a declared namespace prefix "
                            f"(one of {sorted(prefixes)})",
                        )
                    )
        for loc, spec in _id_specs(kind.event):
            where: Loc = ("kinds", name, "event", *loc)
            if spec.from_prefix and mapping.identifiers.company_prefix is None:
                problems.append((where, "from_prefix needs identifiers.company_prefix"))
            if spec.lookup is None:
                continue
            if spec.lookup not in mapping.identifiers.lookups:
                problems.append(
                    (where, f"lookup {spec.lookup!r} is not a table under identifiers.lookups")
                )
            else:
                uses.setdefault(spec.lookup, set()).add(spec.scheme)
    for table, schemes in uses.items():
        check = _gs1.gtin14 if schemes & {"lgtin", "gtin"} else _gs1.gln
        for code, key in mapping.identifiers.lookups[table].items():
            try:
                check(key)
            except ValueError as exc:
                problems.append((("identifiers", "lookups", table, code), str(exc)))
    return problems


def _id_specs(event: EventSpec) -> list[tuple[Loc, IdSpec]]:
    specs: list[tuple[Loc, IdSpec]] = []
    for field in ("read_point", "biz_location"):
        spec = getattr(event, field)
        if spec is not None:
            specs.append(((field,), spec))
    for field in ("quantities", "inputs", "outputs"):
        for i, quantity in enumerate(getattr(event, field)):
            specs.append(((field, i, "epc_class"), quantity.epc_class))
    for field in ("sources", "destinations"):
        for i, party in enumerate(getattr(event, field)):
            specs.append(((field, i, "id"), party.id))
    return specs
