"""Draw the Teams app icons (color.png, outline.png) with the standard library only."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

Shape = Callable[[float, float], bool]
Rgb = tuple[int, int, int]

GREEN: Rgb = (0x2E, 0x5E, 0x4E)  # the manifest's accentColor
WHITE: Rgb = (0xFF, 0xFF, 0xFF)
SUPERSAMPLE = 4  # subpixels per axis: enough for smooth edges at 32 px


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, radius: float) -> Shape:
    """Return a test for points inside a rectangle with rounded corners."""

    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + radius), x1 - radius)
        cy = min(max(y, y0 + radius), y1 - radius)
        return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2

    return inside


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    """Return a test for points inside a triangle."""

    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        d1, d2, d3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        has_neg = d1 < 0 or d2 < 0 or d3 < 0
        has_pos = d1 > 0 or d2 > 0 or d3 > 0
        return not (has_neg and has_pos)

    return inside


def _circle(cx: float, cy: float, r: float) -> Shape:
    """Return a test for points inside a circle."""
    return lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r**2


def _bubble(margin: float, stroke: float) -> tuple[Shape, Shape]:
    """Return (speech bubble, exclamation mark) in unit coordinates, scaled into the margin."""
    span = 1 - 2 * margin

    def at(u: float) -> float:
        return margin + u * span

    body = _rounded_rect(at(0.0), at(0.04), at(1.0), at(0.74), at(0.18) - margin)
    tail = _triangle((at(0.18), at(0.70)), (at(0.46), at(0.70)), (at(0.14), at(0.98)))
    bar = _rounded_rect(at(0.5) - stroke / 2, at(0.15), at(0.5) + stroke / 2, at(0.49), stroke / 2)
    dot = _circle(at(0.5), at(0.605), stroke * 0.62)

    def bubble(x: float, y: float) -> bool:
        return body(x, y) or tail(x, y)

    def mark(x: float, y: float) -> bool:
        return bar(x, y) or dot(x, y)

    return bubble, mark


def _coverage(size: int, shape: Shape) -> list[list[float]]:
    """Return the fraction of each pixel covered by the shape (supersampled)."""
    step = 1 / (size * SUPERSAMPLE)
    total = SUPERSAMPLE * SUPERSAMPLE
    rows: list[list[float]] = []
    for py in range(size):
        row: list[float] = []
        for px in range(size):
            hits = 0
            for sy in range(SUPERSAMPLE):
                y = (py * SUPERSAMPLE + sy + 0.5) * step
                for sx in range(SUPERSAMPLE):
                    x = (px * SUPERSAMPLE + sx + 0.5) * step
                    hits += shape(x, y)
            row.append(hits / total)
        rows.append(row)
    return rows


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    """Blend colour a towards b by t in [0, 1]."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    """Encode one PNG chunk: length, type, data, CRC of type and data."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(width: int, height: int, rows: list[bytes], alpha: bool) -> bytes:
    """Encode 8-bit RGB or RGBA scanlines as a PNG file."""
    color_type = 6 if alpha else 2
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) per scanline
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def draw_color(size: int = 192) -> bytes:
    """Draw the full-colour icon: a white speech bubble with a green '!' on the accent green."""
    bubble, mark = _bubble(margin=0.22, stroke=0.075)
    bubble_cover = _coverage(size, bubble)
    mark_cover = _coverage(size, mark)
    rows: list[bytes] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            colour = _mix(GREEN, WHITE, bubble_cover[y][x])
            row.extend(_mix(colour, GREEN, mark_cover[y][x]))
        rows.append(bytes(row))
    return encode_png(size, size, rows, alpha=False)


def draw_outline(size: int = 32) -> bytes:
    """Draw the outline icon: a white speech bubble with a cut-out '!' on transparency."""
    bubble, mark = _bubble(margin=0.06, stroke=0.14)
    bubble_cover = _coverage(size, bubble)
    mark_cover = _coverage(size, mark)
    rows: list[bytes] = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            opacity = max(0.0, bubble_cover[y][x] - mark_cover[y][x])
            row.extend((*WHITE, round(255 * opacity)))
        rows.append(bytes(row))
    return encode_png(size, size, rows, alpha=True)


PACKAGE_DIR = Path(__file__).resolve().parent


def main(package_dir: Path = PACKAGE_DIR) -> None:
    """Write color.png and outline.png beside this script."""
    (package_dir / "color.png").write_bytes(draw_color())
    (package_dir / "outline.png").write_bytes(draw_outline())


if __name__ == "__main__":
    main()
