"""Open an XLSX or CSV export within the row, column and size caps, and stream its rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from marketplace.imports.parsers.cells import Headers, ImportFileError, _
from marketplace.imports.parsers.platforms import detect_platform

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
