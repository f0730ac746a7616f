"""The line-level tables of a report, only ever exported: streamed, never loaded whole."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order, OrderLine
from marketplace.reports.engine import stream
from marketplace.reports.scope import Scope, Target

_imp = ImportedSaleLine


@dataclass(frozen=True, slots=True)
class LineRow:
    """One order line with its order's facts; no customer data."""

    code: str
    placed_at: datetime
    stall: str
    product: str
    unit: str
    quantity: Decimal
    net_weight_kg: Decimal | None
    unit_price: int
    line_total: int
    channel: str
    fulfilment: str
    status: str
    paid: bool


@dataclass(frozen=True, slots=True)
class ImportedLineRow:
    """One line of a marketplace export (Shopee, Lazada, TikTok Shop)."""

    platform: str
    order_id: str
    created_at: datetime
    stall: str
    product: str
    sku: str | None
    qty: int
    returned_qty: int
    net_weight_kg: Decimal | None
    amount: int
    status: str
    status_raw: str


def order_lines_select(scope: Scope) -> sa.Select:
    """SELECT every order line in scope with its order's facts (LineRow's fields, in order)."""
    paid = sa.case((Order.paid_amount >= Order.total, True), else_=False)
    stmt = scope.lines(
        Order.code, Order.placed_at, Stall.name, OrderLine.product_name, OrderLine.unit,
        OrderLine.quantity, OrderLine.net_weight_kg, OrderLine.unit_price, OrderLine.line_total,
        Order.channel, Order.fulfilment, Order.status, paid,
    )
    return stmt.join(Stall, Stall.id == Order.stall_id).order_by(Order.placed_at, OrderLine.id)


def imported_lines_select(scope: Scope) -> sa.Select | None:
    """SELECT every imported line in scope (ImportedLineRow's fields); None without imports."""
    stmt = scope.imported(
        _imp.platform, _imp.external_order_id, _imp.created_at_source, Stall.name,
        _imp.product_name, _imp.seller_sku, _imp.qty, _imp.returned_qty,
        sa.func.coalesce(_imp.net_weight_kg, Product.net_weight_kg), _imp.net_amount,
        _imp.status_class, _imp.status_raw,
    )
    if stmt is None:
        return None
    return stmt.join(Stall, Stall.id == _imp.stall_id).order_by(_imp.created_at_source, _imp.id)


def stream_detail(target: Target, name: str) -> Iterator[LineRow | ImportedLineRow]:
    """Yield the order lines ("lines") or imported lines ("imported") of a report one by one."""
    if name == "lines":
        stmt, row_type = order_lines_select(target.scope), LineRow
    else:
        stmt, row_type = imported_lines_select(target.scope), ImportedLineRow
        if stmt is None:
            return
    for row in stream(stmt):
        yield row_type(*row)
