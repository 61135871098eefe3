"""Business logos: decoded and re-encoded with Pillow, stored under ``<data_dir>/logos``.

An upload is trusted for nothing: its name and content type are ignored, its bytes must decode
as PNG, JPEG or WebP, and what is stored is a fresh PNG drawn from the decoded pixels (no
metadata, no second payload riding along in the file).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import uuid
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from server import audit
from server.errors import PayloadTooLarge, ValidationFailed
from server.models.business import Business
from server.models.user import User
from server.private_files import private_dir, write_private

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # refuses decompression bombs before the pixels are decoded
MAX_STORED_SIDE = 1024
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
LOGO_DIR = "logos"
UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOGO_NAME = re.compile(rf"{UUID_TEXT}-[0-9a-f]{{16}}\.png")


class InvalidLogo(ValidationFailed):
    """422 ``validation_error`` naming the multipart field ``file`` (CONTRACT §3)."""

    message = "The logo must be a PNG, JPEG or WebP image."

    def __init__(self, message: str | None = None) -> None:
        text = message or type(self).message
        super().__init__(text, details=[{"field": "file", "type": "value_error", "message": text}])


class LogoTooLarge(PayloadTooLarge):
    code = "logo_too_large"
    message = "The logo must be at most 2 MB."


def logo_dir(data_dir: Path) -> Path:
    return data_dir / LOGO_DIR


def clean_png(data: bytes) -> bytes:
    """The uploaded image re-drawn as a metadata-free PNG; raises ``InvalidLogo`` otherwise."""
    if len(data) > MAX_LOGO_BYTES:
        raise LogoTooLarge()
    if not data:
        raise InvalidLogo("The logo file is empty.")
    try:
        with Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS)) as source:
            width, height = source.size
            if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
                raise InvalidLogo("The logo's dimensions are not acceptable.")
            source.load()  # decodes every pixel: truncated or corrupt files fail here
            image = ImageOps.exif_transpose(source)
        transparent = image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info
        mode = "RGBA" if transparent else "RGB"
        pixels = image.convert(mode)
    except InvalidLogo:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidLogo() from None
    pixels.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(data_dir: Path, business_id: uuid.UUID, png: bytes) -> str:
    """Write ``png`` under a new unguessable name and return that name."""
    directory = private_dir(logo_dir(data_dir))
    name = f"{business_id}-{secrets.token_hex(8)}.png"
    partial = directory / f".{name}.part"
    write_private(partial, png)
    os.replace(partial, directory / name)
    return name


def path_of(data_dir: Path, name: str) -> Path | None:
    """The stored file called ``name``, or ``None`` for any other name (no path tricks)."""
    if not LOGO_NAME.fullmatch(name):
        return None
    path = logo_dir(data_dir) / name
    return path if path.is_file() else None


def remove(data_dir: Path, name: str | None) -> None:
    """Delete a replaced logo; a missing file is fine (the row no longer points at it)."""
    if not name:
        return
    path = path_of(data_dir, name)
    if path is not None:
        path.unlink(missing_ok=True)


async def replace_logo(
    session: AsyncSession, data_dir: Path, admin: User, business: Business, upload: bytes
) -> str | None:
    """Store ``upload`` as the business's logo; the replaced file's name, to delete after commit."""
    png = await run_in_threadpool(clean_png, upload)  # decoding is CPU work: off the event loop
    name = await run_in_threadpool(store, data_dir, business.id, png)
    old = business.logo_path
    business.logo_path = name
    audit.record(
        session,
        "business.logo_changed",
        actor=admin,
        business_id=business.id,
        entity="business",
        entity_id=business.id,
        old={"logo_path": old},
        new={"logo_path": name},
        details={"bytes": len(upload), "stored_bytes": len(png)},
    )
    await session.flush()
    return old


async def clear_logo(session: AsyncSession, admin: User, business: Business) -> str | None:
    """Remove the business's logo; the file's name, to delete after commit."""
    old = business.logo_path
    if old is not None:
        business.logo_path = None
        audit.record(
            session,
            "business.logo_removed",
            actor=admin,
            business_id=business.id,
            entity="business",
            entity_id=business.id,
            old={"logo_path": old},
            new={"logo_path": None},
        )
        await session.flush()
    return old
