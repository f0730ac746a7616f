"""Payment ledger use cases: record, correct and refund payments; VietQR for orders and stalls."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace import vietqr
from marketplace.catalog.models import Stall
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.once import services as once_svc
from marketplace.orders import signals as order_signals
from marketplace.orders import writer as order_writer
from marketplace.orders.models import Order, OrderStatus, OrderStatusEvent
from marketplace.payments import gateway
from marketplace.payments.models import Payment, PaymentKind, PaymentMethod

log = logging.getLogger(__name__)



def record_payment(
    order: Order,
    method: str,
    amount: int,
    *,
    recorded_by_id: int | None = None,
    provider_ref: str | None = None,
    kind: str = "payment",
    reverses_id: int | None = None,
    reason: str | None = None,
) -> Payment:
    """Add a payment row and raise the order's paid amount (the caller commits)."""
    payment = Payment(
        order=order,
        method=str(method),
        amount=int(amount),
        kind=str(kind),
        provider_ref=provider_ref,
        reverses_id=reverses_id,
        recorded_by_id=recorded_by_id,
        reason=reason,
    )
    db.session.add(payment)
    order.paid_amount = (order.paid_amount or 0) + int(amount)
    if int(amount) > 0:
        _hand_over_paid_booth_sale(order, recorded_by_id)
    return payment


@order_signals.orders_paid.connect
def _ledger_rows_of_orders_written_paid(_sender, *, conn, paid, **_kw) -> None:
    """The order writer wrote orders paid: one payment row of the whole total each."""
    order_writer.insert_rows(conn, Payment.__table__, [
        {"order_id": order_id, "method": str(how.method), "amount": amount, "kind": "payment",
         "provider_ref": how.provider_ref, "reverses_id": None, "recorded_by_id": how.by_id,
         "created_at": at}
        for order_id, how, amount, at in paid])


@order_signals.status_changing.connect
def _money_follows_status(_sender, *, order: Order, by_id: int | None, **_kw) -> None:
    """A cancelled order refunds its card money; a cash order handed over took its cash."""
    if order.status == OrderStatus.CANCELLED:
        refund_on_cancel(order, by_id)
    elif (order.status == OrderStatus.FULFILLED and order.payment_method == PaymentMethod.CASH
          and order.paid_amount < order.total):
        record_payment(order, PaymentMethod.CASH, order.total - order.paid_amount,
                       recorded_by_id=by_id)


_OPEN_STATUSES = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY)


def _hand_over_paid_booth_sale(order: Order, by_id: int | None) -> None:
    """Complete a booth sale once it is paid: the buyer is standing there with the goods."""
    if order.is_booth_sale and order.status in _OPEN_STATUSES and order.is_paid:
        order.status = OrderStatus.FULFILLED.value
        order.events.append(OrderStatusEvent(status=OrderStatus.FULFILLED.value, by_id=by_id,
                                             note=""))


def outstanding(order: Order) -> int:
    """Return what is still owed on an order (never negative; nothing on a cancelled one)."""
    return order.owed


def owed_back(order: Order) -> int:
    """Return money kept beyond what the order is owed: all of it once the order is cancelled."""
    due = 0 if order.status == OrderStatus.CANCELLED else order.total
    return max((order.paid_amount or 0) - due, 0)


@dataclass(frozen=True)
class Refund:
    """Money given back to the customer, as the seller and the customer see it."""

    method: str
    amount: int  # positive VND
    at: datetime
    reference: str | None


@dataclass(frozen=True)
class MoneySummary:
    """Where an order's money stands: paid (net), still owed, owed back, refunds made."""

    total: int
    paid: int
    owed: int
    owed_back: int
    refunds: tuple[Refund, ...]


def money_summary(order: Order) -> MoneySummary:
    """Summarise an order's money for its seller's and its customer's pages."""
    rows = db.session.scalars(
        sa.select(Payment)
        .where(Payment.order_id == order.id, Payment.kind == "refund")
        .order_by(Payment.id)
    )
    refunds = tuple(Refund(r.method, -r.amount, r.created_at, r.provider_ref) for r in rows)
    return MoneySummary(order.total, order.paid_amount or 0, outstanding(order),
                        owed_back(order), refunds)


