"""The reports' SQL engine: a scope's facts read once, on either backend.

Vietnam-day and hour bucketing, exact sums of grams and quantities, temporary tables and the
planner workarounds of both backends live here; what a report covers is reports.scope, what its
figures mean is reports.figures; the grouped sums over the facts are reports.sums.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, ColumnElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.formatting import local_day_bounds
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order, OrderLine
from marketplace.payments.models import Payment, PaymentKind, counts_in_figures

if TYPE_CHECKING:
    from marketplace.reports.scope import Scope

COUNTED_IMPORT = ("sale", "in_progress")  # imported lines that are (or will be) sales

# --- both backends: days, hours, exact sums --------------------------------------------------

VN_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh, no daylight saving time since 1975
KG = Decimal("0.001")
_VN_OFFSET = sa.literal_column(f"INTERVAL '{VN_OFFSET_HOURS} hours'")


def dialect() -> str:
    """Return the name of the session's database backend (sqlite or postgresql)."""
    return db.session.get_bind().dialect.name


def local_day(column) -> sa.ColumnElement:
    """Return a SQL expression bucketing a UTC timestamp column by Vietnam calendar day."""
    if dialect() == "postgresql":
        # A fixed offset: timezone(interval, …) is plain arithmetic, twice as fast as looking
        # up 'Asia/Ho_Chi_Minh' for every row, and the same for every date since 1975.
        return sa.func.date(sa.func.timezone(_VN_OFFSET, column))
    # SQLite stores UTC as text 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    return sa.func.date(column, f"+{VN_OFFSET_HOURS} hours")


def local_hour(column) -> sa.ColumnElement:
    """Return a SQL expression giving the Vietnam hour (0-23) of a UTC timestamp column."""
    if dialect() == "postgresql":
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


# --- building blocks -------------------------------------------------------------------------

LIVE = Order.status != "cancelled"
# Confirmed: not cancelled and either fully paid or handed over.
_confirmed = sa.and_(LIVE, sa.or_(Order.paid_amount >= Order.total, Order.status == "fulfilled"))
# Weights are summed as whole grams (weights have 3 decimals): integer sums are exact on both
# backends and much cheaper than NUMERIC arithmetic on PostgreSQL.
_line_grams = sa.cast(sa.func.round(OrderLine.quantity * OrderLine.net_weight_kg * 1000),
                      sa.BigInteger)

# Quantities likewise, as whole thousandths of the selling unit (1,5 kg -> 1500): exact sums
# of weighed sales on both backends (SQLite holds NUMERIC as floating point).
_line_milli = sa.cast(sa.func.round(OrderLine.quantity * 1000), sa.BigInteger)

_imp = ImportedSaleLine
_imp_net_qty = _imp.qty - _imp.returned_qty
_imp_weight = sa.func.coalesce(_imp.net_weight_kg, Product.net_weight_kg, 0)
# The line's buyer-paid amount covers returned units too: keep the share of units kept.
_imp_net_vnd = sa.case((_imp.qty > 0, (_imp.net_amount * _imp_net_qty) // _imp.qty), else_=0)
_imp_grams = sa.cast(sa.func.round(_imp_net_qty * _imp_weight * 1000), sa.BigInteger)
_imp_counted = _imp.status_class.in_(COUNTED_IMPORT)
_imp_returned = _imp.status_class == "returned"
# Returns: a whole returned line, or the returned units of a counted line (VND and grams).
_imp_returned_vnd = sa.case((_imp_returned, _imp.net_amount),
                            (_imp_counted, _imp.net_amount - _imp_net_vnd), else_=0)
_imp_returned_grams = sa.cast(sa.func.round(sa.case(
    (_imp_returned, _imp.qty), (_imp_counted, _imp.returned_qty), else_=0,
) * _imp_weight * 1000), sa.BigInteger)
_imp_order_key = _imp.platform + ":" + _imp.external_order_id


def sum_if(cond, value):
    """Sum value over the rows where cond holds."""
    return sa.func.sum(sa.case((cond, value), else_=0))


class Unindexed(ColumnElement):
    """A column SQLite must not look up through an index ("+column"); the column elsewhere."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _compile_unindexed(element, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _compile_unindexed_sqlite(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


# --- the scope's facts, read once ------------------------------------------------------------
#
# A report reads the scope's order lines once into a temporary table (one row per line, with
# its order's day, stall, channel, status…), folds them into one row per order, reads the
# imported lines in scope likewise, and runs every total and breakdown as a grouped query over
# those small tables. Single figures (a board, one exported table) use the same queries over
# inline subqueries instead, which costs one read of the scope per statement.


class _CreateTempAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS <select> (dropped at commit on PostgreSQL)."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select):
        self.name = name
        self.select = select


@compiles(_CreateTempAs)
def _compile_create_temp_as(element, compiler, **kw) -> str:
    on_commit = " ON COMMIT DROP" if compiler.dialect.name == "postgresql" else ""
    return (f"CREATE TEMPORARY TABLE {compiler.preparer.quote(element.name)}{on_commit} AS "
            f"{compiler.process(element.select, **kw)}")


LINE_FACTS = ("order_id", "live", "confirmed", "paid", "day", "hour", "stall_id", "channel",
              "fulfilment", "fee", "product_id", "category", "unit", "qty", "vnd", "grams")
# fee: the order's delivery fee, kept apart from its goods (vnd) in every figure.
ORDER_FACTS = ("order_id", "live", "confirmed", "paid", "day", "hour", "stall_id", "channel",
               "fulfilment", "fee", "qty", "vnd", "grams", "refunded")
IMPORTED_FACTS = ("order_key", "counted", "sale", "returned", "day", "stall_id", "channel",
                  "product_id", "category", "unit", "qty", "vnd", "grams", "amount",
                  "returned_vnd", "returned_grams")


def flag(cond) -> sa.ColumnElement:
    """1 where cond holds, else 0 (a column the facts' sums can add)."""
    return sa.case((cond, 1), else_=0)


def _read_by_product(scope: Scope) -> bool:
    """On SQLite, whether to read a campaign's lines through its products, not its period.

    SQLite (without STAT4) guesses a date range is selective and walks every order of a
    long period, then all their lines (1M lines for a year: seconds). When fewer lines hold
    the campaign's products than there are orders in the period, going product -> lines (a
    covering index) -> order is the cheaper road. Two index-only counts decide.
    """
    if scope.products is None or scope.period is None or dialect() != "sqlite":
        return False
    start, end = scope.period
    n_lines = db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine)
                                .where(OrderLine.product_id.in_(scope.products)))
    n_orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order)
                                 .where(Order.placed_at >= start, Order.placed_at < end))
    return n_lines < 2 * n_orders


