"""What a file is, by its first bytes: the evidence types a report accepts, and nothing else."""

from __future__ import annotations

ACCEPTED = "PNG, JPEG, GIF, WebP or HEIC pictures, or PDF files"
# The same as file pickers take them: Slack's file_input `filetypes`, HTML's `accept`.
EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp", "heic", "heif", "pdf")
ACCEPT = "image/png,image/jpeg,image/gif,image/webp,image/heic,image/heif,application/pdf"

# The ISO base media brands of HEIF stills (HEIC is HEIF holding HEVC pictures).
HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1"})


def detect(data: bytes) -> str | None:
    """The media type the content really has, if it is one evidence may be; else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in HEIC_BRANDS:
            return "image/heic"
        if brand in HEIF_BRANDS:
            return "image/heif"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def refusal(name: str) -> str:
    """What the reporter is told about a file that is none of the accepted types."""
    return f"{name or 'The file'} is not a picture or a PDF; evidence can be {ACCEPTED}."
