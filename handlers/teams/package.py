"""Build the Teams app package (manifest.json and two icons in a zip) from appPackage/."""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PACKAGE_DIR = Path(__file__).resolve().parents[2] / "appPackage"
MANIFEST_NAME = "manifest.json"
COLOR_ICON_SIZE = (192, 192)
OUTLINE_ICON_SIZE = (32, 32)
BOT_ID_PLACEHOLDER = "${{BOT_ID}}"
BOT_DOMAIN_PLACEHOLDER = "${{BOT_DOMAIN}}"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(
    r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*(?::\d+)?$"
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ALPHA_COLOR_TYPES = {4, 6}  # greyscale + alpha, RGB + alpha
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # same inputs give the same bytes


@dataclass(frozen=True)
class PngHeader:
    """What a PNG's IHDR (and a tRNS chunk, if any) says about the image."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlace: int
    has_trns: bool

    @property
    def has_alpha(self) -> bool:
        """Whether the image can hold transparent pixels."""
        return self.color_type in _ALPHA_COLOR_TYPES or self.has_trns


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (type, payload) for each chunk after the PNG signature."""
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        yield kind, data[offset + 8 : offset + 8 + length]
        offset += 12 + length  # length, type, payload, CRC
        if kind == b"IEND":
            return


def read_png_header(data: bytes) -> PngHeader:
    """Parse the IHDR of PNG bytes; raise ValueError if they are not a PNG."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file (bad signature)")
    chunks = list(_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise ValueError("not a PNG file (IHDR missing)")
    width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    has_trns = any(kind == b"tRNS" for kind, _ in chunks)
    return PngHeader(width, height, bit_depth, color_type, interlace, has_trns)


def _paeth(a: int, b: int, c: int) -> int:
    """The PNG Paeth predictor."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _rgba_rows(data: bytes, header: PngHeader) -> list[bytes]:
    """Decode the scanlines of an 8-bit, non-interlaced RGBA PNG."""
    stride = header.width * 4
    raw = zlib.decompress(b"".join(body for kind, body in _chunks(data) if kind == b"IDAT"))
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(header.height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up = previous[i]
            up_left = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def _outline_pixel_problems(data: bytes, header: PngHeader) -> list[str]:
    """Check that an RGBA outline icon is white on a transparent background."""
    if header.bit_depth != 8 or header.color_type != 6 or header.interlace != 0:
        return []  # other layouts are legal PNGs; only the header checks apply to them
    rows = _rgba_rows(data, header)
    alphas = [row[i + 3] for row in rows for i in range(0, len(row), 4)]
    problems: list[str] = []
    if 0 not in alphas:
        problems.append(
            "outline icon has no transparent pixels: its background must be transparent"
        )
    not_white = sum(
        1
        for row in rows
        for i in range(0, len(row), 4)
        if row[i + 3] and row[i : i + 3] != b"\xff\xff\xff"
    )
    if not_white:
        problems.append(
            f"outline icon must be white on transparent: {not_white} visible pixels are not white"
        )
    return problems


def _icon_names(package_dir: Path) -> dict[str, str]:
    """Return the icon file names the manifest template declares (or the defaults)."""
    try:
        icons = json.loads((package_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["icons"]
        return {"color": str(icons["color"]), "outline": str(icons["outline"])}
    except (OSError, ValueError, KeyError, TypeError):
        return {"color": "color.png", "outline": "outline.png"}


def check_icons(package_dir: Path = DEFAULT_PACKAGE_DIR) -> list[str]:
    """Return what is wrong with the package's icons (an empty list when they are fine)."""
    names = _icon_names(package_dir)
    expected = {"color": COLOR_ICON_SIZE, "outline": OUTLINE_ICON_SIZE}
    problems: list[str] = []
    for role, name in names.items():
        path = package_dir / name
        try:
            data = path.read_bytes()
            header = read_png_header(data)
        except OSError:
            problems.append(f"{role} icon {name} is missing from {package_dir}")
            continue
        except ValueError as error:
            problems.append(f"{role} icon {name}: {error}")
            continue
        want_w, want_h = expected[role]
        if (header.width, header.height) != (want_w, want_h):
            size = f"{header.width}x{header.height}"
            problems.append(f"{role} icon {name} is {size}, Teams needs {want_w}x{want_h}")
        if role == "outline":
            if not header.has_alpha:
                problems.append(
                    f"outline icon {name} has no alpha channel: it must be white on transparent"
                )
            else:
                problems.extend(_outline_pixel_problems(data, header))
    return problems


def validate_app_id(app_id: str) -> str:
    """Return the app id if it is a GUID, else raise ValueError saying what is expected."""
    candidate = app_id.strip()
    if not _GUID.match(candidate):
        raise ValueError(
            f"The Teams app id must be the bot's Microsoft App ID, a GUID such as "
            f"00000000-0000-0000-0000-000000000000; got {app_id!r}"
        )
    return candidate


def normalise_domain(bot_domain: str) -> str:
    """Return the bare host Teams expects in validDomains, accepting a URL too."""
    candidate = bot_domain.strip()
    if "://" in candidate:
        parts = urlsplit(candidate)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                f"The bot domain must be a host name, not a URL with a path; got {bot_domain!r}"
            )
        candidate = parts.netloc
    candidate = candidate.rstrip("/")
    if not _HOST.match(candidate):
        raise ValueError(
            f"The bot domain must be a host name such as bot.example.org; got {bot_domain!r}"
        )
    return candidate


def _placeholders(value: Any, where: str = "") -> list[str]:
    """Return the JSON paths of strings that still hold a ${{...}} placeholder."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _placeholders(item, f"{where}/{key}")]
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in _placeholders(item, f"{where}/{index}")
        ]
    if isinstance(value, str) and "${{" in value:
        return [where or "/"]
    return []


def render_manifest(template: dict[str, Any], app_id: str, bot_domain: str) -> dict[str, Any]:
    """Return a copy of the manifest template with the app id and the domain filled in."""
    manifest: dict[str, Any] = json.loads(json.dumps(template))  # deep copy
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    for extension in manifest.get("composeExtensions", []):
        extension["botId"] = app_id
    domains = [
        bot_domain if d == BOT_DOMAIN_PLACEHOLDER else d for d in manifest.get("validDomains", [])
    ]
    if bot_domain not in domains:
        domains.append(bot_domain)
    manifest["validDomains"] = domains
    # The notice the server itself serves (GET /privacy and /terms), on the bot's own domain.
    developer = manifest.get("developer", {})
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        if isinstance(developer.get(key), str):
            developer[key] = developer[key].replace(BOT_DOMAIN_PLACEHOLDER, bot_domain)
    left = _placeholders(manifest)
    if left:
        raise ValueError(
            f"manifest template has placeholders the builder does not fill: {', '.join(left)}"
        )
    return manifest


def build_teams_package(
    app_id: str,
    bot_domain: str,
    out_path: Path,
    package_dir: Path = DEFAULT_PACKAGE_DIR,
) -> Path:
    """Write the Teams app package zip (manifest.json and icons at its root) and return its path."""
    app_id = validate_app_id(app_id)
    domain = normalise_domain(bot_domain)
    template = json.loads((package_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest = render_manifest(template, app_id, domain)
    problems = check_icons(package_dir)
    if problems:
        raise ValueError("the app package icons are not valid: " + "; ".join(problems))

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        MANIFEST_NAME: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    }
    for name in (manifest["icons"]["color"], manifest["icons"]["outline"]):
        files[name] = (package_dir / name).read_bytes()

    # Write beside the target and rename, so a failed build never leaves half a zip behind.
    fd, tmp_name = tempfile.mkstemp(prefix=out_path.name, suffix=".tmp", dir=out_path.parent)
    try:
        with (
            os.fdopen(fd, "wb") as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out_path


def main(argv: list[str] | None = None) -> int:
    """Command line: build the package from MicrosoftAppId and BOT_DOMAIN (or flags)."""
    parser = argparse.ArgumentParser(description="Build the Teams app package zip.")
    parser.add_argument("--app-id", default=os.environ.get("MicrosoftAppId", ""))
    parser.add_argument("--domain", default=os.environ.get("BOT_DOMAIN", ""))
    parser.add_argument("--out", type=Path, default=Path("build") / "teams-app.zip")
    args = parser.parse_args(argv)
    try:
        path = build_teams_package(args.app_id, args.domain, args.out)
    except ValueError as error:
        parser.error(str(error))
    print(f"Teams app package written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
