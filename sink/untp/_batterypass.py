"""The EU Battery Regulation Annex XIII figures of a passport, with the attribute names of the
Battery Pass consortium data model v1.2 (DIN DKE SPEC 99100), and the same figures as UNTP
claims for the passport of a battery (an item: cell, module or pack).

What the pipeline knows: recycled content per element split pre-/post-consumer
(``Circularity.recycledContent``, Annex XIII(1e), shares in percent as the model's 0..100
traits ask) and the carbon footprint in kg CO2e, absolute (``absoluteCarbonFootprint``) and
per life-cycle stage (``carbonFootprintPerLifecycleStage``; see ``sink.untp._carbon`` for the
split). The per-kWh ``batteryCarbonFootprint`` needs the battery's lifetime energy
throughput, which no event carries, so it is left out rather than guessed; so are the stages
no event covers (distribution, end of life).

UNTP 0.6.1 has no JSON-LD term for product ``characteristics`` (an extension there would be
dropped by every JSON-LD processor), so inside the DPP the figures are ``conformityClaim``
entries referring to the regulation, one ``declaredValue`` metric per attribute, the metric
named by its Battery Pass attribute path.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sink.untp._carbon import carbon_split
from sink.untp._common import fragment, number
from sink.untp._materials import elements, obj, real

#: Annex XIII(1e) / Art. 8: the recycled-content elements, as the model's enumeration names them
RECYCLED_MATERIALS: Mapping[str, str] = {
    "Co": "Cobalt",
    "Li": "Lithium",
    "Ni": "Nickel",
    "Pb": "Lead",
}

BATTERY_REGULATION = {
    "type": ["Regulation"],
    "id": "https://eur-lex.europa.eu/eli/reg/2023/1542/oj",
    "name": "Regulation (EU) 2023/1542 concerning batteries and waste batteries, Annex XIII",
    "administeredBy": {"id": "https://commission.europa.eu/", "name": "European Commission"},
    "effectiveDate": "2023-08-17",
}
PERCENT = "P1"  # UN/CEFACT Rec 20
KILOGRAM = "KGM"


def recycled_content(passport: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``Circularity.recycledContent``: Co, Li, Ni, Pb present in the passport, in percent."""
    found = dict(elements(passport))
    out = []
    for symbol, material in RECYCLED_MATERIALS.items():
        led = found.get(symbol)
        if led is None or real(led, "massKg", f"passport.elements.{symbol}") <= 0:
            continue
        where = f"passport.elements.{symbol}.recycledShare"
        shares = obj(led.get("recycledShare", {}), where)
        pre = real(shares, "preConsumer", where) if shares else 0.0
        post = real(shares, "postConsumer", where) if shares else 0.0
        out.append(
            {
                "recycledMaterial": material,
                "preConsumerShare": number(pre * 100),
                "postConsumerShare": number(post * 100),
            }
        )
    return out


def battery_pass(passport: Mapping[str, Any]) -> dict[str, Any]:
    """The passport's Annex XIII figures by Battery Pass v1.2 aspect and attribute name."""
    out: dict[str, Any] = {"Circularity": {"recycledContent": recycled_content(passport)}}
    split = carbon_split(passport)
    if split.total_kg > 0:
        out["CarbonFootprintForBatteries"] = {
            "absoluteCarbonFootprint": split.total_kg,
            "carbonFootprintPerLifecycleStage": [
                {"lifecycleStage": stage, "carbonFootprint": kg}
                for stage, kg in split.by_stage().items()
            ],
        }
    return out


def figures_sound(passport: Mapping[str, Any]) -> bool:
    """Complete figures that passed the ledger's checks on this lot and upstream of it."""
    flags = passport.get("flags") or []
    return (
        passport.get("complete") is True
        and not passport.get("alerts")
        and not any(str(f).startswith("alert:") for f in flags)
    )


def _metric(name: str, value: float, unit: str) -> dict[str, Any]:
    return {"metricName": name, "metricValue": {"value": value, "unit": unit}}


_CONFORMANCE = (
    " Conformance means the figures are complete and passed oretrail's ledger checks (mass "
    "balance, recycled claims, origin); it is no assessment against a regulatory threshold."
)


def battery_claims(passport: Mapping[str, Any], product_id: str) -> list[dict[str, Any]]:
    """The Annex XIII figures as UNTP claims (see the module docstring)."""
    pass_ = battery_pass(passport)
    sound = figures_sound(passport)
    metrics = []
    for entry in pass_["Circularity"]["recycledContent"]:
        for share in ("preConsumerShare", "postConsumerShare"):
            name = f"Circularity.recycledContent[{entry['recycledMaterial']}].{share}"
            metrics.append(_metric(name, entry[share], PERCENT))
    claims = [
        {
            "type": ["Claim", "Declaration"],
            "id": fragment(product_id, "annex-xiii-recycled-content"),
            "description": "EU Battery Regulation Annex XIII(1e): share of cobalt, lithium, "
            "nickel and lead in the battery recovered from pre-consumer and post-consumer "
            "waste, in percent of each element's mass (Battery Pass data model v1.2, "
            "Circularity.recycledContent)." + _CONFORMANCE,
            "referenceRegulation": copy.deepcopy(BATTERY_REGULATION),
            "declaredValue": metrics,
            "conformance": sound,
            "conformityTopic": "circularity.content",
        }
    ]
    carbon = pass_.get("CarbonFootprintForBatteries")
    if carbon is not None:
        absolute = carbon["absoluteCarbonFootprint"]
        values = [
            _metric("CarbonFootprintForBatteries.absoluteCarbonFootprint", absolute, KILOGRAM)
        ]
        for stage in carbon["carbonFootprintPerLifecycleStage"]:
            name = (
                "CarbonFootprintForBatteries.carbonFootprintPerLifecycleStage"
                f"[{stage['lifecycleStage']}].carbonFootprint"
            )
            values.append(_metric(name, stage["carbonFootprint"], KILOGRAM))
        claims.append(
            {
                "type": ["Claim", "Declaration"],
                "id": fragment(product_id, "annex-xiii-carbon-footprint"),
                "description": "EU Battery Regulation Annex XIII(1c): carbon footprint of the "
                "battery in kg CO2e, absolute and per life-cycle stage (Battery Pass data "
                "model v1.2, CarbonFootprintForBatteries); raw material extraction is what the "
                "mined and recycled feed carried in, main production every process emission "
                "after it." + _CONFORMANCE,
                "referenceRegulation": copy.deepcopy(BATTERY_REGULATION),
                "declaredValue": values,
                "conformance": sound,
                "conformityTopic": "environment.emissions",
            }
        )
    return claims
