"""A spent one-time key and the result of the action it was spent on."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class OnceKey(db.Model):
    """A form's one-time key, written in the same transaction as the action it ran.

    The unique (key, action) pair is what makes a repeat — a double tap, a retry on a weak
    network, a second tab — find the first result instead of acting again.
    """

    __tablename__ = "once_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # A guest (no account) is known by a random token kept in their session; its hash is kept.
    guest: Mapped[str | None] = mapped_column(sa.String(64))
    result_ref: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("key", "action"),)
