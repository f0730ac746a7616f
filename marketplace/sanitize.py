"""Clean text at input, escape cells for exports, compare secrets: one place for each."""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from marketplace.errors import ValidationError

# Kept in free text (descriptions, notes, addresses); every other control character goes.
_KEPT_IN_TEXT = frozenset("\n\t")
# Categories that never belong in text a person typed: controls (Cc), format characters (Cf:
# zero-width spaces and joiners, bidi overrides and isolates, soft hyphen, BOM), lone
# surrogates (Cs, not even encodable as UTF-8) and private use (Co).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
# Line and paragraph separators (Zl, Zp) break a line like a newline.
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"\s+")

# OWASP CSV injection: a spreadsheet treats a cell starting with these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _strip(text: str, kept: frozenset[str]) -> str:
    return "".join(
        c for c in text if c in kept or unicodedata.category(c) not in _DROPPED_CATEGORIES
    )


def clean_text(value: Any, *, multiline: bool = True) -> str:
    """Return typed text in NFC without control, zero-width or bidi characters, trimmed.

    Free text keeps its newlines (as \\n) and tabs; single-line text turns every run of
    whitespace into one space.
    """
    if value is None:
        return ""
    text = _LINE_BREAKS.sub("\n", str(value))
    text = unicodedata.normalize("NFC", _strip(text, _KEPT_IN_TEXT))
    if not multiline:
        return _SPACES.sub(" ", text).strip()
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def text_field(value: Any, field: str, max_len: int, *, required: bool = False,
               missing: str | None = None, multiline: bool = False) -> str:
    """Read one typed text field for a service: cleaned, required if asked, at most max_len.

    Errors name the field (``ValidationError``), so forms show them beside it.
    """
    text = clean_text(value, multiline=multiline)
    if required and not text:
        raise ValidationError(field, str(missing or _("Vui lòng điền mục này.")))
    if len(text) > max_len:
        raise ValidationError(field, _("Tối đa %(n)s ký tự.", n=max_len))
    return text


def clean_name(value: Any) -> str:
    """Return a name (of a product, stall, fair, campaign, person) as one clean line."""
    return clean_text(value, multiline=False)


def has_nul(value: str) -> bool:
    """Tell whether text holds a NUL byte (PostgreSQL refuses them in text)."""
    return "\x00" in value


def secret_matches(given: Any, expected: str | None) -> bool:
    """Compare a secret from a link with the stored one in constant time, any input."""
    if not given or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def export_text(value: Any, *, quote_formulas: bool = True) -> str:
    """Make a text cell safe for a spreadsheet: no control characters, no live formula.

    CSV cells that would start a formula get a leading apostrophe (OWASP); XLSX cells are
    written as typed strings instead, so they keep their text as is.
    """
    text = _strip(str(value), frozenset())
    text = unicodedata.normalize("NFC", text)
    if quote_formulas and text.lstrip(" ")[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """Return a value for a CSV writer: numbers as they are, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | date):
        return value
    return export_text(value)


def unquote_csv_cell(cell: str) -> str:
    """Undo the apostrophe csv_cell puts before formula-like text (for re-import)."""
    cell = cell.strip()
    if cell[:1] == "'" and cell[1:].lstrip(" ")[:1] in FORMULA_PREFIXES:
        return cell[1:]
    return cell


# ---------------------------------------------------------------- request guards

# Row ids are 32-bit on PostgreSQL (INTEGER); larger numbers can name nothing.
MAX_ID = 2**31 - 1


def int_arg(raw: Any, *, default: int | None = None, low: int = 0,
            high: int = MAX_ID) -> int | None:
    """Read a whole number from a query string or form; default when absent or out of range."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return default
    number = int(text)
    return number if low <= number <= high else default


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return has_nul(value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def register_input_guards(app) -> None:
    """Refuse NUL bytes anywhere in a request, and bound the ids routes take from the path."""
    from flask import request
    from flask_babel import gettext as _
    from werkzeug.routing import IntegerConverter

    from marketplace.errors import ValidationError

    class BoundedIntConverter(IntegerConverter):
        """An <int:…> path part beyond any row id does not match (404), never overflows."""

        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL cannot store NUL in text, and no person types one: refuse it here once.
        values = [request.path, *request.args.keys(), *request.args.values()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += [*request.form.keys(), *request.form.values()]
            values += [f.filename or "" for f in request.files.values()]
        if request.is_json:
            values.append(request.get_json(silent=True))
        if any(_holds_nul(v) for v in values):
            raise ValidationError(None, _("Dữ liệu gửi lên chứa ký tự không hợp lệ."))


# A page number beyond this lists nothing anyway; it also keeps OFFSET inside BIGINT.
MAX_PAGE = 100_000
# Dates people type (fairs, campaigns, harvests, reports) lie within these years.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)


def date_in_range(value: date | None) -> bool:
    """Tell whether a typed date lies within 1900–2100 (None is fine: no date)."""
    if value is None:
        return True
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    return MIN_DATE <= day <= MAX_DATE


def parse_day(raw: Any) -> date | None:
    """Read an ISO day from a query string; None when absent, malformed or out of range."""
    if not raw or not isinstance(raw, str) or not raw.isascii():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if date_in_range(day) else None


def row_id(value: Any) -> int:
    """Coerce a posted row id for a form field; ValueError beyond any row id (a field error)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = int_arg(value, default=-1, low=0)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number
