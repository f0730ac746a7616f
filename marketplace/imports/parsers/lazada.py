"""Lazada's order export (current XLSX or the old CSV): how to tell it, its columns, its sale and
return statuses and how one row (always one item) becomes a line."""

from __future__ import annotations

from collections import Counter

from marketplace.imports.parsers.cells import Headers, Row, parse_money

NAME = "Lazada"
# Column names per field; the first that exists wins (case-insensitive fallback).
COLUMNS = {
    "order_id": ("orderNumber", "Order Number"),
    "item_id": ("orderItemId", "Order Item Id"),
    "status": ("status", "Status"),
    "created": ("createTime", "Created at", "Create Time"),
    "paid": (),
    "name": ("itemName", "Item Name"),
    "sku": ("sellerSku", "Seller SKU"),
    "variation": ("variation", "Variation"),
    "unit_price": ("unitPrice", "Unit Price"),
    "discount": ("sellerDiscountTotal", "Seller Discount Total"),
    "paid_price": ("paidPrice", "Paid Price"),
    "refund_initiator": ("buyerFailedDeliveryReturnInitiator",),
    "province": ("shippingAddress3", "Shipping Address3"),
    "city": ("shippingCity", "Shipping City"),
    "region": ("shippingRegion", "Shipping Region"),
}
EXACT_COLUMNS: dict[str, tuple[str, ...]] = {}
REQUIRED = {"order_id", "status", "created"}  # one row is one item: no quantity column
DIGIT_ORDER_IDS = False
SALE = {"delivered", "confirmed"}
RETURNED = {
    "returned", "package returned", "in transit: returning to seller", "lost by 3pl",
    "damaged by 3pl", "package scrapped", "failed delivery",
}


def detect(headers: Headers) -> str | None:
    """The export's variant ("current" or "old-csv") if its signature headers are there."""
    if headers.has("orderItemId", "orderNumber", "sellerSku", "createTime"):
        return "current"
    if headers.has("Order Item Id", "Order Number", "Seller SKU"):
        return "old-csv"
    return None


def is_returned(key: str, initiator: str) -> bool:
    """A folded status (or refund initiator) that means the goods came back or were lost."""
    return key in RETURNED or initiator.startswith("only_refund")


def is_sale(key: str) -> bool:
    """A folded status that means the sale is done."""
    return key in SALE


def read_line(row: Row, order_id: str, sku: str, status_class: str,
              seen: Counter) -> tuple[int, int, str, int, str]:
    """(qty, returned qty, line key, net VND, province) of one row: one item, keyed by its id."""
    qty = 1
    returned = qty if status_class == "returned" else 0
    line_key = row.text("item_id") or f"{order_id}#{row.number}"
    if "unit_price" in row.cols and row.text("unit_price"):
        net = row.convert("unit_price", parse_money)
        if "discount" in row.cols:
            net += row.convert("discount", parse_money)
    else:
        net = row.convert("paid_price", parse_money) if "paid_price" in row.cols else 0
    province = row.text("province") or row.text("city") or row.text("region")
    return qty, returned, line_key, net, province
