"""User extensions and ILMD: XML elements in other namespaces, kept losslessly as JSON.

Representation (the JSON-LD binding's ``prefix:local`` keys, plus xmltodict conventions for
what JSON-LD has no place for):

* key: ``prefix:local``, the prefix as the document declares it; a namespace bound to no
  prefix (a default namespace) gets an invented one, ``ns1``, ``ns2``...; an element in no
  namespace inside an extension value keeps its bare local name.
* text-only element without attributes: its text, stripped of surrounding whitespace
  (indentation is layout, not data), e.g. ``"ext1:lot": "ABC123"``.
* element with children: an object of its children; a child name that repeats becomes a
  list in document order, e.g. ``"ext1:array": ["12", "22"]``.
* attributes: ``"@name"`` (or ``"@prefix:local"``) keys in that object; the element's own
  text, if any, goes under ``"#text"``, e.g.
  ``"cbvmda:netWeight": {"@measurementUnitCode": "KGM", "#text": "3.5"}``.
* ``xsi:type`` is a schema hint, not data, and is left out (the GS1 JSON examples drop it);
  ``xsi:nil="true"`` on an empty element gives ``null``.
"""

from __future__ import annotations

import functools
from typing import Any

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI}}}type"
_XSI_NIL = f"{{{XSI}}}nil"


EPCIS_NAMESPACES = frozenset(("urn:epcglobal:epcis:xsd:2", "urn:epcglobal:epcis:xsd:1"))


@functools.lru_cache(maxsize=4096)
def split(tag: str) -> tuple[str | None, str]:
    """(namespace URI or None, local name) of a Clark-notation tag."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return None, tag


@functools.lru_cache(maxsize=4096)
def standard(tag: str) -> tuple[str | None, str]:
    """Like split, with the EPCIS namespace read as no namespace.

    The XSDs put the standard's elements in no namespace; some writers qualify them with the
    EPCIS namespace (``<epcis:eventTime>``). Both mean the same element, so both are read.
    """
    uri, local = split(tag)
    return (None if uri in EPCIS_NAMESPACES else uri), local


class Prefixes:
    """The prefixes one event's keys use, each bound to exactly one namespace URI.

    The document's own prefix is kept unless this event already uses it for another URI
    (XML lets the same prefix mean different things in different places; a JSON-LD context
    cannot), in which case the URI gets an invented ``nsN`` prefix.
    """

    def __init__(self) -> None:
        self.used: dict[str, str] = {}
        self._by_uri: dict[str, str] = {}

    def prefix(self, uri: str, element: etree._Element, declared: str | None) -> str:
        known = self._by_uri.get(uri)
        if known is not None:
            return known
        chosen = declared
        if chosen is None or chosen in self.used:
            # An invented prefix also avoids the prefixes declared around the element, so
            # the document's own ones stay free for the elements that use them.
            in_scope = element.nsmap
            n = 1
            while f"ns{n}" in self.used or f"ns{n}" in in_scope:
                n += 1
            chosen = f"ns{n}"
        self.used[chosen] = uri
        self._by_uri[uri] = chosen
        return chosen

    def key(self, element: etree._Element) -> str:
        uri, local = split(element.tag)
        if uri is None:
            return local
        return f"{self.prefix(uri, element, element.prefix)}:{local}"

    def attribute_key(self, name: str, element: etree._Element) -> str:
        uri, local = split(name)
        if uri is None:
            return local
        declared = next((p for p, u in element.nsmap.items() if u == uri and p), None)
        return f"{self.prefix(uri, element, declared)}:{local}"


def add(target: dict[str, Any], key: str, item: Any) -> None:
    """Set ``key``; a key that repeats collects its values in a list (values are never lists)."""
    if key not in target:
        target[key] = item
    elif isinstance(target[key], list):
        target[key].append(item)
    else:
        target[key] = [target[key], item]


def attributes(element: etree._Element) -> list[tuple[str, str]]:
    """The element's attributes as (Clark name, value); lxml gives str for both."""
    return [(str(name), str(text)) for name, text in element.attrib.items()]


def value(element: etree._Element, prefixes: Prefixes) -> Any:
    """The JSON value of one extension element (see the module docstring)."""
    attrs = {
        "@" + prefixes.attribute_key(name, element): text
        for name, text in attributes(element)
        if name not in (_XSI_TYPE, _XSI_NIL)
    }
    children = [child for child in element if isinstance(child.tag, str)]
    text = "".join(_texts(element)).strip()
    if not children and not attrs:
        if not text and element.get(_XSI_NIL) in ("true", "1"):
            return None
        return text
    result: dict[str, Any] = dict(attrs)
    for child in children:
        add(result, prefixes.key(child), value(child, prefixes))
    if text:
        result["#text"] = text
    return result


def _texts(element: etree._Element) -> list[str]:
    parts = [element.text or ""]
    parts.extend(child.tail or "" for child in element)
    return parts
