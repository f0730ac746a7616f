"""A stall's products as CSV: export, and import (all rows valid, or nothing saved)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.models import Product, Stall
from marketplace.catalog.services.products import (
    PRODUCT_FIELDS,
    REQUIRED_PRODUCT_FIELDS,
    clean_product,
    unused_code,
)
from marketplace.catalog.signals import announce_pages_changed
from marketplace.errors import DomainError, ValidationError
from marketplace.extensions import db
from marketplace.sanitize import csv_cell, unquote_csv_cell

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000
CSV_COLUMNS = ("code", *PRODUCT_FIELDS)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return csv_cell(str(value))


def export_products_csv(stall: Stall) -> bytes:
    """Write a stall's products as CSV (UTF-8 with BOM so Excel shows the accents)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for product in sorted(stall.products, key=lambda p: p.id):
        writer.writerow([_csv_cell(getattr(product, name)) for name in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class RowError:
    """Why one line of an uploaded CSV was refused."""

    line: int
    column: str | None
    reason: str


class ImportRejected(DomainError):
    """The CSV had bad rows; nothing from it was saved."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("Tệp có lỗi, chưa lưu gì."))
        self.errors = errors


@dataclass
class ImportResult:
    """How many products an import created and updated."""

    created: int = 0
    updated: int = 0
    codes: list[str] = field(default_factory=list)


def _csv_value(cell: str) -> str:
    """Undo the quote the export puts before formula-like cells."""
    return unquote_csv_cell(cell)


def _read_csv(raw: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not raw:
        raise ImportRejected([RowError(0, None, _("Tệp trống."))])
    if len(raw) > MAX_CSV_BYTES:
        raise ImportRejected([RowError(0, None, _("Tệp quá lớn (tối đa 2 MB)."))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            [RowError(0, None, _("Tệp phải lưu dạng CSV UTF-8."))]
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([RowError(0, None, _("Tệp trống."))]) from None
    except csv.Error as exc:
        raise ImportRejected([RowError(1, None, str(exc))]) from None
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise ImportRejected([RowError(start, None, _("Tệp có quá nhiều dòng."))])
            if len(cells) > len(header):
                rows.append((start, {"__error__": _("Dòng có nhiều ô hơn tiêu đề.")}))
                continue
            rows.append((start, dict(zip(header, map(_csv_value, cells), strict=False))))
    except csv.Error as exc:
        raise ImportRejected([RowError(line + 1, None, str(exc))]) from None
    return header, rows


def import_products_csv(stall: Stall, raw: bytes) -> ImportResult:
    """Create or update a stall's products from CSV: all rows valid, or nothing saved."""
    header, rows = _read_csv(raw)
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_PRODUCT_FIELDS if c not in header]
    if unknown or missing:
        errors = [RowError(1, col, _("Cột không được hỗ trợ.")) for col in unknown]
        errors += [RowError(1, col, _("Thiếu cột bắt buộc.")) for col in missing]
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, None, _("Tệp không có dòng sản phẩm nào."))])
    existing = {p.code: p for p in stall.products}
    errors: list[RowError] = []
    planned: list[tuple[Product | None, dict[str, Any]]] = []
    seen_codes: dict[str, int] = {}
    seen_gtins: dict[str, int] = {}
    for line, cells in rows:
        if "__error__" in cells:
            errors.append(RowError(line, None, cells["__error__"]))
            continue
        data = {k: v for k, v in cells.items() if k and k != "code"}
        code = (cells.get("code") or "").strip().upper()
        product = None
        if code:
            product = existing.get(code)
            if product is None:
                errors.append(RowError(line, "code", _("Mã %(code)s không thuộc gian hàng này.",
                                                       code=code)))
                continue
            if code in seen_codes:
                errors.append(RowError(line, "code", _("Mã %(code)s lặp lại (dòng %(n)s).",
                                                       code=code, n=seen_codes[code])))
                continue
            seen_codes[code] = line
        try:
            values = clean_product(data, product)
        except ValidationError as exc:
            errors.append(RowError(line, exc.field, exc.reason))
            continue
        gtin = values.get("gtin")
        if gtin:
            if gtin in seen_gtins:
                errors.append(RowError(line, "gtin", _("Mã GTIN lặp lại (dòng %(n)s).",
                                                       n=seen_gtins[gtin])))
                continue
            seen_gtins[gtin] = line
        planned.append((product, values))
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    for product, values in planned:
        if product is None:
            values.setdefault("active", True)
            product = Product(stall=stall, code=unused_code(), **values)
            db.session.add(product)
            db.session.flush()
            result.created += 1
        else:
            for name, value in values.items():
                setattr(product, name, value)
            result.updated += 1
        result.codes.append(product.code)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ImportRejected(
            [RowError(0, None, _("Dữ liệu trùng với sản phẩm khác (mã hoặc GTIN)."))]
        ) from None
    announce_pages_changed()
    return result
