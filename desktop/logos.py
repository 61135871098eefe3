"""A business logo as the owner app and the admin console upload it (no httpx here: the
session imports this before the network parts are needed)."""

from __future__ import annotations

from pathlib import Path

# The image types a logo is sent as, by file suffix (the server checks the content).
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def logo_file(path: str | Path) -> tuple[str, bytes, str]:
    """A logo as a multipart upload wants it: name, bytes (read here, so call it off the GUI
    thread) and content type."""
    file = Path(path)
    kind = LOGO_TYPES.get(file.suffix.lower(), "application/octet-stream")
    return file.name, file.read_bytes(), kind
