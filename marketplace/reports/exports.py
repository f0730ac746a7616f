"""Stream report tables as CSV (UTF-8 with BOM) or XLSX (write-only), in bounded memory."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from marketplace.reports.tables import Table
from marketplace.sanitize import csv_cell, export_text

BOM = "\ufeff"
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"vnd": "#,##0", "kg": "0.000", "int": "#,##0", "percent": "0.0"}
_FLUSH_ROWS = 500
_CHUNK = 64 * 1024


def csv_chunks(table: Table, rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield the table as CSV bytes, a few hundred rows at a time, starting with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([csv_cell(str(c.header)) for c in table.columns])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(c.export(row)) for c in table.columns])
        if n % _FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_cell(ws, value, number_format: str | None = None):
    """Return a write-only cell: text always as a string (never a formula), numbers formatted."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float | Decimal | date):
        cell = WriteOnlyCell(ws, value=value)
        if number_format:
            cell.number_format = number_format
        return cell
    cell = WriteOnlyCell(ws, value=export_text(value, quote_formulas=False))
    cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
    return cell


def xlsx_chunks(table: Table, rows: Iterable[dict]) -> Iterator[bytes]:
    """Yield the table as an XLSX file built by a write-only workbook with number formats."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=str(table.title)[:31])
    ws.append([xlsx_cell(ws, str(c.header)) for c in table.columns])
    formats = [NUMBER_FORMATS.get(c.kind) for c in table.columns]
    for row in rows:
        ws.append([
            xlsx_cell(ws, column.export(row), fmt)
            for column, fmt in zip(table.columns, formats, strict=True)
        ])
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk
    finally:
        os.unlink(path)
