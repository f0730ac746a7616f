"""Reading one cell of an export: header names, text, VND amounts, quantities and Vietnam times,
and a data row seen through its header, whose conversion errors name the cell."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import has_request_context
from flask_babel import gettext

from marketplace.errors import ValidationError
from marketplace.formatting import VN_TZ


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


# ---------------------------------------------------------------- text

_TRIM = " \t\r\n\ufeff\u00a0\u200b"


def norm_header(value) -> str:
    """NFC-normalise and trim a header cell (tabs, BOM, non-breaking spaces)."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip(_TRIM)


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


# ---------------------------------------------------------------- headers and rows


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


class Row:
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

