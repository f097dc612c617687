"""The GS1 Digital Link resolver (ISO/IEC 18975): the link on a product answered with its
passport, an RFC 9264 linkset of its credentials, or one link type; plus the QR code of
that link.

Pure parts: ``_ids`` (which lot or item a path names), ``_linkset`` (link types, selection,
linksets), ``_problems`` (problem+json), ``_qr``. I/O: ``_lookup`` (store reads), ``_app``
(the aiohttp application, :func:`create_resolver`).
"""

from sink.resolver._app import create_resolver
from sink.resolver._ids import MalformedIdError, ProductIdError, ProductRef, from_path, from_text
from sink.resolver._qr import qr_code

__all__ = [
    "MalformedIdError",
    "ProductIdError",
    "ProductRef",
    "create_resolver",
    "from_path",
    "from_text",
    "qr_code",
]