def _line_facts(scope: Scope, hours: bool) -> sa.Select:
    """SELECT one row per order line in scope, with the facts of its order."""
    return scope.lines(
        OrderLine.order_id.label("order_id"),
        flag(LIVE).label("live"),
        flag(_confirmed).label("confirmed"),
        flag(Order.paid_amount >= Order.total).label("paid"),
        local_day(Order.placed_at).label("day"),
        (local_hour(Order.placed_at) if hours else sa.null()).label("hour"),
        Order.stall_id.label("stall_id"),
        Order.channel.label("channel"),
        Order.fulfilment.label("fulfilment"),
        Order.delivery_fee.label("fee"),
        OrderLine.product_id.label("product_id"),
        Product.category.label("category"),
        OrderLine.unit.label("unit"),
        _line_milli.label("qty"),
        OrderLine.line_total.label("vnd"),
        _line_grams.label("grams"),
        with_product=True,
        by_product=_read_by_product(scope),
    )


def _payment_sums(order_ids) -> sa.Subquery:
    """Per order: money received and refunded, corrections left out, with the order's total."""
    amount = Payment.amount
    return (
        sa.select(
            Payment.order_id.label("order_id"),
            sum_if(Payment.kind == PaymentKind.PAYMENT.value, amount).label("received"),
            (-sum_if(Payment.kind == PaymentKind.REFUND.value, amount)).label("refunded"),
            Order.total.label("total"),
        )
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.order_id.in_(order_ids), counts_in_figures())
        .group_by(Payment.order_id, Order.total)
        .subquery("report_order_payments")
    )


def revenue_refund(live, vnd, received, refunded, total) -> sa.ColumnElement:
    """SQL: how much of an order's refunds lowers its net revenue.

    Only a live order's refunds count (a cancelled order's sale is gone already); money
    refunded out of a surplus (paid twice, a late card payment) never was revenue; and an
    order cannot lose more than its sale in scope.
    """
    surplus = sa.case((received > total, received - total), else_=0)
    beyond = refunded - surplus
    return sa.func.coalesce(sa.case(
        (sa.and_(live == 1, beyond > vnd), vnd),
        (sa.and_(live == 1, beyond > 0), beyond),
        else_=0,
    ), 0)


