"""Column definitions of every report table, shared by pages, CSV and XLSX exports."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.catalog.categories import category_label
from marketplace.catalog.quantities import exact
from marketplace.formatting import (
    format_date,
    format_datetime_local,
    format_number,
    format_vnd,
    format_weight,
)

CHANNELS = {
    "fair": _l("Tại phiên chợ"),
    "online": _l("Trực tuyến"),
    "livestream": _l("Livestream"),
    "imported:shopee": _l("Shopee"),
    "imported:lazada": _l("Lazada"),
    "imported:tiktok": _l("TikTok Shop"),
}
METHODS = {"cash": _l("Tiền mặt"), "vietqr": _l("Chuyển khoản QR"), "card": _l("Thẻ")}
FULFILMENTS = {
    "booth_pickup": _l("Nhận tại gian hàng ở phiên chợ"),
    "stall_pickup": _l("Nhận tại cơ sở của người bán"),
    "delivery": _l("Giao hàng tận nơi"),
}
STATUSES = {
    "placed": _l("Mới đặt"), "confirmed": _l("Đã xác nhận"), "ready": _l("Sẵn sàng"),
    "fulfilled": _l("Đã giao"), "cancelled": _l("Đã hủy"),
    "sale": _l("Hoàn tất"), "in_progress": _l("Đang xử lý"), "returned": _l("Trả hàng"),
    "unpaid": _l("Chưa thanh toán"),
}


def label(kind: str, value) -> str:
    """Return the display label of a coded value (channel, method, …)."""
    if kind == "category":
        return category_label(value) if value else str(_l("Chưa ghép sản phẩm"))
    mapping = {"channel": CHANNELS, "method": METHODS, "fulfilment": FULFILMENTS,
               "status": STATUSES}[kind]
    if kind == "channel" and value and value.startswith("imported:") and value not in mapping:
        return value.split(":", 1)[1]
    return str(mapping.get(value, value or ""))


@dataclass(frozen=True)
class Column:
    key: str
    header: object  # lazy string
    kind: str = "text"  # text, int, vnd, kg, date, datetime, hour, percent, bool, or a label kind

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "qty", "vnd", "kg", "percent", "hour")

    def display(self, row) -> str:
        """Format the cell of a row (a figures or detail dataclass) for an HTML page."""
        value = getattr(row, self.key)
        if value is None:
            return ""
        if self.kind == "vnd":
            return format_vnd(value)
        if self.kind in ("kg", "qty"):  # a quantity as exact as sold: 3, 1,5 (kg)
            return format_weight(value)
        if self.kind == "int":
            return format_number(value)
        if self.kind == "percent":
            return format_number(value, 1) + " %"
        if self.kind == "date":
            return format_date(value)
        if self.kind == "datetime":
            return format_datetime_local(value)
        if self.kind == "hour":
            return f"{value:02d}:00"
        if self.kind == "bool":
            return str(_l("Có")) if value else str(_l("Không"))
        if self.kind in ("category", "channel", "method", "fulfilment", "status"):
            return label(self.kind, value)
        return str(value)

    def export(self, row):
        """Return the cell of a row for CSV/XLSX: plain numbers, labels for codes."""
        value = getattr(row, self.key)
        if value is None:
            return ""
        if self.kind in ("category", "channel", "method", "fulfilment", "status"):
            return label(self.kind, value)
        if self.kind == "kg":
            return float(value)
        if self.kind == "qty":
            q = exact(value)
            return int(q) if q == q.to_integral_value() else float(q)
        if self.kind == "datetime":
            return format_datetime_local(value)
        if self.kind == "hour":
            return f"{value:02d}:00"
        if self.kind == "bool":
            return 1 if value else 0
        return value


@dataclass(frozen=True)
class Table:
    key: str
    title: object
    columns: tuple[Column, ...]


_SALES = (
    Column("orders", _l("Số đơn"), "int"),
    Column("quantity", _l("Số lượng"), "qty"),
    Column("kg", _l("Khối lượng (kg)"), "kg"),
    Column("vnd", _l("Doanh số (đ)"), "vnd"),
    Column("cancelled_vnd", _l("Đã hủy (đ)"), "vnd"),
    Column("returned_vnd", _l("Trả hàng (đ)"), "vnd"),
)
# Keys that group whole orders also carry the orders' refunds, so their rows add up to the
# report's net revenue.
_ORDER_SALES = (
    *_SALES,
    Column("refunded_vnd", _l("Hoàn tiền (đ)"), "vnd"),
    Column("net_vnd", _l("Doanh số thuần (đ)"), "vnd"),
    # Delivery fees are not goods revenue: a column of their own.
    Column("delivery_fee_vnd", _l("Phí giao hàng (đ)"), "vnd"),
)
_LEDGER = (
    Column("received_vnd", _l("Đã nhận (đ)"), "vnd"),
    Column("refunded_vnd", _l("Hoàn tiền (đ)"), "vnd"),
    Column("net_vnd", _l("Thực nhận (đ)"), "vnd"),
    Column("orders", _l("Số đơn"), "int"),
)

TABLES: dict[str, Table] = {t.key: t for t in (
    Table("days", _l("Theo ngày"), (Column("day", _l("Ngày"), "date"), *_ORDER_SALES)),
    Table("hours", _l("Theo giờ"), (Column("hour", _l("Giờ"), "hour"), *_ORDER_SALES)),
    Table("stalls", _l("Theo gian hàng"), (Column("stall", _l("Gian hàng")), *_ORDER_SALES)),
    Table("products", _l("Theo sản phẩm"), (
        Column("product", _l("Sản phẩm")), Column("code", _l("Mã")),
        Column("category", _l("Nhóm hàng"), "category"), Column("unit", _l("Đơn vị")), *_SALES,
    )),
    Table("top_products", _l("Sản phẩm bán chạy"), (
        Column("product", _l("Sản phẩm")), Column("unit", _l("Đơn vị")), *_SALES,
    )),
    Table("categories", _l("Theo nhóm hàng"), (
        Column("category", _l("Nhóm hàng"), "category"), *_SALES,
    )),
    Table("channels", _l("Theo kênh bán"), (
        Column("channel", _l("Kênh"), "channel"), *_ORDER_SALES,
    )),
    Table("fulfilment", _l("Theo cách nhận hàng"), (
        Column("fulfilment", _l("Nhận hàng"), "fulfilment"), *_ORDER_SALES,
    )),
    Table("payments", _l("Theo phương thức thanh toán"), (
        Column("method", _l("Phương thức"), "method"), *_LEDGER,
    )),
    Table("card_owed", _l("Tiền thẻ Chợ 4.0 cần chuyển cho gian hàng"), (
        Column("stall", _l("Gian hàng")),
        Column("received_vnd", _l("Đã thu (đ)"), "vnd"),
        Column("refunded_vnd", _l("Đã hoàn (đ)"), "vnd"),
        Column("owed_vnd", _l("Phải trả (đ)"), "vnd"),
    )),
    Table("cash_days", _l("Tiền mặt cần đối chiếu theo ngày"), (
        Column("day", _l("Ngày"), "date"), *_LEDGER,
    )),
    Table("scans_days", _l("Lượt quét QR theo ngày"), (
        Column("day", _l("Ngày"), "date"), Column("scans", _l("Lượt xem"), "int"),
        Column("qr_scans", _l("Quét tem QR"), "int"),
    )),
    Table("scans_products", _l("Lượt quét QR theo sản phẩm"), (
        Column("product", _l("Sản phẩm")), Column("code", _l("Mã")),
        Column("scans", _l("Lượt xem"), "int"), Column("qr_scans", _l("Quét tem QR"), "int"),
    )),
    Table("conversion", _l("Từ quét QR đến đơn hàng"), (
        Column("product", _l("Sản phẩm")), Column("code", _l("Mã")),
        Column("scans", _l("Lượt xem"), "int"), Column("qr_scans", _l("Quét tem QR"), "int"),
        Column("orders", _l("Đơn khách tự đặt"), "int"),
        Column("conversion", _l("Tỷ lệ đặt hàng (%)"), "percent"),
    )),
    Table("lines", _l("Chi tiết dòng đơn hàng"), (
        Column("code", _l("Mã đơn")), Column("placed_at", _l("Thời gian"), "datetime"),
        Column("stall", _l("Gian hàng")), Column("product", _l("Sản phẩm")),
        Column("unit", _l("Đơn vị")), Column("quantity", _l("Số lượng"), "qty"),
        Column("net_weight_kg", _l("Khối lượng/đơn vị (kg)"), "kg"),
        Column("unit_price", _l("Đơn giá (đ)"), "vnd"),
        Column("line_total", _l("Thành tiền (đ)"), "vnd"),
        Column("channel", _l("Kênh"), "channel"),
        Column("fulfilment", _l("Nhận hàng"), "fulfilment"),
        Column("status", _l("Trạng thái"), "status"), Column("paid", _l("Đã thanh toán"), "bool"),
    )),
    Table("imported", _l("Chi tiết đơn sàn TMĐT"), (
        Column("platform", _l("Sàn")), Column("order_id", _l("Mã đơn sàn")),
        Column("created_at", _l("Thời gian"), "datetime"), Column("stall", _l("Gian hàng")),
        Column("product", _l("Sản phẩm")), Column("sku", _l("SKU")),
        Column("qty", _l("Số lượng"), "int"), Column("returned_qty", _l("Trả lại"), "int"),
        Column("net_weight_kg", _l("Khối lượng/đơn vị (kg)"), "kg"),
        Column("amount", _l("Thành tiền (đ)"), "vnd"),
        Column("status", _l("Trạng thái"), "status"), Column("status_raw", _l("Trạng thái gốc")),
    )),
)}
