"""The marketplaces an export can come from: telling which one a header is, and what a raw
order status means (§5.3), shared by all three and refined by each."""

from __future__ import annotations

import functools
from types import ModuleType

from marketplace.imports.parsers import lazada, shopee, tiktok
from marketplace.imports.parsers.cells import Headers
from marketplace.text import strip_accents

MARKETPLACES: dict[str, ModuleType] = {"shopee": shopee, "lazada": lazada, "tiktok": tiktok}
PLATFORMS = tuple(MARKETPLACES)
PLATFORM_NAMES = {platform: module.NAME for platform, module in MARKETPLACES.items()}
STATUS_CLASSES = ("sale", "in_progress", "cancelled", "returned", "unpaid")
# Column names per platform and field; the first that exists wins (case-insensitive fallback).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    platform: module.COLUMNS for platform, module in MARKETPLACES.items()}
SHOPEE_LINE_TOTAL = shopee.LINE_TOTAL
# Signatures are tried in this order (TikTok's shares "Order ID" with Shopee's English one).
_DETECTION_ORDER = ("shopee", "tiktok", "lazada")

_CANCELLED = {"da huy", "huy", "cancelled", "canceled"}
_UNPAID = {"cho thanh toan", "unpaid"}
_IN_PROGRESS = {
    "dang giao", "da giao", "cho giao hang", "da van chuyen", "to ship", "shipped",
    "ready_to_ship", "ready to ship", "pending", "cho xac nhan", "cho lay hang",
    "dang van chuyen", "cho van chuyen", "cho giao", "to receive", "packed", "processing",
    "awaiting shipment", "awaiting collection", "in transit", "delivered", "da giao hang",
    "dang xu ly", "topack", "toship", "shipping",
}
# Goods that came back (any platform): counted as returns, never as cancelled orders.
_RETURNED = {
    "tra hang/hoan tien", "tra hang / hoan tien", "tra hang", "da tra hang", "hoan tien",
    "da hoan tien", "returned", "return/refund", "return / refund", "refunded",
    "return refund",
}


def detect_platform(headers: Headers) -> tuple[str, str] | None:
    """Tell (platform, variant) from signature headers, or None (§5.1)."""
    for platform in _DETECTION_ORDER:
        variant = MARKETPLACES[platform].detect(headers)
        if variant is not None:
            return platform, variant
    return None


@functools.lru_cache(maxsize=1024)
def classify_status(platform: str, raw: str, *, refund_initiator: str = "") -> tuple[str, bool]:
    """Return (status class, known?) for a raw status; unknown values are in_progress.

    Statuses are compared without accents, case or repeated spaces; punctuation counts
    ("Trả hàng/Hoàn tiền", "ready_to_ship").
    """
    key, initiator = (" ".join(strip_accents(text).casefold().split())
                      for text in (raw, refund_initiator))
    marketplace = MARKETPLACES[platform]
    if marketplace.is_returned(key, initiator):
        return "returned", True
    if key in _RETURNED:
        return "returned", True
    if key in _CANCELLED:
        return "cancelled", True
    if key in _UNPAID:
        return "unpaid", True
    if marketplace.is_sale(key):
        return "sale", True
    if key in _IN_PROGRESS:
        return "in_progress", True
    return "in_progress", False
