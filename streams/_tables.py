"""The fact set kept in faust tables, read through :class:`streams.model.FactsView`.

Two tables hold every fact (plain ``MutableMapping[str, Any]`` here, so the logic is tested
with dicts and runs unchanged over faust's RocksDB-backed tables):

- ``facts``: ``lot\\x00<lot>`` -> LotFacts, ``tx\\x00<event id>`` -> Transformation,
  ``agg\\x00<event id>`` -> Aggregation, as JSON;
- ``index``: ``<relation>\\x00<key>`` -> sorted event ids, for the relations the ledger walks
  (produced_by, consumed_by, aggregations_of, parents_of, at_site per day).

Every write is a merge (``merge_lot``, a sorted set union, or storing a value that is a
pure function of its event), so applying the same event twice or events in another order
leaves the same tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, TypeVar

from streams.model import (
    DEFAULT_CHAIN_OF_CUSTODY,
    Aggregation,
    ChainOfCustody,
    LotFacts,
    RecycledShare,
    Take,
    Transformation,
)

Table = MutableMapping[str, Any]
MergeLot = Callable[[LotFacts, LotFacts], LotFacts]


# --- JSON form of the facts (table values and the internal facts topic) ---------------------


def lot_to_json(f: LotFacts) -> dict[str, Any]:
    return {
        "lot": f.lot,
        "massKg": f.mass_kg,
        "elementContent": dict(f.element_content),
        "recycled": {e: [r.pre_consumer, r.post_consumer] for e, r in sorted(f.recycled.items())},
        "countryOfOrigin": f.country_of_origin,
        "carbonKgPerKg": f.carbon_kg_per_kg,
        "carbonStage": f.carbon_stage,
        "certificates": list(f.certificates),
        "flags": list(f.flags),
        "sourceEvents": list(f.source_events),
        "site": f.site,
        "provenance": dict(f.provenance),
    }


def lot_from_json(d: Mapping[str, Any]) -> LotFacts:
    return LotFacts(
        lot=d["lot"],
        mass_kg=d["massKg"],
        element_content=dict(d["elementContent"]),
        recycled={e: RecycledShare(p[0], p[1]) for e, p in d["recycled"].items()},
        country_of_origin=d["countryOfOrigin"],
        carbon_kg_per_kg=d["carbonKgPerKg"],
        carbon_stage=d["carbonStage"],
        certificates=tuple(d["certificates"]),
        flags=tuple(d["flags"]),
        source_events=tuple(d["sourceEvents"]),
        site=d["site"],
        provenance=dict(d["provenance"]),
    )


def _takes(takes: Iterable[Take]) -> list[list[Any]]:
    # an object taken whole has kg = inf (streams.facts.WHOLE), which JSON cannot write
    return [[t.lot, "whole" if math.isinf(t.kg) else t.kg] for t in takes]


def _takes_from(raw: Iterable[list[Any]]) -> tuple[Take, ...]:
    return tuple(Take(str(lot), math.inf if kg == "whole" else float(kg)) for lot, kg in raw)


def transformation_to_json(t: Transformation) -> dict[str, Any]:
    return {
        "eventID": t.event_id,
        "time": t.time_us,
        "site": t.site,
        "inputs": _takes(t.inputs),
        "outputs": _takes(t.outputs),
        "chainOfCustody": t.chain_of_custody,
        "processEmissionsKg": t.process_emissions_kg,
        "processEmissionsStage": t.process_emissions_stage,
    }


def transformation_from_json(d: Mapping[str, Any]) -> Transformation:
    chain: ChainOfCustody = d.get("chainOfCustody") or DEFAULT_CHAIN_OF_CUSTODY
    return Transformation(
        event_id=d["eventID"],
        time_us=int(d["time"]),
        site=d["site"],
        inputs=_takes_from(d["inputs"]),
        outputs=_takes_from(d["outputs"]),
        chain_of_custody=chain,
        process_emissions_kg=float(d["processEmissionsKg"]),
        process_emissions_stage=d["processEmissionsStage"],
    )


def aggregation_to_json(a: Aggregation) -> dict[str, Any]:
    return {
        "eventID": a.event_id,
        "time": a.time_us,
        "parent": a.parent,
        "children": _takes(a.children),
        "action": a.action,
    }


def aggregation_from_json(d: Mapping[str, Any]) -> Aggregation:
    return Aggregation(
        event_id=d["eventID"],
        time_us=int(d["time"]),
        parent=d["parent"],
        children=_takes_from(d["children"]),
        action="DELETE" if d["action"] == "DELETE" else "ADD",
    )


# --- the tables -------------------------------------------------------------------------------


def _key(kind: str, key: str) -> str:
    return f"{kind}\x00{key}"


# A site's mass-balance transformations (the only ones that share a pool) are indexed per
# UTC day, so recording one more at a busy site rewrites one day's list, not the site's
# whole history. Other transformations are not indexed by site at all: the benchmark's one
# busy site made that list ~20 KB of the ~21 KB each event wrote.
_DAY_US = 86_400 * 1_000_000


E = TypeVar("E", Transformation, Aggregation)


def _keep(old: E | None, new: E) -> E:
    return new if old is None or repr(new) > repr(old) else old


def _site_day(site: str, time_us: int) -> str:
    return f"{site}\x00{time_us // _DAY_US}"


class TableFacts:
    """Writes facts into the two tables and reads them back as a FactsView.

    Beyond the FactsView protocol it answers the downstream relations (``consumed_by``,
    ``parents_of``) so the processors can find every lot a new fact reaches.
    """

    def __init__(self, facts: Table, index: Table, merge_lot: MergeLot) -> None:
        self._facts = facts
        self._index = index
        self._merge_lot = merge_lot
        # read-through caches, only inside ``cached()`` (see there)
        self._raw: dict[tuple[int, str], Any] | None = None
        self._decoded: dict[tuple[str, str], Any] = {}

    @contextmanager
    def cached(self) -> Iterator[None]:
        """Remember what is read (raw values and decoded facts) until the block ends.

        A faust table read is a RocksDB get and a JSON decode, and applying one event or
        tracing a batch of lots reads the same keys dozens of times. Within the block every
        write goes through this object (the raw cache is written through; decoded facts are
        dropped on any write), so the cache never disagrees with the tables; outside it
        (e.g. after a rebalance restored the tables from their changelogs) nothing is kept.
        """
        self._raw, self._decoded = {}, {}
        try:
            yield
        finally:
            self._raw, self._decoded = None, {}

    def _get(self, table: Table, key: str) -> Any:
        raw = self._raw
        if raw is None:
            return table.get(key)
        slot = (id(table), key)
        if slot in raw:
            return raw[slot]
        value = raw[slot] = table.get(key)
        return value

    def _set(self, table: Table, key: str, value: Any) -> None:
        table[key] = value
        if self._raw is not None:
            self._raw[(id(table), key)] = value
            self._decoded.clear()

    # writing

    # ``force`` writes a value even when the table already holds it: faust writes RocksDB
    # before the changelog record is acknowledged, so after a crash the local table may hold
    # what the changelog lost; re-sending it on redelivery keeps a fresh recovery complete.

    def _put(self, table: Table, key: str, value: Any, force: bool) -> None:
        if force or self._get(table, key) != value:
            self._set(table, key, value)

    def _link(self, relation: str, key: str, event_id: str, force: bool) -> None:
        ids: list[str] = list(self._get(self._index, _key(relation, key)) or [])
        self._put(self._index, _key(relation, key), sorted({*ids, event_id}), force)

    def add_lot(self, facts: LotFacts, force: bool = False) -> None:
        old = self.lot(facts.lot)
        merged = facts if old is None else self._merge_lot(old, facts)
        self._put(self._facts, _key("lot", facts.lot), lot_to_json(merged), force)

    def _unlink(self, relation: str, key: str, event_id: str) -> None:
        ids: list[str] = list(self._get(self._index, _key(relation, key)) or [])
        if event_id in ids:
            self._set(self._index, _key(relation, key), [i for i in ids if i != event_id])

    def _tx_links(self, t: Transformation) -> list[tuple[str, str]]:
        links = [("produced_by", take.lot) for take in t.outputs]
        links += [("consumed_by", take.lot) for take in t.inputs]
        if t.site is not None and t.chain_of_custody == "mass_balance":
            links.append(("at_site", _site_day(t.site, t.time_us)))
        return links

    def _agg_links(self, a: Aggregation) -> list[tuple[str, str]]:
        return [("aggregations_of", a.parent), *(("parents_of", c.lot) for c in a.children)]

    def add_transformation(self, t: Transformation, force: bool = False) -> None:
        old_raw = self._get(self._facts, _key("tx", t.event_id))
        old = None if old_raw is None else transformation_from_json(old_raw)
        # two different events under one id: keep the larger, as MemoryFacts does, so the
        # order they arrive in still does not matter
        kept = _keep(old, t)
        if old is not None and kept != old:
            for relation, key in self._tx_links(old):
                self._unlink(relation, key, old.event_id)
        self._put(self._facts, _key("tx", t.event_id), transformation_to_json(kept), force)
        for relation, key in self._tx_links(kept):
            self._link(relation, key, kept.event_id, force)
        if kept.site is not None and kept.chain_of_custody == "mass_balance":
            # the days a site has transformations on, so at_site never scans empty days
            days: list[int] = list(self._get(self._index, _key("site_days", kept.site)) or [])
            day = kept.time_us // _DAY_US
            self._put(self._index, _key("site_days", kept.site), sorted({*days, day}), force)

    def add_aggregation(self, a: Aggregation, force: bool = False) -> None:
        old_raw = self._get(self._facts, _key("agg", a.event_id))
        old = None if old_raw is None else aggregation_from_json(old_raw)
        kept = _keep(old, a)
        if old is not None and kept != old:
            for relation, key in self._agg_links(old):
                self._unlink(relation, key, old.event_id)
        self._put(self._facts, _key("agg", a.event_id), aggregation_to_json(kept), force)
        for relation, key in self._agg_links(kept):
            self._link(relation, key, kept.event_id, force)

    # reading (FactsView)

    def lot(self, lot: str) -> LotFacts | None:
        slot = ("lot", lot)
        if self._raw is not None and slot in self._decoded:
            found: LotFacts | None = self._decoded[slot]
            return found
        raw = self._get(self._facts, _key("lot", lot))
        facts = None if raw is None else lot_from_json(raw)
        if self._raw is not None:
            self._decoded[slot] = facts
        return facts

    def _transformations(self, relation: str, key: str) -> list[Transformation]:
        slot = (relation, key)
        if self._raw is not None and slot in self._decoded:
            return list(self._decoded[slot])
        ids = self._get(self._index, _key(relation, key)) or []
        found = [self._get(self._facts, _key("tx", i)) for i in ids]
        txs = [transformation_from_json(raw) for raw in found if raw is not None]
        result = sorted(txs, key=lambda t: (t.time_us, t.event_id))
        if self._raw is not None:
            self._decoded[slot] = tuple(result)
        return result

    def _aggregations(self, relation: str, key: str) -> list[Aggregation]:
        ids = self._get(self._index, _key(relation, key)) or []
        found = [self._get(self._facts, _key("agg", i)) for i in ids]
        aggs = [aggregation_from_json(raw) for raw in found if raw is not None]
        return sorted(aggs, key=lambda a: (a.time_us, a.event_id))

    def produced_by(self, lot: str) -> list[Transformation]:
        return self._transformations("produced_by", lot)

    def consumed_by(self, lot: str) -> list[Transformation]:
        return self._transformations("consumed_by", lot)

    def aggregations_of(self, parent: str) -> list[Aggregation]:
        return self._aggregations("aggregations_of", parent)

    def parents_of(self, child: str) -> list[Aggregation]:
        return self._aggregations("parents_of", child)

    def at_site(self, site: str, start_us: int, end_us: int) -> list[Transformation]:
        found: list[Transformation] = []
        first, last = start_us // _DAY_US, (end_us - 1) // _DAY_US
        for day in self._get(self._index, _key("site_days", site)) or []:
            if first <= int(day) <= last:
                found += self._transformations("at_site", _site_day(site, int(day) * _DAY_US))
        txs = [t for t in found if start_us <= t.time_us < end_us]
        return sorted(txs, key=lambda t: (t.time_us, t.event_id))
