"""Payment ledger use cases: record, reverse and refund payments; VietQR for orders and stalls."""

from __future__ import annotations

import csv
import logging
import re
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.models import Stall
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments import gateway, vietqr
from marketplace.payments.models import Payment, PaymentMethod

log = logging.getLogger(__name__)

DEMO_CARD_PREFIX = "pi_demo_"  # demo card payments never reached Stripe


def record_payment(
    order: Order,
    method: str,
    amount: int,
    *,
    recorded_by_id: int | None = None,
    provider_ref: str | None = None,
    kind: str = "payment",
    reverses_id: int | None = None,
) -> Payment:
    """Add a payment row and raise the order's paid amount (the caller commits)."""
    payment = Payment(
        order=order,
        method=str(method),
        amount=int(amount),
        kind=kind,
        provider_ref=provider_ref,
        reverses_id=reverses_id,
        recorded_by_id=recorded_by_id,
    )
    db.session.add(payment)
    order.paid_amount = (order.paid_amount or 0) + int(amount)
    return payment


def outstanding(order: Order) -> int:
    """Return what is still owed on an order (never negative)."""
    return max(order.total - (order.paid_amount or 0), 0)


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
    """Return the names of the people who recorded the rows, by user id."""
    from marketplace.accounts.models import User

    ids = {row.recorded_by_id for row in rows if row.recorded_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


def reversed_ids(order: Order) -> set[int]:
    """Return the ids of the order's rows that a later row reverses."""
    return set(
        db.session.scalars(
            sa.select(Payment.reverses_id).where(
                Payment.order_id == order.id, Payment.reverses_id.is_not(None)
            )
        )
    )


def _reverse_row(row: Payment, by_id: int | None) -> Payment:
    """Write the negative row that undoes a payment; card payments are refunded via Stripe."""
    if row.kind != "payment" or row.amount <= 0:
        raise ValidationError(None, _("Chỉ có thể đảo một khoản đã thu."))
    already = db.session.scalar(sa.select(Payment.id).where(Payment.reverses_id == row.id))
    if already is not None:
        raise Conflict(_("Khoản này đã được đảo trước đó."))
    order = row.order
    if row.method == PaymentMethod.CARD:
        payment_intent = (row.provider_ref or "").split(":")[0]
        if payment_intent.startswith(DEMO_CARD_PREFIX):
            refund_ref = f"re_demo_{row.id}"
        elif not payment_intent:
            raise Conflict(_("Không tìm thấy mã giao dịch thẻ để hoàn tiền."))
        else:
            refund = gateway.refund(
                payment_intent, row.amount, idempotency_key=f"cho40-refund-{row.id}",
                metadata={"order_code": order.code, "payment_id": str(row.id)},
            )
            refund_ref = refund["id"]
        return record_payment(
            order, row.method, -row.amount, recorded_by_id=by_id, provider_ref=refund_ref,
            kind="refund", reverses_id=row.id,
        )
    return record_payment(
        order, row.method, -row.amount, recorded_by_id=by_id,
        provider_ref=f"reversal-of-{row.id}", kind="reversal", reverses_id=row.id,
    )


def refund_on_cancel(order: Order, by_id: int | None = None) -> list[Payment]:
    """Reverse what was paid on a cancelled order (the caller commits).

    Cash and transfer payments get a reversal row (the seller hands the money back);
    card payments are refunded through Stripe (idempotency key per payment row), then a
    negative "refund" row is written.
    """
    done = reversed_ids(order)
    paid_rows = db.session.scalars(
        sa.select(Payment)
        .where(Payment.order_id == order.id, Payment.kind == "payment", Payment.amount > 0)
        .order_by(Payment.id)
    ).all()
    return [_reverse_row(row, by_id) for row in paid_rows if row.id not in done]


def reverse_payment(order: Order, payment_id: int, by_id: int) -> Payment:
    """Reverse one payment row of the order (a refund for card rows) and commit."""
    row = db.session.get(Payment, payment_id)
    if row is None or row.order_id != order.id:
        raise ValidationError(None, _("Không tìm thấy khoản thanh toán này."))
    lock_order(order)
    try:
        reversal = _reverse_row(row, by_id)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_("Khoản này đã được đảo trước đó.")) from None
    except Exception:
        db.session.rollback()
        raise
    return reversal


_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


def record_cash(order: Order, amount: int | None, by_id: int, nonce: str) -> Payment:
    """Record cash received at the booth or at pickup, once per form (nonce), and commit."""
    if not _NONCE_RE.match(nonce or ""):
        raise ValidationError(None, _("Biểu mẫu đã cũ, vui lòng tải lại trang."))
    if amount is None or int(amount) <= 0:
        raise ValidationError("amount", _("Nhập số tiền lớn hơn 0."))
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
        payment = record_payment(
            order, PaymentMethod.CASH, int(amount), recorded_by_id=by_id,
            provider_ref=f"cash-{nonce}",
        )
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_("Khoản tiền mặt này đã được ghi rồi.")) from None
    except Exception:
        db.session.rollback()
        raise
    return payment


def mark_transfer_received(order: Order, by_id: int) -> Payment | None:
    """Record the VietQR transfer the seller saw arrive; None if the order was already paid."""
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
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    except Exception:
        db.session.rollback()
        raise
    return payment


def _vnd(amount: int) -> str:
    from marketplace.formatting import format_vnd

    return format_vnd(amount)


# --- VietQR for orders and booth signs -------------------------------------------------------


@lru_cache(maxsize=1)
def _banks_from_csv() -> dict[str, dict]:
    path = Path(__file__).resolve().parent.parent / "data" / "vn_banks.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["bin"]: row for row in csv.DictReader(fh)}


def bank_info(bank_bin: str | None) -> dict:
    """Return {"bin", "short_name", "name"} of a bank BIN (unknown BINs show the BIN)."""
    try:
        from marketplace.catalog.banks import bank_by_bin

        bank = bank_by_bin(bank_bin)
    except ImportError:
        bank = _banks_from_csv().get(bank_bin or "")
    if bank is None:
        return {"bin": bank_bin, "short_name": bank_bin or "", "name": bank_bin or ""}
    get = bank.get if isinstance(bank, dict) else lambda key: getattr(bank, key, None)
    short = get("short_name") or get("code") or bank_bin
    return {"bin": bank_bin, "short_name": short, "name": get("name") or short}


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
