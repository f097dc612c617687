"""Link types, the ``linkType`` selection and RFC 9264 linksets: what the resolver answers
for a product, decided without any I/O.

Link relation types are the UNTP ones (``https://test.uncefact.org/vocabulary/linkTypes/``
``dpp``, ``dte``, ``dfr``, the URIs UNTP 0.6 credentials use in their ``linkType``), written
``untp:dpp`` in a query the way GS1 resolvers accept ``gs1:`` compact link types. GS1
conventions kept: ``linkType=linkset`` (and ``all``, its older name) or an ``Accept`` that
prefers ``application/linkset+json`` asks for the linkset, no ``linkType`` (or
``gs1:defaultLink``) asks for the default link, and every answer carries a ``Link`` header
pointing at the linkset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

LINKSET_JSON = "application/linkset+json"
VC_JWT = "application/vc+jwt"

UNTP_LINK_TYPES = "https://test.uncefact.org/vocabulary/linkTypes/"
DPP = UNTP_LINK_TYPES + "dpp"
DTE = UNTP_LINK_TYPES + "dte"
DFR = UNTP_LINK_TYPES + "dfr"
GS1_VOC = "https://ref.gs1.org/voc/"
DEFAULT_LINK = GS1_VOC + "defaultLink"

# compact prefixes a client may use in ?linkType= (CURIE style, as GS1 resolvers do)
_PREFIXES = {"untp:": UNTP_LINK_TYPES, "gs1:": GS1_VOC}
# the relation types this resolver answers, in the order a linkset lists them
LINK_TYPES = (DEFAULT_LINK, DPP, DTE, DFR)
_LINKSET_WORDS = ("linkset", "all")


class UnknownLinkTypeError(ValueError):
    """A ``linkType`` this resolver never serves (not merely one a product has no link of)."""


@dataclass(frozen=True)
class Selection:
    """What a request asks for: the default link, the whole linkset, or one link type."""

    kind: Literal["default", "linkset", "one"]
    link_type: str | None = None


@dataclass(frozen=True)
class Target:
    """One link target of a linkset (RFC 9264 target attributes the UNTP linkset schema
    allows: ``href``, ``title``, ``type``, and ``rel`` for version relations)."""

    href: str
    title: str
    type: str = VC_JWT
    rel: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"href": self.href, "title": self.title, "type": self.type}
        if self.rel:
            out["rel"] = list(self.rel)
        return out


def expand(link_type: str) -> str:
    """The link relation type URI of a compact ``untp:dpp`` / ``gs1:defaultLink`` form."""
    for prefix, namespace in _PREFIXES.items():
        if link_type.startswith(prefix):
            return namespace + link_type[len(prefix) :]
    return link_type


def compact(link_type: str) -> str:
    """``untp:dpp`` for the UNTP DPP link type URI (the form shown to people)."""
    for prefix, namespace in _PREFIXES.items():
        if link_type.startswith(namespace):
            return prefix + link_type[len(namespace) :]
    return link_type


def select(link_type: str | None, accept: str | None) -> Selection:
    """What a request with this ``linkType`` query value and ``Accept`` header asks for.

    UnknownLinkTypeError for a link type outside :data:`LINK_TYPES` (link types are case
    sensitive, as in the GS1 web vocabulary).
    """
    if link_type is None or link_type == "":
        return Selection("linkset") if prefers_linkset(accept) else Selection("default")
    if link_type in _LINKSET_WORDS:
        return Selection("linkset")
    full = expand(link_type)
    if full == DEFAULT_LINK:
        return Selection("default")
    if full not in LINK_TYPES:
        known = ", ".join(["linkset", "all", *(compact(t) for t in LINK_TYPES)])
        raise UnknownLinkTypeError(f"linkType {link_type!r} is not one of {known}")
    return Selection("one", full)


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip():
            ranges.append((media.strip().lower(), quality))
    return ranges


def prefers_linkset(accept: str | None) -> bool:
    """Whether ``Accept`` names ``application/linkset+json`` and ranks nothing else named
    above it; wildcards do not count, so a browser (``*/*``) gets the redirect."""
    if not accept:
        return False
    ranges = _media_ranges(accept)
    wanted = max((q for m, q in ranges if m == LINKSET_JSON), default=0.0)
    others = max((q for m, q in ranges if m != LINKSET_JSON and "*" not in m), default=0.0)
    return wanted > 0 and wanted >= others


def linkset_url(anchor: str) -> str:
    return f"{anchor}?linkType=linkset"


def link_header(anchor: str) -> str:
    """The RFC 8288 ``Link`` header every product answer carries: where its linkset is."""
    return f'<{linkset_url(anchor)}>; rel="linkset"; type="{LINKSET_JSON}"'


def linkset(
    anchor: str, links: Mapping[str, Sequence[Target]], description: str | None = None
) -> dict[str, Any]:
    """The RFC 9264 JSON linkset of one anchor: one member per link relation type that has
    targets (in :data:`LINK_TYPES` order, then any other), each an array of targets."""
    context: dict[str, Any] = {"anchor": anchor}
    if description:
        context["description"] = description
    order = [t for t in LINK_TYPES if t in links] + sorted(set(links) - set(LINK_TYPES))
    for relation in order:
        if links[relation]:
            context[relation] = [target.as_json() for target in links[relation]]
    return {"linkset": [context]}


def first(links: Mapping[str, Sequence[Target]], link_type: str) -> Target | None:
    """The target a request for one link type is redirected to: the first listed."""
    targets = links.get(link_type, ())
    return targets[0] if targets else None
