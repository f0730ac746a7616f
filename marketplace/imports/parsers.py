"""Read Shopee, Lazada and TikTok Shop order exports (XLSX or CSV) into canonical lines."""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import has_request_context
from flask_babel import gettext

from marketplace.catalog.text import strip_accents
from marketplace.errors import ValidationError
from marketplace.formatting import VN_TZ

PLATFORMS = ("shopee", "lazada", "tiktok")
PLATFORM_NAMES = {"shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop"}
STATUS_CLASSES = ("sale", "in_progress", "cancelled", "returned", "unpaid")


def _(text: str, **values) -> str:
    """Translate inside a request; commands and the demo run without one (Vietnamese)."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


class ImportFileError(ValidationError):
    """The file is not a readable marketplace export; nothing is saved."""

    def __init__(self, filename: str, reason: str):
        super().__init__("files", f"{filename}: {reason}")
        self.filename = filename


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


# ---------------------------------------------------------------- text helpers

_TRIM = " \t\r\n\ufeff\u00a0\u200b"


def norm_header(value) -> str:
    """NFC-normalise and trim a header cell (tabs, BOM, non-breaking spaces)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip(_TRIM)


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ -> d) for tolerant comparisons."""
    return re.sub(r"\s+", " ", strip_accents(text).casefold()).strip()


def cell_text(value) -> str:
    """Turn any cell into trimmed NFC text; whole numbers lose a spurious '.0'."""
    if value is None:
        return ""
    if type(value) is str:  # most cells: the fast way first
        return (value if value.isascii() else unicodedata.normalize("NFC", value)).strip(_TRIM)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip(_TRIM)


# ---------------------------------------------------------------- numbers and dates

_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")


def parse_money(value) -> int:
    """Read VND in any export form ('1.250.000', '120,000.00', '184.00', numbers) as int."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
    else:
        return _money_text(cell_text(value))
    return int(number.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@functools.lru_cache(maxsize=4096)  # exports repeat the same prices line after line
def _money_text(text: str) -> int:
    """Read VND written as text (cached: a ValueError is raised again each time)."""
    value = text
    for token in ("₫", "VND", "VNĐ", "vnd", "đ", " ", "\u00a0"):
        text = text.replace(token, "")
    if text in ("", "-"):
        return 0
    sign = ""
    if text[0] in "+-":
        sign, text = text[0].replace("+", ""), text[1:]
    if "." in text and "," in text:
        # The separator that comes last is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "." in text:
        if _THOUSANDS_DOT.match(text):
            text = text.replace(".", "")
    elif "," in text:
        text = text.replace(",", "") if _THOUSANDS_COMMA.match(text) else text.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(value)
    try:
        number = Decimal(sign + text)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the regex
        raise ValueError(value) from exc
    return int(number.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def parse_qty(value) -> int:
    """Read a non-negative whole quantity."""
    number = parse_money(value)
    if number < 0:
        raise ValueError(value)
    return number


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"), "dmy"),
    (re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$"),
     "dMy"),
)


def parse_local_datetime(value) -> datetime | None:
    """Read an export time (Excel date or text) as Vietnam time and return it in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, date):
        local = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        local = from_excel(value)
        if not isinstance(local, datetime):
            raise ValueError(value)
    else:
        text = cell_text(value)
        if not text:
            return None
        local = None
        for pattern, order in _DATE_PATTERNS:
            m = pattern.match(text)
            if not m:
                continue
            a, b, c, hh, mm, ss = m.groups()
            if order == "ymd":
                y, mo, d = int(a), int(b), int(c)
            elif order == "dmy":
                d, mo, y = int(a), int(b), int(c)
            else:
                d, y = int(a), int(c)
                mo = _MONTHS.get(b.lower())
                if mo is None:
                    raise ValueError(value)
            local = datetime(y, mo, d, int(hh or 0), int(mm or 0), int(ss or 0))
            break
        if local is None:
            raise ValueError(value)
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=VN_TZ).astimezone(UTC)


# ---------------------------------------------------------------- statuses (§5.3)

_CANCELLED = {"da huy", "huy", "cancelled", "canceled"}
_UNPAID = {"cho thanh toan", "unpaid"}
_IN_PROGRESS = {
    "dang giao", "da giao", "cho giao hang", "da van chuyen", "to ship", "shipped",
    "ready_to_ship", "ready to ship", "pending", "cho xac nhan", "cho lay hang",
    "dang van chuyen", "cho van chuyen", "cho giao", "to receive", "packed", "processing",
    "awaiting shipment", "awaiting collection", "in transit", "delivered", "da giao hang",
    "dang xu ly", "topack", "toship", "shipping",
}
_LAZADA_RETURNED = {
    "returned", "package returned", "in transit: returning to seller", "lost by 3pl",
    "damaged by 3pl", "package scrapped", "failed delivery",
}
# Goods that came back (any platform): counted as returns, never as cancelled orders.
_RETURNED = {
    "tra hang/hoan tien", "tra hang / hoan tien", "tra hang", "da tra hang", "hoan tien",
    "da hoan tien", "returned", "return/refund", "return / refund", "refunded",
    "return refund",
}
_SALE = {
    "shopee": {"hoan thanh", "completed"},
    "tiktok": {"da hoan tat", "completed", "hoan tat"},
    "lazada": {"delivered", "confirmed"},
}


@functools.lru_cache(maxsize=1024)
def classify_status(platform: str, raw: str, *, refund_initiator: str = "") -> tuple[str, bool]:
    """Return (status class, known?) for a raw status; unknown values are in_progress."""
    key = fold(raw)
    if platform == "lazada":
        if key in _LAZADA_RETURNED or fold(refund_initiator).startswith("only_refund"):
            return "returned", True
    if key in _RETURNED:
        return "returned", True
    if key in _CANCELLED:
        return "cancelled", True
    if key in _UNPAID:
        return "unpaid", True
    if key in _SALE[platform] or (platform == "shopee" and key.startswith("nguoi mua xac nhan")):
        return "sale", True
    if key in _IN_PROGRESS:
        return "in_progress", True
    return "in_progress", False


# ---------------------------------------------------------------- headers and platforms


class Headers:
    """Find columns by name: exact (NFC, trimmed) first, then case-insensitively."""

    def __init__(self, row: list):
        self.names = [norm_header(v) for v in row]
        self._exact: dict[str, int] = {}
        self._folded: dict[str, int] = {}
        for i, name in enumerate(self.names):
            if name:
                self._exact.setdefault(name, i)
                self._folded.setdefault(name.casefold(), i)

    def find(self, *names: str, exact_only: bool = False) -> int | None:
        for name in names:
            if name in self._exact:
                return self._exact[name]
        if exact_only:
            return None
        for name in names:
            i = self._folded.get(name.casefold())
            if i is not None:
                return i
        return None

    def has(self, *names: str) -> bool:
        return all(self.find(n) is not None for n in names)


def detect_platform(headers: Headers) -> tuple[str, str] | None:
    """Tell (platform, variant) from signature headers, or None (§5.1)."""
    if headers.has("Mã đơn hàng", "SKU phân loại hàng") and (
        headers.find("Trạng Thái Đơn Hàng", "Tình trạng đơn hàng") is not None
    ):
        return "shopee", "vi"
    if headers.has("Order ID", "SKU Reference No.", "Order Creation Date"):
        return "shopee", "en"
    if headers.has("Order ID", "Seller SKU", "Created Time", "Order Substatus"):
        return "tiktok", "current"
    if headers.has("orderItemId", "orderNumber", "sellerSku", "createTime"):
        return "lazada", "current"
    if headers.has("Order Item Id", "Order Number", "Seller SKU"):
        return "lazada", "old-csv"
    return None


# Column names per field; the first that exists wins (case-insensitive fallback).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "shopee": {
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
    },
    "lazada": {
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
    },
    "tiktok": {
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
    },
}
# Shopee's line-level total differs from the order-level one only by letter case, so it is
# matched exactly: an order-level column must never be summed across lines.
SHOPEE_LINE_TOTAL = ("Tổng số tiền Người mua thanh toán",)


# ---------------------------------------------------------------- reading files


# Limits checked before and while reading, so no file can hold a worker for long: a whole
# year of a busy stall's orders fits (160,000 lines), a sheet claiming more is refused at once.
MAX_ROWS = 200_000
MAX_COLUMNS = 256
MAX_SHEETS = 20
MAX_XML_BYTES = 1024 * 1024 * 1024  # uncompressed size of all parts (zip bombs)
_PEEK_ROWS = 20


def _too_big(filename: str) -> ImportFileError:
    return ImportFileError(filename, _(
        "tệp quá lớn: tối đa %(rows)s dòng và %(cols)s cột mỗi tệp.",
        rows=f"{MAX_ROWS:,}".replace(",", "."), cols=MAX_COLUMNS))


def _check_archive(filename: str, data: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_XML_BYTES:
            raise _too_big(filename)


def _iter_sheet(filename: str, ws, width: int):
    """Yield a sheet's rows as lists of `width` values, refusing rows beyond the cap at once.

    openpyxl's own read-only iteration pads a jump to row 1,048,576 with empty rows and sizes
    rows by the far-right cell; this walks the same streaming parser without either.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    limit = MAX_ROWS + _PEEK_ROWS
    workbook = ws.parent
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source, ws._shared_strings, data_only=True, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
        )
        expected = 1
        for index, cells in parser.parse():
            if index > limit:
                raise _too_big(filename)
            while expected < index:  # rows the file leaves out are empty
                yield [None] * width
                expected += 1
            row = [None] * width
            for cell in cells:
                if cell["column"] <= width:
                    row[cell["column"] - 1] = cell["value"]
            yield row
            expected = index + 1


