"""Parse one marketplace export file into canonical order lines (§5.2 of the export notes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from marketplace.imports.parsers.cells import (
    Headers,
    ImportFileError,
    Row,
    _,
    cell_text,
    parse_local_datetime,
)
from marketplace.imports.parsers.platforms import MARKETPLACES, classify_status, detect_platform
from marketplace.imports.parsers.sheets import iter_rows


@dataclass(slots=True)
class ParsedLine:
    """One canonical marketplace order line (§5.2 of the export notes)."""

    platform: str
    order_id: str
    line_key: str
    created_at: datetime  # aware UTC
    paid_at: datetime | None
    status_raw: str
    status_class: str
    status_known: bool
    product_name: str
    seller_sku: str  # the raw SKU, or "name — variation" when the export has none
    variation: str
    qty: int
    returned_qty: int
    net_amount: int
    buyer_province: str
    source_file: str
    source_row: int  # 1-based row number in the sheet, header = row 1

    @property
    def net_qty(self) -> int:
        return max(self.qty - self.returned_qty, 0)


@dataclass
class ParseResult:
    """What one file holds: its platform, lines, skipped rows and unknown statuses."""

    filename: str
    platform: str
    variant: str
    lines: list[ParsedLine] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    unknown_statuses: Counter = field(default_factory=Counter)


Progress = Callable[[int, int], None]  # (rows read, rows expected)
PROGRESS_EVERY = 2000


def parse_file(filename: str, data: bytes, progress: Progress | None = None) -> ParseResult:
    """Parse one export file; raise ImportFileError if it is not a readable known export.

    Rows are read one at a time; `progress(rows read, rows expected)` hears of it as it goes.
    """
    expected, rows = iter_rows(filename, data)
    header_index, header_row = 0, None
    for index, row in enumerate(rows):
        if any(cell_text(v) for v in row):
            header_index, header_row = index, row
            break
    if header_row is None:
        raise ImportFileError(filename, _("tệp trống."))
    headers = Headers(header_row)
    detected = detect_platform(headers)
    if detected is None:
        for _row in rows:  # a broken or oversized file says so first
            pass
        raise ImportFileError(filename, _(
            "không nhận ra tệp xuất đơn của Shopee, Lazada hay TikTok Shop (thiếu các cột "
            "như “Mã đơn hàng”, “orderItemId” hoặc “Order ID”)."
        ))
    platform, variant = detected
    marketplace = MARKETPLACES[platform]
    cols = {key: headers.find(*names) for key, names in marketplace.COLUMNS.items()}
    cols |= {key: headers.find(*names, exact_only=True)
             for key, names in marketplace.EXACT_COLUMNS.items()}
    cols = {k: v for k, v in cols.items() if v is not None}
    missing = sorted(marketplace.REQUIRED - cols.keys())
    if missing:
        names = ", ".join(marketplace.COLUMNS[k][0] for k in missing)
        raise ImportFileError(filename, _("thiếu cột bắt buộc: %(cols)s.", cols=names))

    result = ParseResult(filename=filename, platform=platform, variant=variant)
    seen: Counter = Counter()  # line keys given so far, to number repeats
    shared: dict[str, str] = {}  # one copy of each repeated text (statuses, names, SKUs)
    for offset, values in enumerate(rows, start=header_index + 2):
        if progress is not None and offset % PROGRESS_EVERY == 0:
            progress(offset, expected)
        if not any(cell_text(v) for v in values):
            continue
        row = Row(filename, offset, values, headers, cols)
        order_id = row.text("order_id")
        if marketplace.DIGIT_ORDER_IDS and not order_id.isdigit():
            result.skipped.append((offset, _("dòng mô tả cột, không phải đơn hàng")))
            continue
        if not order_id:
            result.skipped.append((offset, _("thiếu mã đơn hàng")))
            continue
        line = _parse_line(platform, row, order_id, seen)
        for name in ("status_raw", "product_name", "seller_sku", "variation", "buyer_province"):
            value = getattr(line, name)
            setattr(line, name, shared.setdefault(value, value))
        if not line.status_known:
            result.unknown_statuses[line.status_raw] += 1
        result.lines.append(line)
    if not result.lines and not result.skipped:
        raise ImportFileError(filename, _("tệp không có dòng đơn hàng nào."))
    if progress is not None:
        progress(expected, expected)
    return result


def _parse_line(platform: str, row: Row, order_id: str, seen: Counter) -> ParsedLine:
    """One row as a canonical line: the fields every export has, then the marketplace's own."""
    status_raw = row.text("status")
    created = row.convert("created", parse_local_datetime)
    if created is None:
        raise ImportFileError(row.filename, _(
            "dòng %(row)s: thiếu ngày đặt hàng.", row=row.number))
    paid = row.convert("paid", parse_local_datetime) if "paid" in row.cols else None
    name, variation = row.text("name"), row.text("variation")
    sku = row.text("sku") or row.text("parent_sku") or (
        f"{name} — {variation}" if variation else name)
    status_class, known = classify_status(
        platform, status_raw, refund_initiator=row.text("refund_initiator"))

    qty, returned, line_key, net, province = MARKETPLACES[platform].read_line(
        row, order_id, sku, status_class, seen)
    if status_class == "returned":
        returned = qty  # the whole line came back, whatever the return column says
    return ParsedLine(
        platform=platform, order_id=order_id[:40], line_key=line_key[:120], created_at=created,
        paid_at=paid, status_raw=status_raw[:120], status_class=status_class,
        status_known=known, product_name=name[:255], seller_sku=sku[:120],
        variation=variation[:255], qty=qty, returned_qty=min(returned, qty), net_amount=net,
        buyer_province=province[:80], source_file=row.filename[:255], source_row=row.number,
    )
