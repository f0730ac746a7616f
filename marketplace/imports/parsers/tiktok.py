"""TikTok Shop's order export: how to tell it, its columns, its sale statuses and how one row
becomes a line (keyed by order and SKU id)."""

from __future__ import annotations

from collections import Counter

from marketplace.imports.parsers.cells import Headers, Row, parse_money, parse_qty

NAME = "TikTok Shop"
# Column names per field; the first that exists wins (case-insensitive fallback).
COLUMNS = {
    "order_id": ("Order ID",),
    "status": ("Order Status",),
    "sku_id": ("SKU ID",),
    "created": ("Created Time",),
    "paid": ("Paid Time",),
    "name": ("Product Name",),
    "sku": ("Seller SKU",),
    "variation": ("Variation",),
    "qty": ("Quantity",),
    "returned": ("Sku Quantity of return",),
    "net": ("SKU Subtotal After Discount",),
    "province": ("Province",),
}
EXACT_COLUMNS: dict[str, tuple[str, ...]] = {}
REQUIRED = {"order_id", "status", "created", "qty"}
# The export's second row describes the columns: only rows with a numeric order id are orders.
DIGIT_ORDER_IDS = True
SALE = {"da hoan tat", "completed", "hoan tat"}


def detect(headers: Headers) -> str | None:
    """The export's variant ("current") if its signature headers are there, else None."""
    if headers.has("Order ID", "Seller SKU", "Created Time", "Order Substatus"):
        return "current"
    return None


def is_returned(key: str, initiator: str) -> bool:
    """TikTok Shop has no returned status of its own (the shared ones apply)."""
    return False


def is_sale(key: str) -> bool:
    """A folded status that means the sale is done."""
    return key in SALE


def read_line(row: Row, order_id: str, sku: str, status_class: str,
              seen: Counter) -> tuple[int, int, str, int, str]:
    """(qty, returned qty, line key, net VND, province) of one row; a SKU seen again in the
    same order gets a numbered key."""
    qty = row.convert("qty", parse_qty)
    returned = row.convert("returned", parse_qty) if "returned" in row.cols else 0
    base = f"{order_id}:{row.text('sku_id') or sku}"
    seen[base] += 1
    line_key = base if seen[base] == 1 else f"{base}#{seen[base]}"
    net = row.convert("net", parse_money) if "net" in row.cols else 0
    return qty, returned, line_key, net, row.text("province")
