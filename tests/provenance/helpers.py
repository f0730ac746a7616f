"""Helpers for provenance tests: images and a real QR decoder."""

from __future__ import annotations

import io

from PIL import Image


def jpeg_bytes(size: tuple[int, int] = (64, 48), color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def decode_qr_texts(image: Image.Image) -> list[str]:
    """Decode every QR code in an image with zxing-cpp (a real, independent reader)."""
    import zxingcpp

    found = zxingcpp.read_barcodes(image)
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