def _sheet_rows(filename: str, ws) -> tuple[Headers | None, int, Iterator[list]]:
    """Open one sheet within the row and column caps, whatever its <dimension> claims.

    Return its header, its declared row count and an iterator over its rows (header first).
    """
    declared_rows, declared_cols = ws.max_row, ws.max_column
    if (declared_rows or 0) > MAX_ROWS + _PEEK_ROWS or (declared_cols or 0) > MAX_COLUMNS:
        raise _too_big(filename)
    # A missing or wrong <dimension> must neither cut columns off nor pad rows to its size:
    # the header row decides the width.
    head = []
    for row in _iter_sheet(filename, ws, MAX_COLUMNS):
        head.append(row)
        if len(head) == _PEEK_ROWS:
            break
    header = next((r for r in head if any(v not in (None, "") for v in r)), None)
    if header is None:
        return None, 0, iter(())
    width = max(i for i, v in enumerate(header) if v not in (None, "")) + 1
    return Headers(header[:width]), declared_rows or 0, _iter_sheet(filename, ws, width)


def _broken_xlsx(filename: str) -> ImportFileError:
    return ImportFileError(filename, _("tệp Excel bị hỏng hoặc không đọc được."))


def _xlsx_rows(filename: str, data: bytes) -> tuple[int, Iterator[list]]:
    """Open the sheet holding the export: its estimated row count and its rows, streamed."""
    import openpyxl

    try:
        _check_archive(filename, data)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl errors all mean "broken file"
        raise _broken_xlsx(filename) from exc
    try:
        sheets = workbook.worksheets[:MAX_SHEETS]
        preferred = [ws for ws in sheets if ws.title in ("orders", "OrderSKUList")]
        fallback: list[list] = []
        for ws in preferred + [ws for ws in sheets if ws not in preferred]:
            headers, declared, rows = _sheet_rows(filename, ws)
            if headers is not None and detect_platform(headers) is not None:
                return declared, _closing(filename, workbook, rows)
            if headers is not None and not fallback:
                fallback = [headers.names]  # not an export: parse_file says so
    except ImportFileError:
        workbook.close()
        raise
    except Exception as exc:
        workbook.close()
        raise _broken_xlsx(filename) from exc
    workbook.close()
    return len(fallback), iter(fallback)


