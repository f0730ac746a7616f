"""Store uploaded images in the database so every app instance sees them."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1200
MAX_PIXELS = 40_000_000
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
