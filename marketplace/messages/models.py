"""One message to one recipient on one channel, written once per event and sent by a job."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Message(db.Model):
    """A rendered message; (event, channel, recipient) is unique, so an event sends it once."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(120))  # e.g. "order_placed:K7M2Q9A"
    kind: Mapped[str] = mapped_column(sa.String(32))  # order_placed, new_order, ...
    channel: Mapped[str] = mapped_column(sa.String(8))  # email, zalo, sms
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: Zalo template fields
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(8), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("event", "channel", "recipient"),)
