"""Render QR codes (the only module that imports qrcode)."""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=2048)
def qr_png(data: str, box_size: int = 10) -> bytes:
    """Return a black-on-white PNG of the QR code for data (1-bit; cached: labels repeat)."""
    from PIL import Image

    matrix = _qr(data).get_matrix()
    side = len(matrix)
    # One pixel per module, scaled up without smoothing: sharp edges, a fraction of the time
    # qrcode's own drawing takes.
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (side, side), pixels)
    image = image.resize((side * box_size, side * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    # No optimize=True: it tries every zlib setting, several times slower for ~10 % fewer bytes
    # (486 vs 437 for a label URL), and the label sheet builds hundreds of these.
    image.convert("1").save(out, format="PNG")
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


def read_qr(raw: bytes) -> list[str]:
    """Return the texts of the QR codes in an uploaded picture (a screenshot or a photo)."""
    import zxingcpp
    from PIL import Image

    from marketplace.storage import process_image

    data, _width, _height = process_image(raw, max_side=1600)  # validated, upright, bounded
    with Image.open(io.BytesIO(data)) as image:
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in found]
