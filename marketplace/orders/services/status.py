"""Status changes: a seller's steps, cancelling (stock back, money back), unpaid expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.models import Product
from marketplace.database import utcnow
from marketplace.errors import Conflict, DomainError, ValidationError
from marketplace.extensions import db
from marketplace.formatting import format_vnd
from marketplace.once import services as once_svc
from marketplace.orders import signals
from marketplace.orders.models import Channel, Order, OrderStatus, OrderStatusEvent
from marketplace.orders.services.cart import CASH, UNPAID_METHODS
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import text_field

# Which statuses an order may move to, from which.
_FROM = {
    OrderStatus.CONFIRMED: (OrderStatus.PLACED,),
    OrderStatus.READY: (OrderStatus.PLACED, OrderStatus.CONFIRMED),
    OrderStatus.FULFILLED: (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY),
    OrderStatus.CANCELLED: (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY),
}
# The steps a seller takes with the status buttons (cancelling has its own form and reason).
SELLER_STEPS = frozenset({OrderStatus.CONFIRMED, OrderStatus.READY, OrderStatus.FULFILLED})


class PaymentOutstanding(Conflict):
    """Handing over an order not fully paid needs the seller's confirmation."""

    def __init__(self, owed: int):
        super().__init__(_("Khách còn nợ %(owed)s.", owed=format_vnd(owed)))
        self.owed = owed


# --- status changes ---------------------------------------------------------------------------


def change_status(order: Order, new_status: str, *, by_id: int | None, reason: str = "",
                  only_unpaid: bool = False, unpaid_ok: bool = False,
                  once: once_svc.Once | None = None) -> None:
    """Move an order to a new status once; cancelling returns stock and refunds card money.

    The status is changed by a conditional UPDATE, so of two racing changes only one wins and
    stock comes back exactly once. Handing over an order paid by transfer or card that is not
    fully paid raises PaymentOutstanding unless the seller confirmed it (unpaid_ok); a cash
    order handed over records the cash instead. With a form's one-time key (once), a repeat of
    that form answers as the first did instead of reporting a conflict.
    """
    if once is None:
        _change_status(order, new_status, by_id=by_id, reason=reason, only_unpaid=only_unpaid,
                       unpaid_ok=unpaid_ok)
        return
    code = order.code
    once_svc.run_once(once, lambda: _change_status(
        order, new_status, by_id=by_id, reason=reason, only_unpaid=only_unpaid,
        unpaid_ok=unpaid_ok, once=once), lambda ref: once_svc.same_result(ref, f"order:{code}"))
    db.session.refresh(order)


def _change_status(order: Order, new_status: str, *, by_id: int | None, reason: str,
                   only_unpaid: bool, unpaid_ok: bool, once: once_svc.Once | None = None) -> None:
    if once is not None:
        once_svc.claim(once, f"order:{order.code}")
    if new_status not in _FROM:
        raise ValidationError(None, _("Trạng thái không hợp lệ."))
    new_status = OrderStatus(new_status)
    if (new_status == OrderStatus.FULFILLED and order.payment_method != CASH and not unpaid_ok
            and order.status in [s.value for s in _FROM[new_status]]
            and (owed := order.owed) > 0):
        raise PaymentOutstanding(owed)
    values: dict = {"status": new_status.value}
    now = utcnow()
    if new_status == OrderStatus.CANCELLED:
        reason = text_field(reason, "reason", 255, required=True,
                       missing=_("Vui lòng ghi lý do hủy đơn."))
        values.update(cancelled_at=now, cancel_reason=reason)
    stmt = (
        sa.update(Order)
        .where(Order.id == order.id, Order.status.in_([s.value for s in _FROM[new_status]]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if only_unpaid:
        stmt = stmt.where(Order.paid_amount < Order.total)
    if db.session.execute(stmt).rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        raise Conflict(_("Đơn %(code)s đang ở trạng thái “%(status)s”, không đổi được.",
                         code=order.code, status=status_label(order.status)))
    # The UPDATE bypassed the ORM: tell the loaded order its new status, without a write.
    set_committed_value(order, "status", new_status.value)
    back_on_sale = False
    try:
        if new_status == OrderStatus.CANCELLED:
            for line in sorted(order.lines, key=lambda ln: ln.product_id):
                stock = db.session.execute(
                    sa.update(Product).where(Product.id == line.product_id)
                    .values(stock=sa.func.round(Product.stock + line.quantity, 3))
                    .returning(Product.stock)
                    .execution_options(synchronize_session=False)
                ).scalar()
                # it had sold out
                back_on_sale = back_on_sale or (
                    qty_rules.exact(stock) == qty_rules.exact(line.quantity))
        # The money that moves with it (payments: a refund, a cash order's cash).
        signals.require_receivers(signals.status_changing)
        signals.status_changing.send(change_status, order=order, by_id=by_id)
        db.session.add(OrderStatusEvent(order_id=order.id, status=new_status.value, at=now,
                                        by_id=by_id, note=reason))
        db.session.commit()
    except Exception:
        db.session.rollback()
        db.session.refresh(order)
        raise
    if back_on_sale:
        invalidate_product_pages()
    db.session.refresh(order)
    signals.status_changed.send(change_status, order=order, by_id=by_id)


def unpaid_deadline(order: Order) -> datetime | None:
    """Return when an unpaid order expires if still unpaid, or None if it never does.

    The same rule as expire_unpaid_orders: online orders placed by the shopper, to be paid by
    transfer or card, still in "placed".
    """
    if (order.status != OrderStatus.PLACED or order.channel != Channel.ONLINE
            or order.payment_method not in UNPAID_METHODS or order.created_by_id is not None):
        return None
    return order.placed_at + timedelta(
        minutes=current_app.config.get("ORDER_UNPAID_TTL_MINUTES", 60))


def expire_unpaid_orders(now: datetime | None = None) -> int:
    """Cancel online orders left unpaid (transfer/card) past the TTL; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=current_app.config.get("ORDER_UNPAID_TTL_MINUTES", 60))
    ids = list(db.session.scalars(
        sa.select(Order.id).where(
            Order.status == OrderStatus.PLACED.value,
            Order.channel == Channel.ONLINE.value,
            Order.payment_method.in_(UNPAID_METHODS),
            Order.created_by_id.is_(None),
            Order.paid_amount < Order.total,
            Order.placed_at < cutoff,
        ).order_by(Order.id)
    ))
    done = 0
    for order_id in ids:
        order = db.session.get(Order, order_id)
        try:
            change_status(order, OrderStatus.CANCELLED, by_id=None, only_unpaid=True,
                          reason=_("Quá hạn thanh toán, đơn tự hủy."))
        except Conflict:
            continue  # paid or changed meanwhile (another run, the seller): leave it
        except DomainError as exc:  # Stripe unreachable for a refund: the next run retries
            current_app.logger.warning("order %s not expired: %s", order.code, exc)
            continue
        done += 1
    return done


def status_label(status: str) -> str:
    from marketplace.orders.labels import STATUS

    return str(STATUS.get(status, status))
