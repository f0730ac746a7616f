"""Shopee's order export (Vietnamese or English headers): how to tell it, its columns, its sale
statuses and how one row becomes a line (Shopee has no line id: lines are numbered per order)."""

from __future__ import annotations

from collections import Counter

from marketplace.imports.parsers.cells import Headers, Row, parse_money, parse_qty

NAME = "Shopee"
# Column names per field; the first that exists wins (case-insensitive fallback).
COLUMNS = {
    "order_id": ("Mã đơn hàng", "Order ID"),
    "status": ("Trạng Thái Đơn Hàng", "Tình trạng đơn hàng", "Order Status"),
    "created": ("Ngày đặt hàng", "Order Creation Date"),
    "paid": ("Thời gian đơn hàng được thanh toán", "Order Paid Time"),
    "name": ("Tên sản phẩm", "Product Name"),
    "sku": ("SKU phân loại hàng", "SKU Reference No."),
    "parent_sku": ("SKU sản phẩm", "Parent SKU Reference No."),
    "variation": ("Tên phân loại hàng", "Variation Name"),
    "qty": ("Số lượng", "Quantity"),
    "returned": ("Số lượng sản phẩm được hoàn trả", "Returned quantity"),
    "subtotal": ("Tổng giá bán (sản phẩm)", "Product Subtotal"),
    "deal_price": ("Giá ưu đãi", "Deal Price"),
    "province": ("Tỉnh/Thành phố", "Province"),
}
# Shopee's line-level total differs from the order-level one only by letter case, so it is
# matched exactly: an order-level column must never be summed across lines.
LINE_TOTAL = ("Tổng số tiền Người mua thanh toán",)
EXACT_COLUMNS = {"line_total": LINE_TOTAL}
REQUIRED = {"order_id", "status", "created", "qty"}
DIGIT_ORDER_IDS = False
SALE = {"hoan thanh", "completed"}


def detect(headers: Headers) -> str | None:
    """The export's variant ("vi" or "en") if its signature headers are there, else None."""
    if headers.has("Mã đơn hàng", "SKU phân loại hàng") and (
        headers.find("Trạng Thái Đơn Hàng", "Tình trạng đơn hàng") is not None
    ):
        return "vi"
    if headers.has("Order ID", "SKU Reference No.", "Order Creation Date"):
        return "en"
    return None


def is_returned(key: str, initiator: str) -> bool:
    """Shopee has no returned status of its own (the shared ones apply)."""
    return False


def is_sale(key: str) -> bool:
    """A folded status that means the sale is done ("Người mua xác nhận …" too)."""
    return key in SALE or key.startswith("nguoi mua xac nhan")


def read_line(row: Row, order_id: str, sku: str, status_class: str,
              seen: Counter) -> tuple[int, int, str, int, str]:
    """(qty, returned qty, line key, net VND, province) of one row; `seen` numbers the order's
    lines."""
    qty = row.convert("qty", parse_qty)
    returned = row.convert("returned", parse_qty) if "returned" in row.cols else 0
    seen[order_id] += 1
    line_key = f"{order_id}#{seen[order_id]}"
    if "line_total" in row.cols and row.text("line_total"):
        net = row.convert("line_total", parse_money)
    elif "subtotal" in row.cols and row.text("subtotal"):
        net = row.convert("subtotal", parse_money)
    else:
        net = row.convert("deal_price", parse_money) * qty if "deal_price" in row.cols else 0
    return qty, returned, line_key, net, row.text("province")