def lock_order(order: Order) -> Order:
    """Take the order's row lock and re-read it, so concurrent payments see each other.

    A no-op UPDATE is used instead of SELECT … FOR UPDATE because it also takes SQLite's
    write lock (SQLite ignores FOR UPDATE).
    """
    db.session.execute(
        sa.update(Order).where(Order.id == order.id).values(paid_amount=Order.paid_amount)
    )
    return db.session.scalars(
        sa.select(Order).where(Order.id == order.id).execution_options(populate_existing=True)
    ).one()


def ledger(order: Order) -> list[Payment]:
    """Return the order's payment rows, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
        )
    )


def recorder_names(rows: list[Payment]) -> dict[int, str]:
    """Return who recorded the rows, by user id; an organizer is named as the fair's organizer."""
    from marketplace.accounts.models import User

    ids = {row.recorded_by_id for row in rows if row.recorded_by_id}
    if not ids:
        return {}
    return {
        uid: _("%(name)s (ban tổ chức phiên chợ)", name=name) if role == "organizer" else name
        for uid, name, role in db.session.execute(
            sa.select(User.id, User.name, User.role).where(User.id.in_(ids)))
    }


def undone_ids(order: Order) -> dict[int, Payment]:
    """Return the order's rows that a later refund or correction undoes, with that row."""
    rows = db.session.scalars(
        sa.select(Payment).where(Payment.order_id == order.id, Payment.reverses_id.is_not(None))
    )
    return {row.reverses_id: row for row in rows}


def _refunded_of(row: Payment) -> int:
    """Return how much of a payment row was already given back (the refund linked to it).

    Only an order's cancellation refunds the rest of a partly refunded row, and an order is
    cancelled once, so that unlinked rest never needs counting here.
    """
    return -int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)).where(
            Payment.order_id == row.order_id, Payment.kind == "refund",
            Payment.reverses_id == row.id,
        )
    ) or 0)


def _card_intent(row: Payment) -> str:
    return (row.provider_ref or "").split(":")[0]


def refund_card(row: Payment, amount: int, *, idempotency_key: str, by_id: int | None = None,
                reason: str = "", link: bool = True) -> Payment:
    """Refund part or all of a card payment row through Stripe and write the refund row.

    The caller holds the order's lock and commits. The idempotency key must name the refund
    for good (not a row id a rolled-back attempt could hand out again), so a retry refunds once.
    """
    order = row.order
    payment_intent = _card_intent(row)
    if not payment_intent:
        raise Conflict(_("Không tìm thấy mã giao dịch thẻ để hoàn tiền."))
    else:
        metadata = {"order_code": order.code, "payment_id": str(row.id)}
        if reason:
            metadata["reason"] = reason
        refund = gateway.refund(payment_intent, amount, idempotency_key=idempotency_key,
                                metadata=metadata)
        refund_ref = refund["id"]
    return record_payment(
        order, PaymentMethod.CARD, -int(amount), recorded_by_id=by_id, provider_ref=refund_ref,
        kind="refund", reverses_id=row.id if link else None,
    )


REASON_MAX = 500


def _undoable(row: Payment) -> None:
    if row.kind != PaymentKind.PAYMENT or row.amount <= 0:
        raise ValidationError(None, _("Chỉ có thể sửa hoặc hoàn một khoản đã thu."))
    already = db.session.scalar(sa.select(Payment.id).where(Payment.reverses_id == row.id))
    if already is not None:
        raise Conflict(_("Khoản này đã được sửa hoặc hoàn trước đó."))


def _refund_row(row: Payment, by_id: int | None, reason: str | None = None) -> Payment:
    """Give a payment's money back to the customer (card: through Stripe) as a refund row."""
    _undoable(row)
    order = row.order
    refund_ref = f"refund-of-{row.id}"
    if row.method == PaymentMethod.CARD:
        refund = refund_card(row, row.amount, idempotency_key=f"cho40-refund-{row.id}",
                             by_id=by_id)
        refund.reason = reason  # kept in the ledger, not sent to Stripe
        return refund
    return record_payment(
        order, row.method, -row.amount, recorded_by_id=by_id, provider_ref=refund_ref,
        kind=PaymentKind.REFUND, reverses_id=row.id, reason=reason,
    )


