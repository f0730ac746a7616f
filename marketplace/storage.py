"""Store uploaded images in the database so every app instance sees them."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1200
MAX_PIXELS = 40_000_000
# Decoding costs CPU and memory by the pixel: one request may decode at most this many in all
# (six 12-megapixel phone photos fit; a batch of huge images does not).
MAX_REQUEST_PIXELS = 80_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


class StoredImage(db.Model):
    """An uploaded image, validated, resized and re-encoded as JPEG."""

    __tablename__ = "stored_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(32), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def header_pixels(raw: bytes) -> int:
    """Return width × height from an image's header without decoding it (0 if unreadable)."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            return probe.width * probe.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return 0  # process_image explains what is wrong with it


def _spend_pixels(pixels: int) -> None:
    """Count decoded pixels against this request's budget; refuse beyond it."""
    if not has_request_context():
        return  # demo data and commands
    used = g.get("image_pixels", 0) + pixels
    if used > MAX_REQUEST_PIXELS:
        raise ValidationError("image", _(
            "Các ảnh gửi cùng lúc quá lớn (tổng tối đa %(n)s triệu điểm ảnh). "
            "Hãy gửi ít ảnh hơn hoặc ảnh nhỏ hơn.", n=MAX_REQUEST_PIXELS // 1_000_000))
    g.image_pixels = used


def check_pixel_budget(raws: list[bytes]) -> None:
    """Refuse a request's images at once when their headers add up beyond the budget."""
    total = sum(header_pixels(raw) for raw in raws if raw)
    if total + (g.get("image_pixels", 0) if has_request_context() else 0) > MAX_REQUEST_PIXELS:
        _spend_pixels(total)


def process_image(raw: bytes, max_side: int = MAX_SIDE) -> tuple[bytes, int, int]:
    """Validate an upload with Pillow, fix orientation, shrink it and re-encode as JPEG."""
    if not raw:
        raise ValidationError("image", _("Tệp ảnh trống."))
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError("image", _("Ảnh quá lớn (tối đa 8 MB)."))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError("image", _("Chỉ nhận ảnh JPEG, PNG, WEBP hoặc GIF."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("image", _("Ảnh có kích thước quá lớn."))
            _spend_pixels(probe.width * probe.height)
            probe.verify()
        with Image.open(io.BytesIO(raw)) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((max_side, max_side))
            if img.mode not in ("RGB", "L"):
                background = Image.new("RGB", img.size, "white")
                rgba = img.convert("RGBA")
                background.paste(rgba, mask=rgba.split()[-1])
                img = background
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True)
            return out.getvalue(), img.width, img.height
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError("image", _("Tệp không phải là ảnh hợp lệ.")) from None


def save_image(raw: bytes, max_side: int = MAX_SIDE) -> StoredImage:
    """Process an upload and add it to the session (the caller's service commits)."""
    data, width, height = process_image(raw, max_side)
    image = StoredImage(
        sha256=hashlib.sha256(data).hexdigest(), width=width, height=height, data=data
    )
    db.session.add(image)
    return image
