"""``oretrail qr``: the QR code written is the one of the product's link under the public
base URL. No QR decoder is installed, so the image is read back module by module (a small
PNG reader, the SVG path) and compared with segno's matrix of the expected content."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner

from oretrail.cli._resolver import qr
from sink.resolver._qr import DEFAULT_SCALE, QUIET_ZONE, qr_code

BASE = "https://dpp.example.com/r"
LINK = BASE + "/01/09520123456788/10/LOT1"
Matrix = list[list[bool]]


def expected(link: str) -> Matrix:
    """segno's modules of ``link`` with the quiet zone, True = dark."""
    symbol = segno.make_qr(link, error="m")
    assert not symbol.is_micro
    return [[bool(m) for m in row] for row in symbol.matrix_iter(scale=1, border=QUIET_ZONE)]


def _unfilter(rows: bytes, width_bytes: int, height: int) -> list[bytes]:
    """PNG scanline filters (RFC 2083 §6) for images of one byte per pixel or less."""
    out: list[bytes] = []
    prior = bytes(width_bytes)
    at = 0
    for _ in range(height):
        kind, line = rows[at], bytearray(rows[at + 1 : at + 1 + width_bytes])
        at += 1 + width_bytes
        for i in range(width_bytes):
            left = line[i - 1] if i else 0
            up, up_left = prior[i], (prior[i - 1] if i else 0)
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
            else:
                assert kind == 0, f"unknown PNG filter {kind}"
        out.append(bytes(line))
        prior = bytes(line)
    return out


def png_modules(data: bytes, scale: int) -> Matrix:
    """The modules of a 1-bit greyscale PNG (what segno writes in black and white)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    idat = b""
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        assert (
            zlib.crc32(kind + body) == struct.unpack(">I", data[at + 8 + size : at + 12 + size])[0]
        )
        chunks[kind] = body
        idat += body if kind == b"IDAT" else b""
        at += 12 + size
    assert b"IEND" in chunks
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (1, 0, 0), "segno's black-and-white PNG"
    lines = _unfilter(zlib.decompress(idat), (width + 7) // 8, height)
    assert width % scale == 0
    assert height % scale == 0
    centre = scale // 2

    def dark(x: int, y: int) -> bool:
        byte = lines[y][x // 8]
        return not (byte >> (7 - x % 8)) & 1  # 0 = black

    return [
        [dark(col * scale + centre, row * scale + centre) for col in range(width // scale)]
        for row in range(height // scale)
    ]


def svg_modules(data: bytes) -> Matrix:
    """The modules segno's SVG path draws: one horizontal stroke per run of dark modules,
    ``M``/``m`` moving the pen to the middle of a row, ``h`` drawing."""
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    (path,) = root.iter("{http://www.w3.org/2000/svg}path")
    scale = float(re.fullmatch(r"scale\((\d+)\)", path.get("transform", "scale(1)")).group(1))
    size = int(float(root.get("width", "0")) / scale)
    assert int(float(root.get("height", "0")) / scale) == size
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([-\d. ]+)", path.get("d", "")):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            assert command == "h"
            assert numbers[0] > 0
            for col in range(int(x), int(x + numbers[0])):
                grid[int(y)][col] = True
            x += numbers[0]
    return grid


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("ORETRAIL_SINK_PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("ORETRAIL_HOME", str(tmp_path / "home"))
    return CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["https://id.gs1.org/01/09520123456788/10/LOT1"],
        ["9520123456788", "--lot", "LOT1"],
        ["urn:epc:class:lgtin:952012.0345678.LOT1"],
    ],
)
def test_png_holds_the_link_under_the_public_base(
    run: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "code.png"
    result = run.invoke(qr, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert LINK in result.output
    data = out.read_bytes()
    modules = png_modules(data, DEFAULT_SCALE)
    assert modules == expected(LINK)
    width, height = struct.unpack(">II", data[16:24])
    assert width == height == len(modules) * DEFAULT_SCALE


def test_svg_by_suffix_or_option(run: CliRunner, tmp_path: Path) -> None:
    serial_link = BASE + "/01/09520123456788/21/SN%2F7"
    by_suffix = tmp_path / "code.svg"
    result = run.invoke(qr, ["09520123456788", "--serial", "SN/7", "-o", str(by_suffix)])
    assert result.exit_code == 0, result.output
    assert svg_modules(by_suffix.read_bytes()) == expected(serial_link)

    to_stdout = run.invoke(qr, [serial_link, "--format", "svg", "--scale", "3"])
    assert to_stdout.exit_code == 0, to_stdout.output
    assert svg_modules(to_stdout.stdout_bytes) == expected(serial_link)
    assert to_stdout.stdout_bytes == qr_code(serial_link, "svg", scale=3)


def test_png_to_stdout_at_another_scale(run: CliRunner) -> None:
    result = run.invoke(qr, [LINK, "--scale", "4"])  # CliRunner's stdout is no terminal
    assert result.exit_code == 0
    assert png_modules(result.stdout_bytes, 4) == expected(LINK)


def test_different_links_give_different_codes() -> None:
    assert expected(LINK) != expected(LINK.replace("LOT1", "LOT2"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://id.gs1.org/01/09520123456789/10/LOT1"], "check digit"),
        (["9520123456788"], "--lot or --serial"),
        (["https://id.gs1.org/01/09520123456788"], "without a lot"),
    ],
)
def test_bad_ids_are_usage_errors(run: CliRunner, args: list[str], message: str) -> None:
    result = run.invoke(qr, args)
    assert result.exit_code == 2
    assert message in result.output


def test_bad_settings_are_reported(run: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORETRAIL_SINK_RESOLVER_PORT", "not a port")
    result = run.invoke(qr, [LINK, "--format", "svg"])
    assert result.exit_code == 1
    assert "invalid ORETRAIL_SINK_* settings" in result.output


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1 pixel"):
        qr_code(LINK, "png", scale=0)