def refund_on_cancel(order: Order, by_id: int | None = None) -> list[Payment]:
    """Give back the card money of a cancelled order through Stripe (the caller commits).

    Each card row is refunded for what is left of it (a surplus may already have been
    refunded), with an idempotency key per row. Cash and transfer money stays on the order as
    owed back to the customer until the seller records that it was returned (record_return).
    """
    rows = db.session.scalars(
        sa.select(Payment)
        .where(Payment.order_id == order.id, Payment.kind == "payment", Payment.amount > 0,
               Payment.method == PaymentMethod.CARD)
        .order_by(Payment.id)
    ).all()
    refunds = []
    for row in rows:
        done = _refunded_of(row)
        left = row.amount - done
        if left <= 0:
            continue
        if done == 0:
            refunds.append(refund_card(row, left, idempotency_key=f"cho40-refund-{row.id}",
                                       by_id=by_id, reason="cancelled"))
        else:
            refunds.append(_refund_rest(row, left, by_id))
    return refunds


def _refund_rest(row: Payment, left: int, by_id: int | None) -> Payment:
    """Refund what is left of a card row already partly refunded (its surplus)."""
    return refund_card(row, left, idempotency_key=f"cho40-refund-{row.id}-rest", by_id=by_id,
                       reason="cancelled", link=False)


def refund_surplus_card(row: Payment, owed_before: int, reason: str) -> Payment | None:
    """Refund the part of a card payment beyond what its order was owed (the caller commits).

    All of it when the order was cancelled or already paid; only the surplus otherwise.
    """
    surplus = row.amount - min(row.amount, max(owed_before, 0))
    if surplus <= 0:
        return None
    db.session.flush()  # the row's id goes into Stripe's metadata
    return refund_card(row, surplus, idempotency_key=f"cho40-refund-{row.provider_ref}",
                       reason=reason)


def _replay_payment(order_id: int):
    """Read back the ledger row a spent key wrote for this order."""

    def replay(ref: str) -> Payment:
        kind, _sep, raw_id = ref.partition(":")
        row = db.session.get(Payment, int(raw_id)) if kind == "payment" and raw_id.isdigit() \
            else None
        if row is None or row.order_id != order_id:
            raise Conflict(_("Biểu mẫu này đã được dùng cho một thao tác khác. "
                             "Vui lòng tải lại trang."))
        return row

    return replay


def find_row(order: Order, payment_id: int) -> Payment | None:
    """Return one payment row of the order, or None (another order's row is not found)."""
    row = db.session.get(Payment, payment_id)
    return row if row is not None and row.order_id == order.id else None


def _order_row(order: Order, payment_id: int) -> Payment:
    row = find_row(order, payment_id)
    if row is None:
        raise ValidationError(None, _("Không tìm thấy khoản thanh toán này."))
    return row


def _commit_undo(write, claim_id: int) -> Payment:
    try:
        row = write()
        db.session.flush()
        once_svc.settle(claim_id, f"payment:{row.id}")
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_("Khoản này đã được sửa hoặc hoàn trước đó.")) from None
    except Exception:
        db.session.rollback()
        raise
    return row


def correct_payment(order: Order, payment_id: int, by_id: int, reason: str,
                    once: once_svc.Once) -> Payment:
    """Undo a cash or transfer row recorded by mistake, with the reason, once per form; commit.

    The row and its correction stay in the ledger and leave every figure together.
    """
    return once_svc.run_once(once, lambda: _correct_payment(order, payment_id, by_id, reason,
                                                            once), _replay_payment(order.id))


def _correct_payment(order: Order, payment_id: int, by_id: int, reason: str,
                     once: once_svc.Once) -> Payment:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("reason", _("Ghi rõ lý do sửa khoản ghi nhầm."))
    if len(reason) > REASON_MAX:
        raise ValidationError("reason", _("Lý do tối đa %(n)s ký tự.", n=REASON_MAX))
    row = _order_row(order, payment_id)
    if row.method == PaymentMethod.CARD:
        raise ValidationError(None, _("Tiền thẻ do cổng thanh toán ghi nhận: hãy hoàn tiền thẻ."))
    claim_id = once_svc.claim(once)
    lock_order(order)

    def write() -> Payment:
        _undoable(row)
        return record_payment(
            order, row.method, -row.amount, recorded_by_id=by_id,
            provider_ref=f"correction-of-{row.id}", kind=PaymentKind.CORRECTION,
            reverses_id=row.id, reason=reason,
        )

    return _commit_undo(write, claim_id)