def _order_facts(lines) -> sa.Select:
    """SELECT one row per order from its lines in scope (order facts are the same per line),
    with the part of its refunds that lowers net revenue."""
    same = [lines.c[name] for name in ORDER_FACTS[1:-4]]
    # SQLite groups by the id alone and reads the order's facts off any of its lines (a bare
    # column: half the sorting); PostgreSQL wants them in the GROUP BY (hashing them is
    # cheaper than max() over text).
    keys = [lines.c.order_id] if dialect() == "sqlite" else [lines.c.order_id, *same]
    # BIGINT, not the NUMERIC PostgreSQL's sum(bigint) returns: every later sum over the
    # orders adds machine integers instead of decimals.
    grouped = sa.select(
        lines.c.order_id, *same,
        *(sa.cast(sa.func.sum(lines.c[name]), sa.BigInteger).label(name)
          for name in ("qty", "vnd", "grams")),
    ).group_by(*keys).subquery("report_grouped")
    paid = _payment_sums(sa.select(lines.c.order_id))
    refunded = revenue_refund(grouped.c.live, grouped.c.vnd, paid.c.received, paid.c.refunded,
                              paid.c.total)
    return (
        sa.select(*grouped.c, sa.cast(refunded, sa.BigInteger).label("refunded"))
        .select_from(grouped)
        .outerjoin(paid, paid.c.order_id == grouped.c.order_id)
    )


def _imported_facts(scope: Scope) -> sa.Select | None:
    """SELECT one row per imported line in scope, or None if imports do not count."""
    return scope.imported(
        _imp_order_key.label("order_key"),
        flag(_imp_counted).label("counted"),
        flag(_imp.status_class == "sale").label("sale"),
        flag(_imp_returned).label("returned"),
        local_day(_imp.created_at_source).label("day"),
        _imp.stall_id.label("stall_id"),
        (sa.literal("imported:") + _imp.platform).label("channel"),
        _imp.product_id.label("product_id"),
        Product.category.label("category"),
        sa.func.coalesce(Product.unit, "").label("unit"),
        (_imp_net_qty * 1000).label("qty"),
        _imp_net_vnd.label("vnd"),
        _imp_grams.label("grams"),
        _imp.net_amount.label("amount"),
        _imp_returned_vnd.label("returned_vnd"),
        _imp_returned_grams.label("returned_grams"),
    )


@dataclass
class Facts:
    """The scope's lines, orders and imported lines, as tables or subqueries to group."""

    lines: sa.FromClause
    orders: sa.FromClause
    imported: sa.FromClause | None


def _temp_table(select: sa.Select, prefix: str, columns) -> sa.TableClause:
    name = f"{prefix}_{secrets.token_hex(6)}"
    db.session.execute(_CreateTempAs(name, select))
    return sa.table(name, *[sa.column(c) for c in columns])


def _pg_report_settings() -> None:
    # Short analytic statements: JIT compilation costs more than it saves, and grouping
    # 100k+ rows wants more than the default 4 MB per sort/hash. The ANALYZE of the orders
    # table only needs its row count, so it samples 3,000 rows instead of 30,000 (80 -> 11 ms
    # for 126,000 orders). All last until the end of the transaction only (set_config(...,
    # true) is SET LOCAL).
    db.session.execute(sa.select(sa.func.set_config("jit", "off", True),
                                 sa.func.set_config("work_mem", "64MB", True),
                                 sa.func.set_config("default_statistics_target", "10", True)))


@contextmanager
def scope_facts(scope: Scope, *, hours: bool = False, temp: bool = True) -> Iterator[Facts]:
    """Read the scope once into temporary tables (temp=False: inline subqueries) and yield them.

    The tables have a unique name per call and are dropped afterwards (and at commit on
    PostgreSQL), so concurrent reports and pooled connections never see each other's.
    """
    postgresql = dialect() == "postgresql"
    if not temp:
        lines = _line_facts(scope, hours).subquery("report_lines")
        imported = _imported_facts(scope)
        yield Facts(lines, _order_facts(lines).subquery("report_orders"),
                    None if imported is None else imported.subquery("report_imported"))
        return
    if postgresql:
        _pg_report_settings()
    made: list[sa.TableClause] = []
    try:
        lines = _temp_table(_line_facts(scope, hours), "report_lines", LINE_FACTS)
        made.append(lines)
        orders = _temp_table(_order_facts(lines), "report_orders", ORDER_FACTS)
        made.append(orders)
        imported = _imported_facts(scope)
        if imported is not None:
            imported = _temp_table(imported, "report_imported", IMPORTED_FACTS)
            made.append(imported)
        if postgresql:
            # Temporary tables are never auto-analysed: without row counts the planner hashes
            # the whole payment table to join it to a fair's few orders.
            db.session.execute(sa.text(f"ANALYZE {orders.name}"))
        yield Facts(lines, orders, imported)
    finally:
        for table in made:
            # After a failed statement PostgreSQL refuses the DROP; the rollback drops them.
            with suppress(sa.exc.SQLAlchemyError):
                db.session.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


STREAM_BATCH = 1000


def stream(stmt: sa.Select) -> Iterator[sa.Row]:
    """Yield the rows of a (large) SELECT one by one, fetched in batches."""
    yield from db.session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
