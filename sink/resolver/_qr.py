"""The QR code printed on a product: its GS1 Digital Link under the resolver's base URL.

A full QR code (never Micro QR, which phone cameras do not read), error correction level M
(segno raises it further when the symbol has room) and the four-module quiet zone ISO/IEC
18004 asks for.
"""

from __future__ import annotations

import io
from typing import Literal

import segno

QrFormat = Literal["png", "svg"]
FORMATS: tuple[QrFormat, ...] = ("png", "svg")
ERROR_LEVEL = "m"
QUIET_ZONE = 4
DEFAULT_SCALE = 10


def qr_symbol(link: str) -> segno.QRCode:
    return segno.make_qr(link, error=ERROR_LEVEL)


def qr_code(link: str, fmt: QrFormat, *, scale: int = DEFAULT_SCALE) -> bytes:
    """The QR code of ``link`` as PNG or SVG bytes, ``scale`` pixels (SVG units) a module."""
    if scale < 1:
        raise ValueError(f"a QR module needs at least 1 pixel, got scale {scale}")
    out = io.BytesIO()
    qr_symbol(link).save(out, kind=fmt, scale=scale, border=QUIET_ZONE)
    return out.getvalue()
