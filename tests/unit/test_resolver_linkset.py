"""linkType selection, Accept negotiation, RFC 9264 linksets and problem bodies
(sink.resolver._linkset, sink.resolver._problems)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.resolver._linkset import (
    DEFAULT_LINK,
    DFR,
    DPP,
    DTE,
    LINKSET_JSON,
    Selection,
    Target,
    UnknownLinkTypeError,
    compact,
    expand,
    first,
    link_header,
    linkset,
    prefers_linkset,
    select,
)
from sink.resolver._problems import KINDS, problem

ANCHOR = "http://127.0.0.1:8780/01/09520123456788/10/LOT1"


@pytest.mark.parametrize(
    ("link_type", "accept", "expected"),
    [
        (None, None, Selection("default")),
        ("", "*/*", Selection("default")),
        (None, "text/html,application/xhtml+xml,*/*;q=0.8", Selection("default")),
        (None, LINKSET_JSON, Selection("linkset")),
        ("linkset", None, Selection("linkset")),
        ("all", "text/html", Selection("linkset")),  # GS1's older name for the linkset
        ("gs1:defaultLink", LINKSET_JSON, Selection("default")),
        (DEFAULT_LINK, None, Selection("default")),
        ("untp:dpp", None, Selection("one", DPP)),
        ("untp:dte", LINKSET_JSON, Selection("one", DTE)),  # an explicit linkType wins
        ("untp:dfr", None, Selection("one", DFR)),
        (DTE, None, Selection("one", DTE)),  # the full relation type URI
    ],
)
def test_select(link_type: str | None, accept: str | None, expected: Selection) -> None:
    assert select(link_type, accept) == expected


@pytest.mark.parametrize(
    "link_type", ["untp:DPP", "untp:dcc", "gs1:pip", "dpp", "LINKSET", "https://x.example/dpp"]
)
def test_unknown_link_types(link_type: str) -> None:
    with pytest.raises(UnknownLinkTypeError, match="untp:dpp, untp:dte, untp:dfr"):
        select(link_type, None)


@pytest.mark.parametrize(
    ("accept", "linkset_wanted"),
    [
        (LINKSET_JSON, True),
        ("Application/Linkset+JSON", True),
        (f"{LINKSET_JSON}, application/json;q=0.5", True),
        (f"application/json;q=0.5, {LINKSET_JSON};q=0.5", True),
        (f"application/vc+jwt, {LINKSET_JSON};q=0.5", False),
        (f"{LINKSET_JSON};q=0", False),
        (f"{LINKSET_JSON};q=oops", False),
        (f"*/*, {LINKSET_JSON};q=0.1", True),  # wildcards rank nothing
        ("application/*", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_prefers_linkset(accept: str | None, linkset_wanted: bool) -> None:
    assert prefers_linkset(accept) is linkset_wanted


@given(st.text())
def test_any_accept_header_is_answered(accept: str) -> None:
    assert prefers_linkset(accept) in (True, False)


@pytest.mark.parametrize(("short", "full"), [("untp:dpp", DPP), ("gs1:defaultLink", DEFAULT_LINK)])
def test_compact_and_expand(short: str, full: str) -> None:
    assert expand(short) == full
    assert compact(full) == short
    assert expand(full) == full


def test_linkset_lists_relation_types_with_their_targets_in_order() -> None:
    v2 = Target("http://r/credentials/" + "b" * 64, "Passport v2", rel=("latest-version",))
    v1 = Target("http://r/credentials/" + "a" * 64, "Passport v1", rel=("predecessor-version",))
    dte = Target("http://r/credentials/" + "c" * 64, "Events")
    links = {DTE: [dte], DPP: [v2, v1], DFR: [], DEFAULT_LINK: [v2]}
    document = linkset(ANCHOR, links, description="lot LOT1")
    (context,) = document["linkset"]
    assert list(context) == ["anchor", "description", DEFAULT_LINK, DPP, DTE]  # DFR empty
    assert context["anchor"] == ANCHOR
    assert context[DPP] == [
        {"href": v2.href, "title": "Passport v2", "type": "application/vc+jwt",
         "rel": ["latest-version"]},
        {"href": v1.href, "title": "Passport v1", "type": "application/vc+jwt",
         "rel": ["predecessor-version"]},
    ]  # fmt: skip
    assert context[DTE] == [{"href": dte.href, "title": "Events", "type": "application/vc+jwt"}]
    assert json.loads(json.dumps(document)) == document
    assert first(links, DPP) == v2
    assert first(links, DFR) is None
    assert first(links, "https://x.example/other") is None


def test_link_header_points_at_the_linkset() -> None:
    assert link_header(ANCHOR) == (
        f'<{ANCHOR}?linkType=linkset>; rel="linkset"; type="application/linkset+json"'
    )


@pytest.mark.parametrize("name", sorted(KINDS))
def test_problem_bodies(name: str) -> None:
    body = problem("http://r:1/", name, "why it failed")
    assert body == {
        "type": f"http://r:1/problems/{name}",
        "title": KINDS[name].title,
        "status": KINDS[name].status,
        "detail": "why it failed",
    }
    assert 400 <= body["status"] < 600
