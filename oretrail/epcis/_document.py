"""What the EPCIS document parsers yield, whatever the input form (JSON-LD, XML 2.0, XML 1.2).

Every parser turns its input into events in the EPCIS 2.0 JSON-LD shape (the form of the
official JSON examples), so validation, normalisation, hashing and mapping to Avro are
written once. Extension fields and ILMD keep their namespace as ``prefix:local`` keys, and
``namespaces`` says what each prefix means, so nothing of the input's meaning is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class EpcisParseError(ValueError):
    """The document (or the rest of it, from ``index`` on) cannot be read at all."""

    stage = "parse"

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True, slots=True)
class DocumentEvent:
    """One event of a document, in EPCIS 2.0 JSON-LD form.

    ``event`` has the JSON-LD keys (``type``, ``eventTime``, ``epcList``, ``readPoint`` as
    ``{"id": ...}``, ``ilmd`` ...); extension keys are ``prefix:local``. ``namespaces`` maps
    every prefix the event may use to its namespace URI (from the document's ``@context`` or
    its XML namespace declarations). ``context`` is the document's JSON-LD ``@context`` as
    given (a list of strings and objects), kept so the event can be written back out.
    ``index`` is the 0-based position of the event in the document.
    """

    event: dict[str, Any]
    index: int
    namespaces: dict[str, str] = field(default_factory=dict)
    context: list[Any] = field(default_factory=list)
    schema_version: str = "2.0"


@dataclass(frozen=True, slots=True)
class InvalidEvent:
    """An event the parser could read but not accept (wrong structure, unknown element...).

    It is dead-lettered with ``message``; ``payload`` is the event's original text so it can
    be repaired and replayed. The rest of the document goes on.
    """

    index: int
    message: str
    payload: bytes = b""