def _closing(filename: str, workbook, rows: Iterator[list]) -> Iterator[list]:
    """Yield the rows, then close the workbook; a broken part is a clear error."""
    try:
        yield from rows
    except ImportFileError:
        raise
    except Exception as exc:
        raise _broken_xlsx(filename) from exc
    finally:
        workbook.close()


def _capped(filename: str, reader) -> Iterator[list]:
    try:
        for count, row in enumerate(reader, start=1):
            if count > MAX_ROWS + _PEEK_ROWS:
                raise _too_big(filename)
            yield row[:MAX_COLUMNS]
    except csv.Error as exc:  # a field over csv's size limit, a stray NUL, …
        raise ImportFileError(filename, _("tệp CSV bị hỏng hoặc không đọc được.")) from exc


def _csv_rows(filename: str, data: bytes) -> tuple[int, Iterator[list]]:
    """The CSV's estimated row count and its rows, decoded and read as they are needed."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            stream = io.StringIO(data.decode("utf-16"), newline="")
        except UnicodeDecodeError as exc:
            raise ImportFileError(filename, _("tệp CSV không phải mã UTF-8.")) from exc
        if "\x00" in stream.getvalue():
            raise ImportFileError(filename, _("tệp không phải CSV hay Excel."))
    else:
        if b"\x00" in data:
            raise ImportFileError(filename, _("tệp không phải CSV hay Excel."))
        try:
            data[:4096].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < 4090:  # not a character cut at the sample's end
                raise ImportFileError(filename, _("tệp CSV không phải mã UTF-8.")) from exc
        stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    estimate = data.count(b"\n") + 1
    try:
        if estimate > MAX_ROWS + _PEEK_ROWS:  # maybe (quoted fields hold line breaks): count
            for _row in _capped(filename, csv.reader(stream)):
                pass
            stream.seek(0)
        first = stream.readline()
        stream.seek(0)
    except UnicodeDecodeError as exc:
        raise ImportFileError(filename, _("tệp CSV không phải mã UTF-8.")) from exc
    for delimiter in (";", ",", "\t"):
        if delimiter not in first:
            continue
        head = next(csv.reader(io.StringIO(first, newline=""), delimiter=delimiter), [])
        if detect_platform(Headers(head)) is not None:
            return estimate, _decoded(filename, _capped(filename, csv.reader(
                stream, delimiter=delimiter)))
    return estimate, _decoded(filename, _capped(filename, csv.reader(stream)))


def _decoded(filename: str, rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except UnicodeDecodeError as exc:
        raise ImportFileError(filename, _("tệp CSV không phải mã UTF-8.")) from exc


def iter_rows(filename: str, data: bytes) -> tuple[int, Iterator[list]]:
    """Open an XLSX or CSV file: its estimated row count and its rows, read one at a time."""
    if not data:
        raise ImportFileError(filename, _("tệp trống."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx_rows(filename, data)
    return _csv_rows(filename, data)


def read_rows(filename: str, data: bytes) -> list[list]:
    """Read every row of an XLSX or CSV file (the first non-empty row is the header)."""
    return list(iter_rows(filename, data)[1])


# ---------------------------------------------------------------- parsing


class _Row:
    """A data row seen through the header, with conversion errors that name the cell."""

    def __init__(self, filename: str, number: int, values: list, headers: Headers, cols: dict):
        self.filename, self.number, self.values = filename, number, values
        self.headers, self.cols = headers, cols

    def raw(self, key: str):
        i = self.cols.get(key)
        if i is None or i >= len(self.values):
            return None
        return self.values[i]

    def text(self, key: str) -> str:
        return cell_text(self.raw(key))

    def convert(self, key: str, fn):
        try:
            return fn(self.raw(key))
        except (ValueError, TypeError, OverflowError) as exc:
            column = self.headers.names[self.cols[key]]
            raise ImportFileError(self.filename, _(
                "dòng %(row)s, cột “%(col)s”: giá trị “%(value)s” không đọc được.",
                row=self.number, col=column, value=cell_text(self.raw(key))[:40],
            )) from exc


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
    cols = {key: headers.find(*names) for key, names in COLUMNS[platform].items()}
    cols = {k: v for k, v in cols.items() if v is not None}
    if platform == "shopee":
        line_total = headers.find(*SHOPEE_LINE_TOTAL, exact_only=True)
        if line_total is not None:
            cols["line_total"] = line_total
    required = {"order_id", "status", "created"} | ({"qty"} if platform != "lazada" else set())
    missing = sorted(required - cols.keys())
    if missing:
        names = ", ".join(COLUMNS[platform][k][0] for k in missing)
        raise ImportFileError(filename, _("thiếu cột bắt buộc: %(cols)s.", cols=names))

    result = ParseResult(filename=filename, platform=platform, variant=variant)
    seen_in_order: Counter = Counter()
    seen_keys: Counter = Counter()
    shared: dict[str, str] = {}  # one copy of each repeated text (statuses, names, SKUs)
    for offset, values in enumerate(rows, start=header_index + 2):
        if progress is not None and offset % PROGRESS_EVERY == 0:
            progress(offset, expected)
        if not any(cell_text(v) for v in values):
            continue
        row = _Row(filename, offset, values, headers, cols)
        order_id = row.text("order_id")
        if platform == "tiktok" and not order_id.isdigit():
            result.skipped.append((offset, _("dòng mô tả cột, không phải đơn hàng")))
            continue
        if not order_id:
            result.skipped.append((offset, _("thiếu mã đơn hàng")))
            continue
        line = _parse_line(platform, row, order_id, seen_in_order, seen_keys)
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


def _parse_line(platform: str, row: _Row, order_id: str, seen_in_order: Counter,
                seen_keys: Counter) -> ParsedLine:
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

    if platform == "shopee":
        qty = row.convert("qty", parse_qty)
        returned = row.convert("returned", parse_qty) if "returned" in row.cols else 0
        seen_in_order[order_id] += 1
        line_key = f"{order_id}#{seen_in_order[order_id]}"
        if "line_total" in row.cols and row.text("line_total"):
            net = row.convert("line_total", parse_money)
        elif "subtotal" in row.cols and row.text("subtotal"):
            net = row.convert("subtotal", parse_money)
        else:
            net = row.convert("deal_price", parse_money) * qty if "deal_price" in row.cols else 0
        province = row.text("province")
    elif platform == "lazada":
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
    else:
        qty = row.convert("qty", parse_qty)
        returned = row.convert("returned", parse_qty) if "returned" in row.cols else 0
        base = f"{order_id}:{row.text('sku_id') or sku}"
        seen_keys[base] += 1
        line_key = base if seen_keys[base] == 1 else f"{base}#{seen_keys[base]}"
        net = row.convert("net", parse_money) if "net" in row.cols else 0
        province = row.text("province")

    if status_class == "returned":
        returned = qty  # the whole line came back, whatever the return column says
    return ParsedLine(
        platform=platform, order_id=order_id[:40], line_key=line_key[:120], created_at=created,
        paid_at=paid, status_raw=status_raw[:120], status_class=status_class,
        status_known=known, product_name=name[:255], seller_sku=sku[:120],
        variation=variation[:255], qty=qty, returned_qty=min(returned, qty), net_amount=net,
        buyer_province=province[:80], source_file=row.filename[:255], source_row=row.number,
    )