def refund_payment(order: Order, payment_id: int, by_id: int, reason: str | None = None, *,
                   once: once_svc.Once) -> Payment:
    """Give a card payment row's money back to the customer through Stripe, once per form.

    Cash and transfer money is handed back as money owed back (record_return).
    """
    return once_svc.run_once(once, lambda: _refund_payment(order, payment_id, by_id, reason,
                                                           once), _replay_payment(order.id))


def _refund_payment(order: Order, payment_id: int, by_id: int, reason: str | None,
                    once: once_svc.Once) -> Payment:
    row = _order_row(order, payment_id)
    if row.method != PaymentMethod.CARD:
        raise ValidationError(None, _("Tiền mặt và chuyển khoản: ghi nhận trả lại khách ở "
                                      "trang đơn hàng."))
    claim_id = once_svc.claim(once)
    lock_order(order)
    reason = " ".join((reason or "").split())[:REASON_MAX] or None
    return _commit_undo(lambda: _refund_row(row, by_id, reason), claim_id)


def record_cash(order: Order, amount: int | None, by_id: int, once: once_svc.Once) -> Payment:
    """Record cash received at the booth or at pickup, once per form, and commit."""
    return once_svc.run_once(once, lambda: _record_cash(order, amount, by_id, once),
                             _replay_payment(order.id))


def _record_cash(order: Order, amount: int | None, by_id: int, once: once_svc.Once) -> Payment:
    if amount is None or int(amount) <= 0:
        raise ValidationError("amount", _("Nhập số tiền lớn hơn 0."))
    claim_id = once_svc.claim(once)
    order = lock_order(order)
    try:
        if order.status == OrderStatus.CANCELLED:
            raise Conflict(_("Đơn đã hủy, không thể thu tiền."))
        owed = outstanding(order)
        if owed == 0:
            raise Conflict(_("Đơn đã được thanh toán đủ."))
        if int(amount) > owed:
            raise ValidationError(
                "amount", _("Số tiền lớn hơn số còn phải trả (%(owed)s).", owed=_vnd(owed))
            )
        payment = record_payment(order, PaymentMethod.CASH, int(amount), recorded_by_id=by_id)
        db.session.flush()
        once_svc.settle(claim_id, f"payment:{payment.id}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _close_card_sessions_if_paid(order)
    return payment


def _close_card_sessions_if_paid(order: Order) -> None:
    """Expire the card sessions of an order just paid another way, so no card pays it again."""
    if order.is_paid:
        from marketplace.payments.card import expire_open_sessions

        expire_open_sessions(order)


def mark_transfer_received(order: Order, by_id: int, once: once_svc.Once) -> Payment | None:
    """Record the VietQR transfer the seller saw arrive, once per form; None if already paid."""
    return once_svc.run_once(once, lambda: _transfer_received(order, by_id, once),
                             _replay_payment(order.id))


def _transfer_received(order: Order, by_id: int, once: once_svc.Once) -> Payment | None:
    claim_id = once_svc.claim(once)
    order = lock_order(order)
    try:
        if order.status == OrderStatus.CANCELLED:
            raise Conflict(_("Đơn đã hủy, không thể ghi nhận thanh toán."))
        if not order.stall.has_bank_account:
            raise Conflict(_("Gian hàng chưa có tài khoản ngân hàng để nhận chuyển khoản."))
        owed = outstanding(order)
        if owed == 0:
            db.session.rollback()
            return None
        # The n-th transfer of this order gets a fixed reference, so two sellers' taps (or a
        # double tap) racing each other collide on the unique key instead of paying twice.
        n = db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(
                Payment.order_id == order.id,
                Payment.method == PaymentMethod.VIETQR,
                Payment.kind == "payment",
            )
        )
        payment = record_payment(
            order, PaymentMethod.VIETQR, owed, recorded_by_id=by_id,
            provider_ref=f"vietqr-{order.code}-{n + 1}",
        )
        db.session.flush()
        once_svc.settle(claim_id, f"payment:{payment.id}")
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    except Exception:
        db.session.rollback()
        raise
    _close_card_sessions_if_paid(order)
    return payment


