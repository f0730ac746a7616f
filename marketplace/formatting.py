"""Show money as integer VND and times in Asia/Ho_Chi_Minh, the same way everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_vnd(amount: int | None) -> str:
    """Format integer VND the Vietnamese way: 45000 -> '45.000 ₫'."""
    if amount is None:
        return ""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


def format_number(value: int | float | Decimal | None, digits: int = 0) -> str:
    """Format a number with '.' thousands and ',' decimals (Vietnamese style)."""
    if value is None:
        return ""
    text = f"{float(value):,.{digits}f}" if digits else f"{int(round(value)):,}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_weight(value: int | float | Decimal | None) -> str:
    """A weight as precisely as it was recorded, without trailing zeros: 68, 16,1, 0,25."""
    if value is None:
        return ""
    exact = Decimal(str(value)).quantize(Decimal("0.001"))
    digits = 0 if exact == exact.to_integral_value() else -exact.normalize().as_tuple().exponent
    return format_number(exact, max(0, digits))


def to_local(dt: datetime | None) -> datetime | None:
    """Convert an aware UTC datetime to Vietnam time."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(VN_TZ)


def format_datetime_local(dt: datetime | None) -> str:
    """Show a stored UTC time as 'dd/mm/yyyy HH:MM' in Vietnam time."""
    local = to_local(dt)
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def format_date(d: date | datetime | None) -> str:
    """Show a date as dd/mm/yyyy (a datetime is first moved to Vietnam time)."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = to_local(d).date()
    return d.strftime("%d/%m/%Y")


def vn_now() -> datetime:
    """Return the current time in Vietnam (aware); the one place that reads the clock for it."""
    return datetime.now(UTC).astimezone(VN_TZ)


def vn_today() -> date:
    """Return today's Vietnam calendar day (UTC+7), whatever the machine's zone."""
    return vn_now().date()


def local_to_utc(naive_local: datetime) -> datetime:
    """Interpret a naive datetime typed in Vietnam time and return it in UTC."""
    return naive_local.replace(tzinfo=VN_TZ).astimezone(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return the UTC start and end (exclusive) of a Vietnam calendar day."""
    start = datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(UTC)
    end = datetime.combine(day, time.max, tzinfo=VN_TZ).astimezone(UTC)
    return start, end
