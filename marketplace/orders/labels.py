"""Words shown for order statuses, channels, fulfilment and payment methods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "placed": _l("Đã đặt"),
    "confirmed": _l("Đã xác nhận"),
    "ready": _l("Sẵn sàng giao/nhận"),
    "fulfilled": _l("Hoàn tất"),
    "cancelled": _l("Đã hủy"),
}

CHANNEL = {
    "online": _l("Trực tuyến"),
    "fair": _l("Tại phiên chợ"),
    "livestream": _l("Livestream / Zalo"),
}

FULFILMENT = {
    "booth_pickup": _l("Nhận tại gian hàng ở phiên chợ"),
    "stall_pickup": _l("Nhận tại cơ sở của người bán"),
    "delivery": _l("Giao hàng tận nơi"),
}

PAYMENT = {
    "cash": _l("Tiền mặt"),
    "vietqr": _l("Chuyển khoản QR (VietQR)"),
    "card": _l("Thẻ ngân hàng"),
}

# At checkout, cash means paying when the goods are handed over.
PAYMENT_AT_CHECKOUT = {
    "cash": _l("Trả tiền mặt khi nhận hàng"),
    "vietqr": _l("Chuyển khoản QR (VietQR) ngay sau khi đặt"),
    "card": _l("Thẻ ngân hàng (trực tuyến)"),
}


def label(mapping: dict, key: str | None) -> str:
    return str(mapping.get(key or "", key or ""))