RETURN_METHODS = (PaymentMethod.CASH.value, PaymentMethod.VIETQR.value)


def record_return(order: Order, method: str, by_id: int, once: once_svc.Once) -> Payment:
    """Record that the money owed back was returned to the customer (cash or transfer), commit.

    The refund row is for all that is owed back, read under the order's lock, so a second tap
    finds nothing left to return; a repeat of the same form (once) answers with the first row.
    """
    return once_svc.run_once(once, lambda: _record_return(order, method, by_id, once),
                             _replay_payment(order.id))


def _record_return(order: Order, method: str, by_id: int, once: once_svc.Once) -> Payment:
    if method not in RETURN_METHODS:
        raise ValidationError("method", _("Chọn cách đã trả lại tiền cho khách."))
    claim_id = once_svc.claim(once)
    order = lock_order(order)
    try:
        amount = owed_back(order)
        if amount == 0:
            raise Conflict(_("Đơn %(code)s không còn tiền phải trả lại khách.", code=order.code))
        n = db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(
                Payment.order_id == order.id, Payment.kind == "refund")
        )
        payment = record_payment(
            order, method, -amount, recorded_by_id=by_id, kind="refund",
            provider_ref=f"return-{order.code}-{n + 1}",
        )
        db.session.flush()
        once_svc.settle(claim_id, f"payment:{payment.id}")
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("Đơn %(code)s không còn tiền phải trả lại khách.", code=order.code)) from None
    except Exception:
        db.session.rollback()
        raise
    return payment


def _vnd(amount: int) -> str:
    from marketplace.formatting import format_vnd

    return format_vnd(amount)


# --- VietQR for orders and booth signs -------------------------------------------------------


@lru_cache(maxsize=1)
def bank_info(bank_bin: str | None) -> dict:
    """Return {"bin", "short_name", "name"} of a bank BIN (unknown BINs show the BIN)."""
    from marketplace.catalog.banks import bank_by_bin

    bank = bank_by_bin(bank_bin)
    if bank is None:
        return {"bin": bank_bin, "short_name": bank_bin or "", "name": bank_bin or ""}
    short = bank.short_name or bank.code or bank_bin
    return {"bin": bank_bin, "short_name": short, "name": bank.name or short}


def order_note(order: Order) -> str:
    """Return the transfer note for an order: its code, which reconciliation looks for."""
    return vietqr.transfer_note(order.code)


def order_vietqr(order: Order) -> dict:
    """Return the dynamic VietQR for what is owed on the order, with the text shown beside it."""
    stall = order.stall
    if not stall.has_bank_account:
        raise Conflict(
            _("Gian hàng chưa khai báo tài khoản ngân hàng nên chưa nhận được chuyển khoản QR.")
        )
    owed = outstanding(order)
    note = order_note(order)
    payload = (
        vietqr.build_payload(stall.bank_bin, stall.bank_account_number, owed, note)
        if owed > 0 and order.status != OrderStatus.CANCELLED
        else None
    )
    return {
        "payload": payload,
        "amount": owed,
        "note": note,
        "bank": bank_info(stall.bank_bin),
        "account_number": stall.bank_account_number,
        "account_name": stall.bank_account_name or "",
    }


def stall_sign(stall: Stall) -> dict:
    """Return the stall's static VietQR (the buyer types the amount) for its booth sign."""
    if not stall.has_bank_account:
        raise Conflict(
            _("Gian hàng chưa khai báo tài khoản ngân hàng nên chưa in được mã QR chuyển khoản.")
        )
    return {
        "payload": vietqr.build_payload(stall.bank_bin, stall.bank_account_number),
        "bank": bank_info(stall.bank_bin),
        "account_number": stall.bank_account_number,
        "account_name": stall.bank_account_name or "",
    }
