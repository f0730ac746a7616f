"""Payment ledger rows (never edited: corrected or refunded by new rows) and Stripe events."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    VIETQR = "vietqr"
    CARD = "card"


class PaymentKind(enum.StrEnum):
    PAYMENT = "payment"  # money in
    REFUND = "refund"  # money given back to the customer: lowers net revenue
    CORRECTION = "correction"  # undoes a row recorded by mistake: the pair leaves all figures


class Payment(db.Model):
    """Money received for an order (positive), a refund or a correction of it (negative)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"))
    method: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # VND; negative for refund/correction
    kind: Mapped[str] = mapped_column(sa.String(16), default=PaymentKind.PAYMENT.value)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    # The row a refund or correction undoes (each row is undone at most once).
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why a correction was made
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    order: Mapped[Order] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("method", "provider_ref", "kind"),
        # An order's payments, with what reports sum, readable from the index alone.
        sa.Index("ix_payment_order_facts", "order_id", "method", "amount", "created_at"),
    )


def counts_in_figures() -> sa.ColumnElement[bool]:
    """SQL condition on Payment: the row counts in figures (it neither is nor was corrected).

    The one definition every sum over the ledger uses: a correction and the row it corrects
    leave all figures together, as if the mistaken row had never been recorded.
    """
    correction = aliased(Payment)
    return sa.and_(
        Payment.kind != PaymentKind.CORRECTION.value,
        ~sa.exists().where(correction.reverses_id == Payment.id,
                           correction.kind == PaymentKind.CORRECTION.value),
    )


class StripeEvent(db.Model):
    """A Stripe webhook event already processed, so a replay changes nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CardCheckoutStatus(enum.StrEnum):
    OPEN = "open"
    PROCESSING = "processing"  # completed, an async payment method is still settling
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class CardCheckout(db.Model):
    """A Stripe Checkout Session opened to pay one checkout's (or one order's) orders by card."""

    __tablename__ = "card_checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), index=True)  # checkout or order code
    session_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    url: Mapped[str | None] = mapped_column(sa.Text)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # VND, zero-decimal for Stripe too
    # JSON {"ORDERCODE": amount, ...}: what each order receives when the session is paid.
    order_amounts: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=CardCheckoutStatus.OPEN.value)
    payment_intent: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When Stripe stops accepting the session (its expires_at); never past its orders' deadline.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BankStatement(db.Model):
    """A bank statement uploaded for reconciliation, kept so confirming reads it from here."""

    __tablename__ = "bank_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    skipped_debits: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[BankStatementLine]] = relationship(
        back_populates="statement", cascade="all, delete-orphan",
        order_by="BankStatementLine.number",
    )


class BankStatementLine(db.Model):
    """One credit line of a stored statement, as parsed at upload."""

    __tablename__ = "bank_statement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_statement.id"), index=True)
    number: Mapped[int]  # the line's number in the uploaded file
    date: Mapped[str] = mapped_column(sa.String(40), default="")
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)  # None: unreadable
    description: Mapped[str] = mapped_column(sa.Text, default="")
    reference: Mapped[str] = mapped_column(sa.String(200))

    statement: Mapped[BankStatement] = relationship(back_populates="lines")
