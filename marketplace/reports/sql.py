"""SQL helpers for reports: Vietnam-day and hour bucketing, decimal sums, on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.formatting import local_day_bounds

VN_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh, no daylight saving time since 1975
KG = Decimal("0.001")
_VN_OFFSET = sa.literal_column(f"INTERVAL '{VN_OFFSET_HOURS} hours'")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def local_day(column) -> sa.ColumnElement:
    """Return a SQL expression bucketing a UTC timestamp column by Vietnam calendar day."""
    if _dialect() == "postgresql":
        # A fixed offset: timezone(interval, …) is plain arithmetic, twice as fast as looking
        # up 'Asia/Ho_Chi_Minh' for every row, and the same for every date since 1975.
        return sa.func.date(sa.func.timezone(_VN_OFFSET, column))
    # SQLite stores UTC as text 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    return sa.func.date(column, f"+{VN_OFFSET_HOURS} hours")


def local_hour(column) -> sa.ColumnElement:
    """Return a SQL expression giving the Vietnam hour (0-23) of a UTC timestamp column."""
    if _dialect() == "postgresql":
        return sa.cast(sa.extract("hour", sa.func.timezone(_VN_OFFSET, column)), sa.Integer)
    return sa.cast(sa.func.strftime("%H", column, f"+{VN_OFFSET_HOURS} hours"), sa.Integer)


def as_date(value) -> date | None:
    """Normalise a day bucket from either backend (date or 'YYYY-MM-DD') to a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Return [start, end) in UTC covering Vietnam days first..last inclusive."""
    return local_day_bounds(first)[0], local_day_bounds(last + timedelta(days=1))[0]


def kg(grams) -> Decimal:
    """Turn a SQL sum of whole grams (int, Decimal on PostgreSQL, or None) into kg."""
    return (Decimal(int(grams or 0)) / 1000).quantize(KG)


def qty(thousandths) -> int | Decimal:
    """Turn a SQL sum of quantities in thousandths into the quantity: 3000 -> 3, 1500 -> 1.5."""
    q = (Decimal(int(thousandths or 0)) / 1000).quantize(KG)
    return int(q) if q == q.to_integral_value() else q


def num(value) -> int:
    """Turn a SQL sum of integers (or None) into an int."""
    return int(value or 0)
