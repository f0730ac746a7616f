"""Render QR codes (the only module that imports qrcode)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

# Quiet zone of 4 modules (the QR spec's minimum) and level M (15 % damage tolerated) read well
# from a home-printed label; H would make the code denser for little gain on paper.
BORDER = 4


def _qr(data: str, error_correction=ERROR_CORRECT_M, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=error_correction, box_size=box_size, border=BORDER)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_png(data: str, box_size: int = 10) -> bytes:
    """Return a black-on-white PNG of the QR code for data."""
    image = _qr(data, box_size=box_size).make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_svg(data: str, box_size: int = 10) -> str:
    """Return a standalone SVG document of the QR code for data (one path, white background)."""
    image = _qr(data, box_size=box_size).make_image(
        image_factory=qrcode.image.svg.SvgPathFillImage
    )
    return image.to_string(encoding="unicode")


def qr_matrix(data: str) -> list[list[bool]]:
    """Return the module matrix (quiet zone included), for drawing into PDFs."""
    return _qr(data).get_matrix()
